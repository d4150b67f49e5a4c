using System.Text.RegularExpressions;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>Real git through the real OpenSSH client against `wharf serve`, as the repository's owner.</summary>
public sealed partial class GitOverSshTests(WharfServer server) : IClassFixture<WharfServer>
{
    private TestUser Alice => server.Alice;

    // GIT_TRACE_PACKET lines read "packet:    ls-remote< version 2": the program's name, then < (received)
    // or > (sent).
    [GeneratedRegex(@"packet:\s+[\w-]+< version 2$", RegexOptions.Multiline)]
    private static partial Regex ReceivedVersion2();

    [GeneratedRegex(@"packet:\s+[\w-]+> command=ls-refs$", RegexOptions.Multiline)]
    private static partial Regex SentLsRefs();

    [GeneratedRegex(@"packet:\s+[\w-]+> command=fetch$", RegexOptions.Multiline)]
    private static partial Regex SentFetch();

    [Fact]
    public async Task CloneOfAnEmptyRepositoryWarnsAndSucceeds()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "empty");
        var parent = server.NewDirectory("clone-empty");

        var run = await server.GitAsync(Alice, parent, ["clone", server.Url(repository), "checkout"]);

        Expect.Succeeded(run, server, "git clone of an empty repository");
        Expect.StderrContains("warning: You appear to have cloned an empty repository.", run, server, "git clone of an empty repository");
        Expect.That(Directory.Exists(Path.Combine(parent, "checkout", ".git")), "the clone made no checkout/.git", run, server);
    }

    [Theory]
    [InlineData("ed25519")]
    [InlineData("rsa")]
    [InlineData("ecdsa")]
    public async Task PushedCommitsComeBackInASecondClone(string keyType)
    {
        var key = Alice.KeyOfType(keyType);
        var repository = await server.CreateRepositoryAsync(Alice, $"project-{keyType}");
        var parent = server.NewDirectory("push");
        var first = Path.Combine(parent, "first");
        Expect.Succeeded(await server.GitAsync(Alice, parent, ["clone", server.Url(repository), "first"], key), server, "git clone (empty)");

        await Workspace.WriteFileAsync(first, "README.md", "# project\n");
        await Workspace.WriteFileAsync(first, "src/hello.c", "#include <stdio.h>\nint main(void) { puts(\"hello\"); }\n");
        // 3 MiB that does not compress: more than one SSH channel window, so the push needs flow control.
        await Workspace.WriteRandomFileAsync(first, "assets/noise.bin", 3 * 1024 * 1024, seed: 1);
        await Workspace.CommitAllAsync(server, Alice, first, "First commit");
        var branch = await Workspace.CurrentBranchAsync(server, Alice, first);

        var push = await server.GitAsync(Alice, first, ["push", "origin", branch], key);
        Expect.Succeeded(push, server, "git push of the first commit");
        Expect.StderrContains($"* [new branch]      {branch} -> {branch}", push, server, "git push of the first commit");

        await Workspace.WriteFileAsync(first, "README.md", "# project\n\nNow with a second commit.\n");
        await Workspace.WriteRandomFileAsync(first, "assets/more-noise.bin", 1024 * 1024, seed: 2);
        var previous = await Workspace.RevParseAsync(server, Alice, first, "HEAD");
        var head = await Workspace.CommitAllAsync(server, Alice, first, "Second commit");

        var update = await server.GitAsync(Alice, first, ["push", "origin", branch], key);
        Expect.Succeeded(update, server, "git push of the second commit onto the existing branch");
        Expect.StderrContains($"   {previous[..7]}..{head[..7]}  {branch} -> {branch}", update, server, "git push of the second commit (fast-forward)");

        var second = Path.Combine(parent, "second");
        var clone = await server.GitAsync(Alice, parent, ["clone", server.Url(repository), "second"], key);
        Expect.Succeeded(clone, server, "git clone after the pushes");

        Assert.Equal(head, await Workspace.RevParseAsync(server, Alice, second, "HEAD"));
        Assert.Equal(branch, await Workspace.CurrentBranchAsync(server, Alice, second));
        var log = await server.GitAsync(Alice, second, ["log", "--format=%H %s"], key);
        Expect.StdoutIs(
            (await server.GitAsync(Alice, first, ["log", "--format=%H %s"], key)).Stdout,
            log,
            server,
            "the second clone's history");
        Expect.That(log.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 2, "expected two commits", log, server);

        var expected = Workspace.Files(first);
        var actual = Workspace.Files(second);
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (path, bytes) in expected)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(actual[path]), $"{path} differs between the two clones");
        }

        var fsck = await server.GitAsync(Alice, second, ["fsck", "--full", "--strict"]);
        Expect.Succeeded(fsck, server, "git fsck of the second clone");
    }

    [Fact]
    public async Task FourClonesAtOnceAllGetTheSameHistory()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "busy");
        var (commit, _) = await Workspace.SeedAsync(server, Alice, repository);
        var parent = server.NewDirectory("busy");

        var clones = await Task.WhenAll(Enumerable.Range(1, 4).Select(i =>
            server.GitAsync(Alice, parent, ["clone", "-q", server.Url(repository), $"clone{i}"], Alice.Keys[i % Alice.Keys.Count])));

        for (var i = 0; i < clones.Length; i++)
        {
            Expect.Succeeded(clones[i], server, $"clone {i + 1} of 4 made at the same time");
            Assert.Equal(commit, await Workspace.RevParseAsync(server, Alice, Path.Combine(parent, $"clone{i + 1}"), "HEAD"));
        }
    }

    [Fact]
    public async Task PushAndCloneThatRekeyEveryMegabyteStillComplete()
    {
        // OpenSSH re-keys after RekeyLimit bytes (1 GiB or so by default): a small limit makes a few-MiB
        // push and clone go through several key exchanges in the middle of the transfer. Not smaller than
        // 1 MiB: OpenSSH 9.2 adds the next packet's length in bytes to the blocks already sent when it decides
        // (packet.c, ssh_packet_need_rekeying), so with 256K every 32 KiB channel packet of a push started a key
        // exchange of its own, about 64 for this push, and on a loaded machine the push outran git's time limit.
        string[] rekeyOften = ["-o", "RekeyLimit=1M", "-o", "LogLevel=DEBUG1"];
        var repository = await server.CreateRepositoryAsync(Alice, "rekey");
        var parent = server.NewDirectory("rekey");
        var first = Path.Combine(parent, "first");
        Expect.Succeeded(await server.GitAsync(Alice, parent, ["clone", server.Url(repository), "first"], extraSshOptions: rekeyOften), server, "git clone (empty)");
        await Workspace.WriteRandomFileAsync(first, "noise.bin", 4 * 1024 * 1024, seed: 3);
        var head = await Workspace.CommitAllAsync(server, Alice, first, "Four MiB of noise");
        var branch = await Workspace.CurrentBranchAsync(server, Alice, first);

        var push = await server.GitAsync(Alice, first, ["push", "origin", branch], extraSshOptions: rekeyOften);
        Expect.Succeeded(push, server, "git push with RekeyLimit=1M");

        var clone = await server.GitAsync(Alice, parent, ["clone", server.Url(repository), "second"], extraSshOptions: rekeyOften);
        Expect.Succeeded(clone, server, "git clone with RekeyLimit=1M");
        foreach (var run in new[] { push, clone })
        {
            var exchanges = run.Stderr.Split('\n').Count(line => line.StartsWith("debug1: SSH2_MSG_NEWKEYS received", StringComparison.Ordinal));
            // At least one re-key completed mid-transfer. More are started, but when the transfer ends while
            // one is still running (the client closes the channel first) ssh never logs its NEWKEYS, so
            // demanding several made the test depend on machine load.
            Expect.That(exchanges >= 2, $"expected the first key exchange and at least one re-key, ssh saw {exchanges}", run, server);
        }

        Assert.Equal(head, await Workspace.RevParseAsync(server, Alice, Path.Combine(parent, "second"), "HEAD"));
        Assert.True(
            File.ReadAllBytes(Path.Combine(first, "noise.bin")).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(parent, "second", "noise.bin"))),
            "noise.bin differs after the round trip");
    }

    [Fact]
    public async Task PushAndCloneWithCompressionOnRoundTripTheFiles()
    {
        // `ssh -C`, which Mercurial users are told to use: zlib@openssh.com, switched on after authentication.
        string[] compressed = ["-o", "Compression=yes"];
        var repository = await server.CreateRepositoryAsync(Alice, "compressed");
        var parent = server.NewDirectory("compressed");
        var first = Path.Combine(parent, "first");
        Expect.Succeeded(await server.GitAsync(Alice, parent, ["clone", server.Url(repository), "first"], extraSshOptions: compressed), server, "git clone (empty) with -C");
        await Workspace.WriteFileAsync(first, "words.txt", string.Concat(Enumerable.Range(0, 50_000).Select(i => $"line {i} of a very compressible file\n")));
        await Workspace.WriteRandomFileAsync(first, "noise.bin", 512 * 1024, seed: 4);
        var head = await Workspace.CommitAllAsync(server, Alice, first, "Compressible and not");
        var branch = await Workspace.CurrentBranchAsync(server, Alice, first);

        Expect.Succeeded(await server.GitAsync(Alice, first, ["push", "origin", branch], extraSshOptions: compressed), server, "git push with -C");
        var clone = await server.GitAsync(Alice, parent, ["clone", server.Url(repository), "second"], extraSshOptions: compressed);

        Expect.Succeeded(clone, server, "git clone with -C");
        var second = Path.Combine(parent, "second");
        Assert.Equal(head, await Workspace.RevParseAsync(server, Alice, second, "HEAD"));
        var expected = Workspace.Files(first);
        var actual = Workspace.Files(second);
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (path, bytes) in expected)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(actual[path]), $"{path} differs after the round trip");
        }
    }

    [Fact]
    public async Task LsRemoteOverProtocolVersion2ListsHeadAndTheBranch()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "v2");
        var (commit, branch) = await Workspace.SeedAsync(server, Alice, repository);

        var run = await server.GitAsync(
            Alice,
            server.WorkDirectory,
            ["-c", "protocol.version=2", "ls-remote", server.Url(repository)],
            extraEnvironment: new Dictionary<string, string?> { ["GIT_TRACE_PACKET"] = "1" });

        Expect.Succeeded(run, server, "git -c protocol.version=2 ls-remote");
        Expect.StdoutIs($"{commit}\tHEAD\n{commit}\trefs/heads/{branch}\n", run, server, "git ls-remote (v2)");
        Expect.That(ReceivedVersion2().IsMatch(run.Stderr), "the server must answer `version 2` (GIT_PROTOCOL passed through to git)", run, server);
        Expect.That(SentLsRefs().IsMatch(run.Stderr), "ls-remote over v2 sends command=ls-refs", run, server);
    }

    [Fact]
    public async Task LsRemoteOverProtocolVersion0ListsHeadAndTheBranch()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "v0");
        var (commit, branch) = await Workspace.SeedAsync(server, Alice, repository);

        var run = await server.GitAsync(
            Alice,
            server.WorkDirectory,
            ["-c", "protocol.version=0", "ls-remote", server.Url(repository)],
            extraEnvironment: new Dictionary<string, string?> { ["GIT_TRACE_PACKET"] = "1" });

        Expect.Succeeded(run, server, "git -c protocol.version=0 ls-remote");
        Expect.StdoutIs($"{commit}\tHEAD\n{commit}\trefs/heads/{branch}\n", run, server, "git ls-remote (v0)");
        Expect.That(!ReceivedVersion2().IsMatch(run.Stderr), "protocol v0 was asked for, v2 came back", run, server);
    }

    [Fact]
    public async Task CloneOverProtocolVersion2FetchesTheHistory()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "v2-clone");
        var (commit, _) = await Workspace.SeedAsync(server, Alice, repository);
        var parent = server.NewDirectory("v2-clone");

        var run = await server.GitAsync(
            Alice,
            parent,
            ["-c", "protocol.version=2", "clone", server.Url(repository), "checkout"],
            extraEnvironment: new Dictionary<string, string?> { ["GIT_TRACE_PACKET"] = "1" });

        Expect.Succeeded(run, server, "git -c protocol.version=2 clone");
        Expect.That(ReceivedVersion2().IsMatch(run.Stderr), "the server must answer `version 2`", run, server);
        Expect.That(SentFetch().IsMatch(run.Stderr), "clone over v2 sends command=fetch", run, server);
        Assert.Equal(commit, await Workspace.RevParseAsync(server, Alice, Path.Combine(parent, "checkout"), "HEAD"));
    }

    [Fact]
    public async Task CloneBySshUrlWithThePortWorks()
    {
        // ssh://git@host:2222/owner/name.git is how people write a non-standard port; git then asks for
        // git-upload-pack '/owner/name.git', with a leading slash.
        var repository = await server.CreateRepositoryAsync(Alice, "ssh-url");
        var (commit, _) = await Workspace.SeedAsync(server, Alice, repository);
        var parent = server.NewDirectory("ssh-url");

        var run = await server.GitAsync(Alice, parent, ["clone", server.SshUrl(repository), "checkout"]);

        Expect.Succeeded(run, server, $"git clone {server.SshUrl(repository)}");
        Assert.Equal(commit, await Workspace.RevParseAsync(server, Alice, Path.Combine(parent, "checkout"), "HEAD"));
    }
}
