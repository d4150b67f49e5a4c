using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// Issue 5 over the real OpenSSH client, git and hg: the access-key greeting, Mercurial with compression
/// and the hg user, git archive --remote, pushes recorded, and command lines that must run nothing.
/// </summary>
public sealed class RepositorySshTests(WharfServer server) : IClassFixture<WharfServer>
{
    [Fact]
    public async Task SshDashTWithAnAccessKeySaysWhichRepositoriesItReaches()
    {
        var readOnly = await server.CreateRepositoryAsync(server.Alice, "docs", hg: false);
        var readWrite = await server.CreateRepositoryAsync(server.Alice, "deploy", hg: true);
        var key = await SshKey.GenerateAsync(server.KeysDirectory, "greet-" + Guid.NewGuid().ToString("N")[..8], "ed25519");
        await server.AddAccessKeyAsync(readOnly, key, write: false);
        await server.AddAccessKeyAsync(readWrite, key, write: true);

        var run = await server.SshAsync(key, ["-T"]);

        Expect.ExitCode(0, run, server, "ssh -T with an access key");
        Expect.StdoutIs(
            $"logged in with access key {key.Fingerprint}.\n\nThis key can read {readOnly}.\nThis key can read and write {readWrite}.\n\n" +
            $"You can use git or hg to connect to Wharf. Shell access is disabled.\nRun '{SshSessionTests.HelpCommand(server)}' for the other commands.\n",
            run, server, "ssh -T with an access key");
    }

    [Fact]
    public async Task MercurialClonesAndPushesWithCompressionAsTheHgUserAndThePushIsRecorded()
    {
        var repository = await server.CreateRepositoryAsync(server.Alice, "compressed", hg: true);
        var parent = server.NewDirectory("hg-compressed");
        string[] compressed = ["-C"];

        Expect.Succeeded(await server.HgAsync(server.Alice.Key, parent, ["clone", server.HgUrl(repository), "one"], compressed), server, "hg clone with ssh -C");
        var one = Path.Combine(parent, "one");
        await Workspace.WriteRandomFileAsync(one, "data.bin", 300_000, seed: 5);
        Expect.Succeeded(await server.HgAsync(server.Alice.Key, one, ["commit", "-A", "-m", "Binary data"], compressed), server, "hg commit");
        Expect.Succeeded(await server.HgAsync(server.Alice.Key, one, ["push"], compressed), server, "hg push with ssh -C");

        Expect.Succeeded(await server.HgAsync(server.Alice.Key, parent, ["clone", server.HgUrl(repository), "two"], compressed), server, "second hg clone");
        // And hg pull brings a later change to an existing clone.
        await Workspace.WriteFileAsync(one, "later.txt", "later\n");
        Expect.Succeeded(await server.HgAsync(server.Alice.Key, one, ["commit", "-A", "-m", "Later"], compressed), server, "hg commit (later)");
        Expect.Succeeded(await server.HgAsync(server.Alice.Key, one, ["push"], compressed), server, "hg push (later)");
        Expect.Succeeded(await server.HgAsync(server.Alice.Key, Path.Combine(parent, "two"), ["pull", "-u"], compressed), server, "hg pull -u");
        Assert.Equal(Workspace.Files(one).Where(f => !f.Key.StartsWith(".hg", StringComparison.Ordinal)),
            Workspace.Files(Path.Combine(parent, "two")).Where(f => !f.Key.StartsWith(".hg", StringComparison.Ordinal)));

        var listed = await server.WharfOrThrowAsync(["admin", "repo", "list", "--owner", "alice"]);
        var line = listed.Stdout.Split('\n').Single(l => l.StartsWith(repository + "\t", StringComparison.Ordinal));
        Expect.That(!line.EndsWith("\tnever", StringComparison.Ordinal), $"the push must be recorded as the last push: {line}", listed, server);
    }

    [Fact]
    public async Task GitArchiveRemoteSendsTheTree()
    {
        var repository = await server.CreateRepositoryAsync(server.Alice, "archive", hg: false);
        var (_, branch) = await Workspace.SeedAsync(server, server.Alice, repository);
        var parent = server.NewDirectory("archive");

        var run = await server.GitAsync(server.Alice, parent, ["archive", "--format=tar", "-o", "out.tar", $"--remote={server.Url(repository)}", branch]);

        Expect.Succeeded(run, server, "git archive --remote");
        var tar = await ProcessRunner.RunAsync("tar", ["tf", "out.tar"], parent);
        Expect.StdoutIs("README.md\n", tar, server, "the archive holds the seeded tree");
    }

    [Fact]
    public async Task CloningAMercurialRepositoryWithGitSaysToUseHg()
    {
        var repository = await server.CreateRepositoryAsync(server.Alice, "wrong-tool", hg: true);
        var run = await server.GitAsync(server.Alice, server.NewDirectory("wrong"), ["clone", server.Url(repository)]);
        Expect.Failed(run, server, "git clone of a Mercurial repository");
        Expect.StderrContains($"wharf: {repository} is a Mercurial repository: use hg (ssh://hg@HOST/{repository}).", run, server, "git clone of hg");
    }

    public static TheoryData<string, string> Attacks => new()
    {
        // Long command lines are quoted cut short in the message; the start of the line is what is checked there.
        { "hg -R alice/x serve --stdio; touch MARKER", "wharf: Unsupported Mercurial command 'hg -R alice/x serve --stdio; touch /" },
        { "hg -R ../../etc serve --stdio", "wharf: Invalid repository path '../../etc': '.' and '..' are not allowed.\n" },
        { "hg -R /etc serve --stdio", "wharf: Invalid repository path '/etc': expected 'OWNER/NAME.git'.\n" },
        { "hg -R --config=hooks.pre-serve=touch\\ MARKER serve --stdio", "wharf: Unsupported Mercurial command 'hg -R --config=hooks.pre-serve=touch\\ /" },
        { "hg -R --config=hooks.pre-serve=id serve --stdio", "wharf: Invalid repository path '--config=hooks.pre-serve=id': options are not accepted.\n" },
        { "git-upload-archive '--exec=touch MARKER'", "wharf: Expected exactly one repository path, such as 'OWNER/NAME.git'.\n" },
        { "git-upload-archive '--remote=x'", "wharf: Invalid repository path ''--remote=x'': options are not accepted.\n" },
        { "git-receive-pack 'alice/x.git' && touch MARKER", "wharf: Expected exactly one repository path, such as 'OWNER/NAME.git'.\n" },
        { "git-upload-pack '$(touch MARKER)/x.git'", "wharf: Expected exactly one repository path, such as 'OWNER/NAME.git'.\n" },
        { "git-upload-pack 'alice/x.git`touch MARKER`'", "wharf: Expected exactly one repository path, such as 'OWNER/NAME.git'.\n" },
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task HostileCommandLinesRunNothing(string command, string expectedLine)
    {
        var marker = Path.Combine(server.Root, "marker-" + Guid.NewGuid().ToString("N")[..8]);
        var run = await server.SshAsync(server.Alice.Key, ["-T"], command.Replace("MARKER", marker, StringComparison.Ordinal));

        Expect.ExitCode(1, run, server, command);
        Expect.StderrContains(expectedLine, run, server, command);
        Expect.That(!File.Exists(marker), "the hostile command created its marker file", run, server);
    }
}
