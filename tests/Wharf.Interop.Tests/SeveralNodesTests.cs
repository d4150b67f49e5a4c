using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// Two `wharf serve` nodes on one PostgreSQL database and one data directory behave as one service, seen
/// through real OpenSSH and git: the same host key, keys added or deleted through one node count at the other
/// on the very next connection (nothing caches keys), and pushes racing through both nodes each land or are
/// refused cleanly while the repository stays sound (git's own ref locks, checked with git fsck).
/// </summary>
public sealed partial class SeveralNodesTests(WharfCluster cluster) : IClassFixture<WharfCluster>
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    [Fact]
    public async Task SomeoneSignedInThroughOneNodeIsSignedInAtTheOther()
    {
        // One cookie jar for both: cookies belong to the host name, not the port, as behind one load balancer.
        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        using var browser = new HttpClient(handler);
        var form = await browser.GetStringAsync(new Uri(cluster.HttpAddress, "/signup"));
        var token = WebUtility.HtmlDecode(AntiforgeryField().Match(form).Groups[1].Value);
        var signUp = await browser.PostAsync(new Uri(cluster.HttpAddress, "/signup"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = "dave", ["email"] = "dave@example.com", ["password"] = "a long enough password", ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(HttpStatusCode.Redirect, signUp.StatusCode);

        var page = await browser.GetAsync(new Uri(cluster.SecondHttpAddress, "/account/ssh-keys"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<a href=\"/account\">dave</a>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<ProcessResult> KeyscanAsync(int port) =>
        await ProcessRunner.RunAsync(Tools.Require("ssh-keyscan", "openssh-client"),
            ["-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", "ed25519,rsa", cluster.Host]);

    [Fact]
    public async Task BothNodesPresentTheSameHostKeys()
    {
        var first = await KeyscanAsync(cluster.SshPort);
        var second = await KeyscanAsync(cluster.SecondSshPort);
        Expect.Succeeded(first, cluster, "ssh-keyscan of node 1");
        Expect.Succeeded(second, cluster, "ssh-keyscan of node 2");
        // "[127.0.0.1]:PORT TYPE KEY": the same types and keys, only the port differs.
        static string[] Keys(ProcessResult scan) =>
            [.. scan.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', 2)[1]).Order(StringComparer.Ordinal)];
        Assert.Equal(2, Keys(first).Length);
        Assert.Equal(Keys(first), Keys(second));
    }

    [Fact]
    public async Task AKeyAddedThroughOneNodeWorksAtTheOtherAtOnceAndADeletedKeyStopsAtOnce()
    {
        var carol = await cluster.CreateUserAsync("carol");
        var token = (await cluster.WharfOrThrowAsync(["admin", "token", "create", "carol"])).Stdout.TrimEnd('\n').Split('\n')[^1];
        var key = await SshKey.GenerateAsync(cluster.KeysDirectory, "carol_new", "ed25519");

        var before = await cluster.SshAsync(key, ["-T"], port: cluster.SecondSshPort);
        Expect.ExitCode(255, before, cluster, "ssh -T to node 2 before the key was added");
        Expect.StderrContains("Permission denied (publickey).", before, cluster, "ssh -T to node 2 before the key was added");

        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var added = await http.PostAsJsonAsync(new Uri(cluster.HttpAddress, "/2.0/users/carol/ssh-keys"), new { key = key.PublicKeyLine, label = "new laptop" });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var uuid = JsonDocument.Parse(await added.Content.ReadAsStringAsync()).RootElement.GetProperty("uuid").GetString()!;

        // The next connection, with no wait: node 2 looks the key up in the shared database at every login.
        var after = await cluster.SshAsync(key, ["-T"], port: cluster.SecondSshPort);
        Expect.Succeeded(after, cluster, "ssh -T to node 2 right after node 1 added the key");
        Expect.That(after.Stdout.StartsWith("logged in as carol.\n", StringComparison.Ordinal), "node 2 did not greet carol", after, cluster);

        var deleted = await http.DeleteAsync(new Uri(cluster.SecondHttpAddress, $"/2.0/users/carol/ssh-keys/{Uri.EscapeDataString(uuid)}"));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        foreach (var port in new[] { cluster.SshPort, cluster.SecondSshPort })
        {
            var gone = await cluster.SshAsync(key, ["-T"], port: port);
            Expect.ExitCode(255, gone, cluster, $"ssh -T to port {port} right after node 2 deleted the key");
            Expect.StderrContains("Permission denied (publickey).", gone, cluster, $"ssh -T to port {port} right after the key was deleted");
        }
        Assert.Equal("carol", carol.Name);
    }

    /// <summary>One racing push: which node it went through, its commit, and git's own report of it.</summary>
    private sealed record Push(int Port, string Topic, string Commit, ProcessResult Run)
    {
        // git push --porcelain prints "FLAG\tFROM:TO\tSUMMARY" per ref: ' ' fast-forward, '*' new ref, '!' refused.
        public char Flag(string reference) =>
            Run.Stdout.Split('\n').Select(l => l.Split('\t')).FirstOrDefault(f => f.Length == 3 && f[1].EndsWith(":" + reference, StringComparison.Ordinal))
                is { } fields ? fields[0][0] : '?';
    }

    [Fact]
    public async Task PushesRacingThroughBothNodesEachLandOrAreRefusedCleanlyAndTheRepositoryStaysSound()
    {
        const int Rounds = 3, PushersPerRound = 4;
        var alice = cluster.Alice;
        var repository = await cluster.CreateRepositoryAsync(alice, "shared");
        var (seed, branch) = await Workspace.SeedAsync(cluster, alice, repository);
        var main = "refs/heads/" + branch;
        var bare = Path.Combine(cluster.DataDirectory, "repositories", repository + ".git");
        var landed = new List<string> { seed };
        var topics = new Dictionary<string, string>();

        for (var round = 1; round <= Rounds; round++)
        {
            // Every pusher starts from the same tip, half through each node, and all push at once: the branch
            // can move for only one of them; every pusher's own topic branch must land.
            var pushes = new List<(int Port, string Topic, string Checkout, string Commit)>();
            for (var i = 0; i < PushersPerRound; i++)
            {
                var port = i % 2 == 0 ? cluster.SshPort : cluster.SecondSshPort;
                var parent = cluster.NewDirectory($"race-{round}-{i}");
                Expect.Succeeded(await cluster.GitAsync(alice, parent, ["clone", "-q", cluster.Url(repository), "checkout"], port: port), cluster, $"git clone through port {port}");
                var checkout = Path.Combine(parent, "checkout");
                await Workspace.WriteFileAsync(checkout, $"round-{round}/pusher-{i}.txt", $"round {round}, pusher {i}\n");
                pushes.Add((port, $"topic-{round}-{i}", checkout, await Workspace.CommitAllAsync(cluster, alice, checkout, $"Round {round}, pusher {i}")));
            }

            var results = await Task.WhenAll(pushes.Select(async p => new Push(p.Port, p.Topic, p.Commit,
                await cluster.GitAsync(alice, p.Checkout, ["push", "--porcelain", "origin", $"HEAD:{main}", $"HEAD:refs/heads/{p.Topic}"], port: p.Port))));

            foreach (var push in results)
            {
                Expect.That(!push.Run.TimedOut, "a push hung", push.Run, cluster);
                Expect.That(push.Flag($"refs/heads/{push.Topic}") == '*', $"{push.Topic} did not land as a new branch", push.Run, cluster);
                var flag = push.Flag(main);
                Expect.That(flag is ' ' or '!', $"the push to {main} neither landed nor was refused", push.Run, cluster);
                // git exits 0 only when every ref landed.
                Expect.That((push.Run.ExitCode == 0) == (flag == ' '), "git's exit status disagrees with its report", push.Run, cluster);
                topics[push.Topic] = push.Commit;
            }

            var winners = results.Where(r => r.Flag(main) == ' ').ToList();
            Assert.Single(winners);
            landed.Add(winners[0].Commit);
            var tip = await ProcessRunner.RunAsync(Tools.Git, ["--git-dir", bare, "rev-parse", main]);
            Assert.Equal(winners[0].Commit, tip.Stdout.Trim());
        }

        var fsck = await ProcessRunner.RunAsync(Tools.Git, ["--git-dir", bare, "fsck", "--full", "--no-progress"]);
        Expect.Succeeded(fsck, cluster, "git fsck --full of the repository both nodes pushed into");
        Expect.That(!fsck.Stdout.Contains("missing", StringComparison.Ordinal) && !fsck.Stderr.Contains("error", StringComparison.Ordinal),
            "git fsck found damage", fsck, cluster);

        // What a client sees through either node: the winners' history on the branch and every topic.
        foreach (var port in new[] { cluster.SshPort, cluster.SecondSshPort })
        {
            var refs = await cluster.GitAsync(alice, cluster.WorkDirectory, ["ls-remote", cluster.Url(repository)], port: port);
            Expect.Succeeded(refs, cluster, $"git ls-remote through port {port}");
            var advertised = refs.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t'))
                .ToDictionary(f => f[1], f => f[0], StringComparer.Ordinal);
            Assert.Equal(landed[^1], advertised[main]);
            foreach (var (topic, commit) in topics) Assert.Equal(commit, advertised[$"refs/heads/{topic}"]);
        }
        var history = await ProcessRunner.RunAsync(Tools.Git, ["--git-dir", bare, "rev-list", "--first-parent", main]);
        Assert.Equal(Enumerable.Reverse(landed), history.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
