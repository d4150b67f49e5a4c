using System.Security.Cryptography;
using System.Text;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// Git LFS against a real `wharf serve`, driven by Debian's git-lfs (3.3): over the pure SSH protocol
/// (git-lfs-transfer, which git-lfs tries first on an SSH remote) and over the hybrid one (git-lfs-authenticate, then
/// the HTTP LFS API), with read-only grants, a corrupted upload sent by hand, and locks.
/// </summary>
public sealed class LfsTests(WharfServer server) : IClassFixture<WharfServer>
{
    private TestUser Alice => server.Alice;
    private TestUser Bob => server.Bob;

    internal static string GitLfs => Tools.Require("git-lfs", "git-lfs");

    /// <summary>git with LFS's filters configured through the environment (no ~/.gitconfig is written).</summary>
    private Task<ProcessResult> GitAsync(TestUser user, string directory, IEnumerable<string> arguments, string? sshCommand = null)
    {
        var environment = LfsEnvironment();
        if (sshCommand is not null) environment["GIT_SSH_COMMAND"] = sshCommand;
        return server.GitAsync(user, directory, arguments, extraEnvironment: environment);
    }

    /// <summary>The environment that gives git LFS's filters, and then the <paramref name="extra"/> settings, without a config file.</summary>
    internal static Dictionary<string, string?> LfsEnvironment(params (string Key, string Value)[] extra)
    {
        _ = GitLfs;
        (string Key, string Value)[] settings =
        [
            ("init.defaultBranch", "main"),
            ("advice.detachedHead", "false"),
            ("filter.lfs.process", "git-lfs filter-process"),
            ("filter.lfs.required", "true"),
            ("filter.lfs.clean", "git-lfs clean -- %f"),
            ("filter.lfs.smudge", "git-lfs smudge -- %f"),
            // One ssh connection per command keeps the server's log simple to read; multiplexing is OpenSSH's business.
            ("lfs.ssh.automultiplex", "false"),
            .. extra,
        ];
        var environment = new Dictionary<string, string?> { ["GIT_CONFIG_COUNT"] = settings.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        for (var i = 0; i < settings.Length; i++)
        {
            environment[$"GIT_CONFIG_KEY_{i}"] = settings[i].Key;
            environment[$"GIT_CONFIG_VALUE_{i}"] = settings[i].Value;
        }
        return environment;
    }

    /// <summary>The audit entries of one kind for a repository, oldest first.</summary>
    internal static async Task<List<Wharf.Core.Audit.AuditEntry>> AuditAsync(WharfServer server, string repository, string action)
    {
        await using var db = Wharf.Data.WharfDatabase.OpenSqlite(new Wharf.Core.WharfPaths(server.DataDirectory));
        return await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
            Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.AsNoTracking(db.AuditLog)
                .Where(a => a.Repository == repository && a.Action == action).OrderBy(a => a.Id));
    }

    /// <summary>A checkout with one commit on main: a text file and a tracked *.bin file of random bytes.</summary>
    private async Task<(string Checkout, byte[] Content, string Oid)> CommitLfsFileAsync(TestUser user, string name, int length, int seed)
    {
        var checkout = server.NewDirectory(name);
        Expect.Succeeded(await GitAsync(user, checkout, ["init", "-q"]), server, "git init");
        Expect.Succeeded(await GitAsync(user, checkout, ["lfs", "track", "*.bin"]), server, "git lfs track");
        var content = new byte[length];
        new Random(seed).NextBytes(content);
        await File.WriteAllBytesAsync(Path.Combine(checkout, "data.bin"), content);
        await Workspace.WriteFileAsync(checkout, "README.md", "large files inside\n");
        Expect.Succeeded(await GitAsync(user, checkout, ["add", "-A"]), server, "git add");
        Expect.Succeeded(await GitAsync(user, checkout, ["commit", "-q", "-m", "LFS file"]), server, "git commit");
        return (checkout, content, Convert.ToHexStringLower(SHA256.HashData(content)));
    }

