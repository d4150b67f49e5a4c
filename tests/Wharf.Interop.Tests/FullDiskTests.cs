using System.Globalization;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// A server whose whole data directory (database, host keys, repositories) is a 48 MiB tmpfs the fixture mounts, so
/// the test can fill it. Mounting needs root (CAP_SYS_ADMIN); without it the fixture fails with the reason, it never skips.
/// </summary>
public sealed class SmallDiskServer : WharfServer
{
    private bool mounted;

    public override async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        var mount = await ProcessRunner.RunAsync("mount", ["-t", "tmpfs", "-o", "size=48m,mode=0700", "tmpfs", DataDirectory]);
        if (mount.ExitCode != 0)
            throw new InvalidOperationException(
                $"FullDiskTests need a small filesystem of their own and could not mount one (they must run as root, or with CAP_SYS_ADMIN):\n{mount.Describe()}");
        mounted = true;
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        try
        {
            if (IsRunning) await KillAsync(withChildren: true);
        }
        finally
        {
            if (mounted)
            {
                // Lazy: a process that still has a file open there cannot keep the mount (or the test run) alive.
                var unmount = await ProcessRunner.RunAsync("umount", ["-l", DataDirectory]);
                if (unmount.ExitCode != 0) Console.Error.WriteLine($"FullDiskTests: could not unmount {DataDirectory}\n{unmount.Describe()}");
            }

            await base.DisposeAsync();
        }
    }

    /// <summary>A file that takes every free block of the small filesystem; removing it frees them again.</summary>
    public string Filler => Path.Combine(DataDirectory, "filler");

    public async Task FillAsync()
    {
        // dd stops at ENOSPC with status 1; that is the point.
        await ProcessRunner.RunAsync("dd", ["if=/dev/zero", "of=" + Filler, "bs=1M", "status=none"]);
        var free = await FreeBytesAsync();
        if (free > 64 * 1024) throw new InvalidOperationException($"the small filesystem still has {free} bytes free after filling it");
    }

    public async Task<long> FreeBytesAsync()
    {
        var df = await ProcessRunner.RunAsync("df", ["--output=avail", "-B1", DataDirectory]);
        return long.Parse(df.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Trim(), CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// A push to a server whose disk is full is refused with a message that says so, leaves the repository exactly as it was
/// (refs, objects, git fsck --strict, no temporary pack or lock file left behind), and the server keeps serving reads.
/// Once space is freed, the same push goes through.
/// </summary>
public sealed class FullDiskTests(SmallDiskServer server) : IClassFixture<SmallDiskServer>
{
    private const string DiskFullMessage =
        "wharf: The server has no disk space left, so the push was not stored and the repository is unchanged. Please tell the server's administrator.";

    [Fact]
    public async Task APushToAFullDiskIsRefusedClearlyAndChangesNothing()
    {
        var repository = await server.CreateRepositoryAsync(server.Alice, "full", hg: false);
        var (seeded, branch) = await Workspace.SeedAsync(server, server.Alice, repository);
        var bare = Path.Combine(server.DataDirectory, "repositories", repository + ".git");

        var work = server.NewDirectory("full");
        Expect.Succeeded(await server.GitAsync(server.Alice, work, ["clone", "-q", server.SshUrl(repository), "."]), server, "git clone");
        await Workspace.WriteRandomFileAsync(work, "big.bin", 4 * 1024 * 1024, 7);
        var pushed = await Workspace.CommitAllAsync(server, server.Alice, work, "Too big for the disk");

        var before = await StateAsync(bare);
        await server.FillAsync();
        var refused = await server.GitAsync(server.Alice, work, ["push", "origin", "HEAD:" + branch]);
        Expect.Failed(refused, server, "git push to a full disk");
        Expect.That(refused.Stderr.Contains(DiskFullMessage, StringComparison.Ordinal), "git push to a full disk says why", refused, server);
        Assert.Equal(before, await StateAsync(bare));
        Expect.Succeeded(await ProcessRunner.RunAsync(Tools.Git, ["--git-dir", bare, "fsck", "--strict", "--no-progress"]), server, "git fsck --strict after the refused push");

        // Reads still work on the full disk: ls-remote and a clone see the repository as it was.
        var listed = await server.GitAsync(server.Alice, work, ["ls-remote", server.SshUrl(repository)]);
        Expect.Succeeded(listed, server, "git ls-remote on a full disk");
        Assert.Contains($"{seeded}\trefs/heads/{branch}", listed.Stdout, StringComparison.Ordinal);
        var clone = server.NewDirectory("full-clone");
        Expect.Succeeded(await server.GitAsync(server.Alice, clone, ["clone", "-q", server.SshUrl(repository), "."]), server, "git clone on a full disk");
        Assert.Equal(seeded, await Workspace.RevParseAsync(server, server.Alice, clone, "HEAD"));

        // With space again, the same push goes through.
        File.Delete(server.Filler);
        Expect.Succeeded(await server.GitAsync(server.Alice, work, ["push", "-q", "origin", "HEAD:" + branch]), server, "git push after space was freed");
        var after = await ProcessRunner.RunAsync(Tools.Git, ["--git-dir", bare, "rev-parse", "refs/heads/" + branch]);
        Assert.Equal(pushed, after.Stdout.Trim());
    }

    [Fact]
    public async Task AnHgPushToAFullDiskIsRefusedClearlyAndChangesNothing()
    {
        var repository = await server.CreateRepositoryAsync(server.Alice, "full-hg", hg: true);
        var directory = Path.Combine(server.DataDirectory, "repositories", repository + ".hg");
        var work = server.NewDirectory("full-hg");
        Expect.Succeeded(await server.HgAsync(server.Alice.Key, work, ["init", "."]), server, "hg init");
        await Workspace.WriteFileAsync(work, "README", "first\n");
        Expect.Succeeded(await server.HgAsync(server.Alice.Key, work, ["commit", "-q", "-A", "-m", "first"]), server, "hg commit");
        Expect.Succeeded(await server.HgAsync(server.Alice.Key, work, ["push", "-q", server.HgUrl(repository)]), server, "hg push");
        await Workspace.WriteRandomFileAsync(work, "big.bin", 4 * 1024 * 1024, 8);
        Expect.Succeeded(await server.HgAsync(server.Alice.Key, work, ["commit", "-q", "-A", "-m", "too big"]), server, "hg commit");

        var before = await HgStateAsync(directory);
        await server.FillAsync();
        try
        {
            var refused = await server.HgAsync(server.Alice.Key, work, ["push", server.HgUrl(repository)]);
            Expect.Failed(refused, server, "hg push to a full disk");
            Expect.That((refused.Stderr + refused.Stdout).Contains(DiskFullMessage, StringComparison.Ordinal), "hg push to a full disk says why", refused, server);
            Assert.Equal(before, await HgStateAsync(directory));
            var identify = await server.HgAsync(server.Alice.Key, work, ["identify", server.HgUrl(repository)]);
            Expect.Succeeded(identify, server, "hg identify on a full disk");
        }
        finally
        {
            File.Delete(server.Filler);
        }

        Expect.Succeeded(await server.HgAsync(server.Alice.Key, work, ["push", "-q", server.HgUrl(repository)]), server, "hg push after space was freed");
    }

    /// <summary>
    /// Everything a failed push could have left: refs, the object count, and every file in objects/ and refs/ besides the
    /// object files themselves (temporary packs, quarantine directories, lock files, a push marker in wharf-pushes/).
    /// </summary>
    private async Task<string> StateAsync(string bare)
    {
        var refs = await ProcessRunner.RunAsync(Tools.Git, ["--git-dir", bare, "for-each-ref"]);
        var count = await ProcessRunner.RunAsync(Tools.Git, ["--git-dir", bare, "count-objects", "-v"]);
        var files = Directory.EnumerateFileSystemEntries(bare, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(bare, f))
            .Order(StringComparer.Ordinal);
        return $"{refs.Stdout}\n{count.Stdout}\n{string.Join('\n', files)}";
    }

    private async Task<string> HgStateAsync(string directory)
    {
        var log = await ProcessRunner.RunAsync(Tools.Hg, ["log", "-r", "all()", "-T", "{node}\\n"], directory,
            new Dictionary<string, string?> { ["HGRCPATH"] = "", ["HGPLAIN"] = "1", ["HOME"] = server.Home });
        var verify = await ProcessRunner.RunAsync(Tools.Hg, ["verify", "-q"], directory,
            new Dictionary<string, string?> { ["HGRCPATH"] = "", ["HGPLAIN"] = "1", ["HOME"] = server.Home });
        var files = Directory.EnumerateFileSystemEntries(Path.Combine(directory, ".hg"), "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(directory, f))
            // hg saves the working directory's state as .hg/journal.* when any transaction starts and leaves it; it is
            // not the store's transaction (.hg/store/journal), which must not be left.
            .Where(f => !f.Contains("cache", StringComparison.Ordinal) && !f.StartsWith(".hg/journal.", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        return $"{log.Stdout}\nverify exit {verify.ExitCode}\n{string.Join('\n', files)}";
    }
}