    private IEnumerable<string> StoredFiles() =>
        Directory.Exists(Path.Combine(server.DataDirectory, "lfs"))
            ? Directory.EnumerateFiles(Path.Combine(server.DataDirectory, "lfs"), "*", SearchOption.AllDirectories)
            : [];

    private int CountLog(string text) => server.StderrLines().Count(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>
    /// A client that reads slowly (git-lfs behind its ssh) lets the SSH window reopen in small adjusts, so wharf serve
    /// goes idle thousands of times per object; .NET's thread-pool workers spin before they sleep, which doubled the
    /// server's CPU for a git-lfs download (docs/BENCHMARKS.md, the Git LFS section). The executable turns the spin off.
    /// </summary>
    [Fact]
    public void TheShippedRuntimeConfigLetsIdleThreadPoolWorkersSleepAtOnce()
    {
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "wharf.runtimeconfig.json")));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.True(properties.TryGetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", out var limit),
            "wharf.runtimeconfig.json does not set System.Threading.ThreadPool.UnfairSemaphoreSpinLimit");
        Assert.Equal(0, limit.GetInt32());
    }

    [Fact]
    public async Task PushAndCloneOverPureSshStoreAndReturnTheLfsContent()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "lfs-pure");
        var (checkout, content, oid) = await CommitLfsFileAsync(Alice, "lfs-pure", 300_000, 1);
        var uploadsBefore = CountLog($"runs LfsTransferUpload on {repository}");

        var push = await GitAsync(Alice, checkout, ["push", "-q", server.Url(repository), "main"]);

        Expect.Succeeded(push, server, "git push with an LFS file over SSH");
        Expect.That(CountLog($"runs LfsTransferUpload on {repository}") > uploadsBefore,
            "git-lfs must have used git-lfs-transfer (pure SSH) to upload", push, server);
        var stored = StoredFiles().Where(f => Path.GetFileName(f) == oid).ToList();
        Expect.That(stored.Count == 1 && File.ReadAllBytes(stored[0]).SequenceEqual(content),
            $"the object must be stored once, under its SHA-256 {oid}: found [{string.Join(", ", stored)}]", push, server);
        Expect.That(stored[0].Replace('\\', '/').EndsWith($"/{oid[..2]}/{oid[2..4]}/{oid}", StringComparison.Ordinal),
            "objects are stored as aa/bb/OID", push, server);
        // The upload is in the push log beside the push, with the key that sent it.
        var upload = Assert.Single(await AuditAsync(server, repository, "lfs-upload"));
        Assert.Equal(("alice", "laptop-ed25519", Alice.Key.Fingerprint, "127.0.0.1", $"{oid} (300000 bytes)"),
            (upload.Actor, upload.KeyLabel, upload.KeyFingerprint, upload.SourceAddress, upload.Detail));

        var parent = server.NewDirectory("lfs-pure-clone");
        var clone = await GitAsync(Bob, parent, ["clone", "-q", server.Url(repository), "copy"]);
        Expect.Failed(clone, server, "bob has no access yet");

        var mine = server.NewDirectory("lfs-pure-mine");
        var own = await GitAsync(Alice, mine, ["clone", "-q", server.Url(repository), "copy"]);
        Expect.Succeeded(own, server, "git clone with an LFS file over SSH");
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(mine, "copy", "data.bin")));
        Expect.That(CountLog($"runs LfsTransferDownload on {repository}") > 0, "git-lfs must have used git-lfs-transfer to download", own, server);
    }

    [Fact]
    public async Task ReadOnlyGrantDownloadsButCannotUpload()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "lfs-read");
        var (checkout, content, _) = await CommitLfsFileAsync(Alice, "lfs-read", 50_000, 2);
        Expect.Succeeded(await GitAsync(Alice, checkout, ["push", "-q", server.Url(repository), "main"]), server, "alice pushes");
        await server.GrantAsync(repository, Bob, "read");

        var parent = server.NewDirectory("lfs-read-bob");
        var clone = await GitAsync(Bob, parent, ["clone", "-q", server.Url(repository), "copy"]);
        Expect.Succeeded(clone, server, "bob (read) clones with the LFS file");
        var copy = Path.Combine(parent, "copy");
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(copy, "data.bin")));

        var before = StoredFiles().ToList();
        var more = new byte[40_000];
        new Random(3).NextBytes(more);
        await File.WriteAllBytesAsync(Path.Combine(copy, "more.bin"), more);
        Expect.Succeeded(await GitAsync(Bob, copy, ["add", "-A"]), server, "git add");
        Expect.Succeeded(await GitAsync(Bob, copy, ["commit", "-q", "-m", "more"]), server, "git commit");
        var push = await GitAsync(Bob, copy, ["push", "-q", "origin", "main"]);

        Expect.Failed(push, server, "bob (read) pushing an LFS file");
        Expect.StderrContains($"wharf: You need write access to {repository} to do this.", push, server, "the refusal names what is missing");
        Assert.Equal(before, StoredFiles().ToList());
    }

    /// <summary>
    /// An ssh command for git and git-lfs that refuses to run git-lfs-transfer, as a server without the pure protocol
    /// would: git-lfs then falls back to git-lfs-authenticate and the HTTP API (the hybrid protocol).
    /// </summary>
    private string SshWithoutTransfer(TestUser user)
    {
        var script = Path.Combine(server.Root, "ssh-without-lfs-transfer");
        if (!File.Exists(script))
        {
            File.WriteAllText(script, "#!/bin/sh\ncase \"$*\" in *git-lfs-transfer*) echo 'git-lfs-transfer: not offered here' >&2; exit 1;; esac\n" +
                $"exec {ProcessRunner.Quote(Tools.Ssh)} \"$@\"\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return string.Join(' ', new[] { script }.Concat(server.SshOptions(user.Key)).Select(ProcessRunner.Quote));
    }

    [Fact]
    public async Task PushAndCloneOverTheHybridProtocolUseTheHttpApiWithTheShortLivedHeader()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "lfs-hybrid");
        var (checkout, content, oid) = await CommitLfsFileAsync(Alice, "lfs-hybrid", 200_000, 5);
        var ssh = SshWithoutTransfer(Alice);

        var push = await GitAsync(Alice, checkout, ["push", "-q", server.Url(repository), "main"], ssh);

        Expect.Succeeded(push, server, "git push with an LFS file over git-lfs-authenticate and HTTP");
        Expect.That(CountLog($"runs LfsAuthenticateUpload on {repository}") > 0 && CountLog($"runs LfsTransferUpload on {repository}") == 0,
            "git-lfs must have asked git-lfs-authenticate, not git-lfs-transfer", push, server);
        Expect.That(StoredFiles().Count(f => Path.GetFileName(f) == oid) == 1, "the object is stored once", push, server);
        // Uploaded over HTTP with the short-lived header, audited with the SSH key that asked for it.
        var upload = Assert.Single(await AuditAsync(server, repository, "lfs-upload"));
        Assert.Equal(("alice", "laptop-ed25519", Alice.Key.Fingerprint, $"{oid} (200000 bytes)"),
            (upload.Actor, upload.KeyLabel, upload.KeyFingerprint, upload.Detail));

        var parent = server.NewDirectory("lfs-hybrid-clone");
        var clone = await GitAsync(Alice, parent, ["clone", "-q", server.Url(repository), "copy"], ssh);
        Expect.Succeeded(clone, server, "git clone with an LFS file over git-lfs-authenticate and HTTP");
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(parent, "copy", "data.bin")));
        Expect.That(CountLog($"runs LfsAuthenticateDownload on {repository}") > 0, "the download went through git-lfs-authenticate", clone, server);
    }

    [Fact]
    public async Task GitLfsAuthenticateAnswersAnHrefAndAHeaderGoodOnlyForThatRepositoryAndOperation()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "lfs-auth");
        var other = await server.CreateRepositoryAsync(Alice, "lfs-other");
        var run = await server.SshAsync(Alice.Key, [], $"git-lfs-authenticate {repository}.git download");
        Expect.Succeeded(run, server, "git-lfs-authenticate");
        using var answer = System.Text.Json.JsonDocument.Parse(run.Stdout);
        var root = answer.RootElement;
        Assert.Equal($"{server.HttpBaseUrl}/{repository}.git/info/lfs", root.GetProperty("href").GetString());
        Assert.Equal(300, root.GetProperty("expires_in").GetInt32());
        var header = root.GetProperty("header").GetProperty("Authorization").GetString()!;
        Assert.StartsWith("WharfLfs ", header, StringComparison.Ordinal);

        using var http = new HttpClient { BaseAddress = server.HttpAddress };
        async Task<(System.Net.HttpStatusCode, string)> BatchAsync(string repo, string operation)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/{repo}.git/info/lfs/objects/batch");
            request.Headers.TryAddWithoutValidation("Authorization", header);
            request.Content = new StringContent($"{{\"operation\":\"{operation}\",\"objects\":[]}}", Encoding.UTF8, "application/vnd.git-lfs+json");
            using var response = await http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(System.Net.HttpStatusCode.OK, (await BatchAsync(repository, "download")).Item1);
        Assert.Equal((System.Net.HttpStatusCode.Forbidden, $"{{\"message\":\"You need write access to {repository} to do this.\"}}"),
            await BatchAsync(repository, "upload"));
        Assert.Equal((System.Net.HttpStatusCode.NotFound, $"{{\"message\":\"Repository '{other}' does not exist, or you do not have access to it.\"}}"),
            await BatchAsync(other, "download"));
    }

    /// <summary>A hand-written git-lfs-transfer client: version 1, then a put-object whose bytes do not hash to its OID.</summary>
    [Fact]
    public async Task CorruptedUploadOverPureSshIsRefusedAndNothingIsStored()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "lfs-corrupt");
        var claimed = Encoding.ASCII.GetBytes("the bytes the client promised\n");
        var oid = Convert.ToHexStringLower(SHA256.HashData(claimed));
        var sent = "the bytes that arrived instead";   // as long as the announced size, so only the hash differs
        sent = sent.PadRight(claimed.Length, '!');
        var request = new StringBuilder()
            .Append(Pkt("version 1\n")).Append("0000")
            .Append(Pkt($"put-object {oid}\n")).Append(Pkt($"size={claimed.Length}\n")).Append("0001").Append(Pkt(sent)).Append("0000")
            .Append(Pkt($"verify-object {oid}\n")).Append(Pkt($"size={claimed.Length}\n")).Append("0000")
            .Append(Pkt("quit\n")).Append("0000").ToString();
        var before = StoredFiles().ToList();

        var run = await ProcessRunner.RunAsync(Tools.Ssh, [.. server.SshOptions(Alice.Key), $"git@{server.Host}", $"git-lfs-transfer {repository}.git upload"],
            server.Home, new Dictionary<string, string?> { ["HOME"] = server.Home }, stdin: request);

        Expect.Succeeded(run, server, "the protocol session itself ends normally");
        var actual = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(sent)));
        var expected = Pkt("version=1\n") + Pkt("locking\n") + "0000"
            + Pkt("status 200\n") + "0000"
            + Pkt("status 422\n") + "0001" + Pkt($"LFS object {oid} was refused: the bytes received have the SHA-256 {actual}; nothing was stored.\n") + "0000"
            + Pkt("status 404\n") + "0001" + Pkt($"LFS object {oid} does not exist in this repository.\n") + "0000"
            + Pkt("status 200\n") + "0000";
        Expect.StdoutIs(expected, run, server, "the upload is refused with the hash it had, and verify finds nothing");
        Assert.Equal(before, StoredFiles().ToList());
    }

    [Fact]
    public async Task LocksAreCreatedListedAndRemovedWithGitLfs()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "lfs-locks");
        var (checkout, _, _) = await CommitLfsFileAsync(Alice, "lfs-locks", 1000, 4);
        Expect.Succeeded(await GitAsync(Alice, checkout, ["push", "-q", "-u", server.Url(repository), "main"]), server, "alice pushes");
        Expect.Succeeded(await GitAsync(Alice, checkout, ["remote", "add", "origin", server.Url(repository)]), server, "git remote add");

        var locked = await GitAsync(Alice, checkout, ["lfs", "lock", "data.bin"]);
        Expect.Succeeded(locked, server, "git lfs lock");
        Expect.StdoutIs("Locked data.bin\n", locked, server, "git lfs lock says what it locked");

        var again = await GitAsync(Alice, checkout, ["lfs", "lock", "data.bin"]);
        Expect.Failed(again, server, "locking a locked path");
        Expect.StderrContains("Locking data.bin failed: server unable to create lock: data.bin is already locked by alice.", again, server,
            "git-lfs reports the conflict with the server's words");

        var list = await GitAsync(Alice, checkout, ["lfs", "locks"]);
        Expect.Succeeded(list, server, "git lfs locks");
        var id = list.Stdout.Split("ID:").Last().Trim();
        Expect.StdoutIs($"data.bin\talice\tID:{id}\n", list, server, "git lfs locks lists the path, its owner and the lock's id");

        await server.GrantAsync(repository, Bob, "write");
        var bobs = server.NewDirectory("lfs-locks-bob");
        Expect.Succeeded(await GitAsync(Bob, bobs, ["clone", "-q", server.Url(repository), "copy"]), server, "bob clones");
        var steal = await GitAsync(Bob, Path.Combine(bobs, "copy"), ["lfs", "unlock", "data.bin"]);
        Expect.Failed(steal, server, "bob unlocking alice's lock without --force");
        Expect.StderrContains("server unable to unlock: data.bin is locked by alice: only they can unlock it, or an administrator of the repository with --force.", steal, server, "the refusal says who holds the lock");
        var verify = await GitAsync(Bob, Path.Combine(bobs, "copy"), ["lfs", "locks", "--verify"]);
        Expect.Succeeded(verify, server, "git lfs locks --verify");
        Expect.StdoutIs($"  data.bin\talice\tID:{id}\n", verify, server, "bob sees alice's lock as someone else's");

        var unlock = await GitAsync(Alice, checkout, ["lfs", "unlock", "data.bin"]);
        Expect.Succeeded(unlock, server, "git lfs unlock by its owner");
        Expect.StdoutIs("Unlocked data.bin\n", unlock, server, "git lfs unlock says what it unlocked");
        var empty = await GitAsync(Alice, checkout, ["lfs", "locks"]);
        Expect.StdoutIs("", empty, server, "no locks left");
        // Locks taken and removed over git-lfs-transfer are audited with the key; bob's refused unlock is not.
        Assert.Equal([("alice", "laptop-ed25519", $"data.bin (lock {id})")],
            (await AuditAsync(server, repository, "lfs-lock")).Select(a => (a.Actor, a.KeyLabel, a.Detail)));
        Assert.Equal([("alice", "laptop-ed25519", $"data.bin (lock {id})")],
            (await AuditAsync(server, repository, "lfs-unlock")).Select(a => (a.Actor, a.KeyLabel, a.Detail)));
    }

    private static string Pkt(string text) => (Encoding.UTF8.GetByteCount(text) + 4).ToString("x4", System.Globalization.CultureInfo.InvariantCulture) + text;
}
