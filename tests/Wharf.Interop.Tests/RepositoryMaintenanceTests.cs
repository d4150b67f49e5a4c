using System.Text.RegularExpressions;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>`wharf serve` that maintains a repository after its 55th push and never sooner (object thresholds out of reach).</summary>
public sealed class MaintainAfter55PushesServer : WharfServer
{
    protected override IReadOnlyDictionary<string, string?> ServerEnvironment { get; } = new Dictionary<string, string?>
    {
        ["WHARF_Maintenance__Delay"] = "00:00:01",
        ["WHARF_Maintenance__Pushes"] = "55",
        ["WHARF_Maintenance__LooseObjects"] = "1000000",
        ["WHARF_Maintenance__Packs"] = "1000000",
    };
}

/// <summary>`wharf serve` that maintains a repository one second after every push.</summary>
public sealed class MaintainEveryPushServer : WharfServer
{
    protected override IReadOnlyDictionary<string, string?> ServerEnvironment { get; } = new Dictionary<string, string?>
    {
        ["WHARF_Maintenance__Delay"] = "00:00:01",
        ["WHARF_Maintenance__Pushes"] = "1",
    };
}

/// <summary>Shared steps: small commits pushed over SSH, and what git says about the repository on disk.</summary>
internal static class Maintained
{
    public static string Directory(WharfServer server, string repository) =>
        Path.Combine(server.DataDirectory, "repositories", repository + ".git");

    public static async Task<string> GitOkAsync(WharfServer server, string work, params string[] args)
    {
        var run = await server.GitAsync(server.Alice, work, args);
        Expect.Succeeded(run, server, "git " + string.Join(' ', args));
        return run.Stdout;
    }

    /// <summary>A clone-less working directory with origin pointing at <paramref name="repository"/>.</summary>
    public static async Task<string> WorkAsync(WharfServer server, string repository)
    {
        var work = server.NewDirectory("maintain");
        await GitOkAsync(server, work, "init", "-q", "-b", "main");
        await GitOkAsync(server, work, "remote", "add", "origin", server.Url(repository));
        return work;
    }

    public static async Task CommitAsync(WharfServer server, string work, int n)
    {
        await File.WriteAllTextAsync(Path.Combine(work, $"f{n % 7}.txt"), $"change {n}\n");
        await GitOkAsync(server, work, "add", "-A");
        await GitOkAsync(server, work, "-c", "user.name=Alice", "-c", "user.email=alice@example.com", "commit", "-q", "-m", $"change {n}");
    }

    /// <summary>git run directly on the repository directory (not through Wharf).</summary>
    public static async Task<string> OnDiskAsync(WharfServer server, string repository, params string[] args)
    {
        var run = await ProcessRunner.RunAsync(Tools.Git, ["--git-dir", Directory(server, repository), .. args]);
        Expect.Succeeded(run, server, "git " + string.Join(' ', args) + " on the repository directory");
        return run.Stdout;
    }

    public static async Task<(long Loose, long Packs)> CountsAsync(WharfServer server, string repository)
    {
        var text = await OnDiskAsync(server, repository, "count-objects", "-v");
        long Get(string name) => long.Parse(Regex.Match(text, $"^{name}: (\\d+)$", RegexOptions.Multiline).Groups[1].Value);
        return (Get("count"), Get("packs"));
    }

    /// <summary>Bounded polling of the server log for <paramref name="count"/> lines containing <paramref name="text"/>.</summary>
    public static async Task WaitForLogAsync(WharfServer server, string text, int count = 1)
    {
        for (var i = 0; i < 600; i++)
        {
            if (Occurrences(server, text) >= count) return;
            await Task.Delay(100);
        }
        Assert.Fail($"the server log did not show {count}× '{text}' within 60 s\n{server.ServerLog()}");
    }

    public static int Occurrences(WharfServer server, string text) =>
        Regex.Matches(server.ServerLog(int.MaxValue), Regex.Escape(text)).Count;
}

/// <summary>
/// Many small pushes over SSH leave every object loose (git unpacks pushes under 100 objects); the server's background
/// maintenance packs them, with a multi-pack index, its bitmap and a commit-graph, and changes no ref.
/// </summary>
public sealed class RepositoryMaintenanceTests(MaintainAfter55PushesServer server) : IClassFixture<MaintainAfter55PushesServer>
{
    [Fact]
    public async Task Fifty_five_small_pushes_are_packed_by_background_maintenance_with_every_ref_unchanged()
    {
        var repository = await server.CreateRepositoryAsync(server.Alice, "many-pushes");
        var work = await Maintained.WorkAsync(server, repository);
        for (var n = 1; n <= 55; n++)
        {
            await Maintained.CommitAsync(server, work, n);
            // A branch and a tag now and then, so that there are refs to pack.
            var extra = n % 10 == 0 ? new[] { $"main:refs/heads/topic-{n}", $"refs/heads/main:refs/tags/v{n}" } : [];
            await Maintained.GitOkAsync(server, work, ["push", "-q", "origin", "main", .. extra]);
        }
        var refs = await Maintained.GitOkAsync(server, work, "ls-remote", "origin");

        // 55 pushes of one commit, one tree and one blob each, all loose, then one pack and none loose.
        await Maintained.WaitForLogAsync(server, $"Maintained {repository} in ");
        Assert.Contains($"loose objects 165 → 0, packs 0 → 1", server.ServerLog(int.MaxValue), StringComparison.Ordinal);
        Assert.Equal((0L, 1L), await Maintained.CountsAsync(server, repository));
        var directory = Maintained.Directory(server, repository);
        var pack = Path.Combine(directory, "objects", "pack");
        Assert.True(File.Exists(Path.Combine(pack, "multi-pack-index")), "no multi-pack-index");
        Assert.Single(System.IO.Directory.GetFiles(pack, "multi-pack-index-*.bitmap"));
        Assert.True(File.Exists(Path.Combine(directory, "objects", "info", "commit-graphs", "commit-graph-chain")), "no commit-graph chain");
        Assert.True(File.Exists(Path.Combine(directory, "packed-refs")), "refs not packed");
        Assert.False(File.Exists(RepositoryLockPath(directory)), "the maintenance lock was left behind");
        Assert.Empty(System.IO.Directory.GetFiles(Path.Combine(directory, "wharf-pushes")));

        var fsck = await ProcessRunner.RunAsync(Tools.Git, ["--git-dir", directory, "fsck", "--full", "--strict"]);
        Expect.Succeeded(fsck, server, "git fsck after maintenance");
        Assert.Equal("", fsck.Stderr.Replace("notice: HEAD points to an unborn branch (master)\n", "", StringComparison.Ordinal));
        Assert.Equal(refs, await Maintained.GitOkAsync(server, work, "ls-remote", "origin"));
        // And it still serves: a fresh clone over SSH has all 55 commits.
        var clone = server.NewDirectory("maintained-clone");
        await Maintained.GitOkAsync(server, clone, "clone", "-q", server.Url(repository), "c");
        Assert.Equal("55", (await Maintained.GitOkAsync(server, Path.Combine(clone, "c"), "rev-list", "--count", "HEAD")).Trim());
    }

    internal static string RepositoryLockPath(string directory) => Path.Combine(directory, "wharf-maintenance.lock");
}

/// <summary>
/// Maintenance and pushes never overlap: a push marker (any node's) makes maintenance wait, in the background and
/// from the admin command; the maintenance lock makes a push wait until it is released.
/// </summary>
public sealed class RepositoryMaintenanceLockTests(MaintainEveryPushServer server) : IClassFixture<MaintainEveryPushServer>
{
    /// <summary>A running push as another node would leave it: a marker file in wharf-pushes/.</summary>
    private static string HoldPush(string directory)
    {
        var pushes = Path.Combine(directory, "wharf-pushes");
        System.IO.Directory.CreateDirectory(pushes);
        var marker = Path.Combine(pushes, "other-node-4242-test");
        File.WriteAllText(marker, "host other-node pid 4242\n");
        return marker;
    }

    [Fact]
    public async Task Background_maintenance_is_postponed_while_a_push_holds_the_repository_then_runs()
    {
        var repository = await server.CreateRepositoryAsync(server.Alice, "held");
        var work = await Maintained.WorkAsync(server, repository);
        var directory = Maintained.Directory(server, repository);
        var marker = HoldPush(directory);
        await Maintained.CommitAsync(server, work, 1);
        await Maintained.GitOkAsync(server, work, "push", "-q", "origin", "main");

        // Queued by the push, then put back every second while the other push runs; nothing is packed meanwhile.
        await Maintained.WaitForLogAsync(server, $"Maintenance of {repository} postponed: a push to it is running; next try in 00:00:01", 2);
        Assert.Equal(0, Maintained.Occurrences(server, $"Maintained {repository} in "));
        Assert.Equal((3L, 0L), await Maintained.CountsAsync(server, repository));

        File.Delete(marker);
        await Maintained.WaitForLogAsync(server, $"Maintained {repository} in ");
        Assert.Equal((0L, 1L), await Maintained.CountsAsync(server, repository));
    }

    [Fact]
    public async Task A_push_waits_while_maintenance_holds_the_lock_and_lands_when_it_is_released()
    {
        var repository = await server.CreateRepositoryAsync(server.Alice, "locked");
        var work = await Maintained.WorkAsync(server, repository);
        await Maintained.CommitAsync(server, work, 1);
        await Maintained.GitOkAsync(server, work, "push", "-q", "origin", "main");
        var first = (await Maintained.OnDiskAsync(server, repository, "rev-parse", "main")).Trim();
        await Maintained.WaitForLogAsync(server, $"Maintained {repository} in ");

        var directory = Maintained.Directory(server, repository);
        var lockPath = RepositoryMaintenanceTests.RepositoryLockPath(directory);
        await File.WriteAllTextAsync(lockPath, "host other-node pid 4242\n");
        await Maintained.CommitAsync(server, work, 2);
        var push = server.GitAsync(server.Alice, work, ["push", "-q", "origin", "main"]);
        // The push has marked itself and is waiting: its marker is there, the ref has not moved.
        var pushes = Path.Combine(directory, "wharf-pushes");
        for (var i = 0; i < 600 && System.IO.Directory.GetFiles(pushes).Length == 0; i++) await Task.Delay(100);
        Assert.Single(System.IO.Directory.GetFiles(pushes));
        Assert.False(push.IsCompleted, "the push finished while the maintenance lock was held");
        Assert.Equal(first, (await Maintained.OnDiskAsync(server, repository, "rev-parse", "main")).Trim());

        File.Delete(lockPath);
        Expect.Succeeded(await push, server, "the push after the lock was released");
        Assert.Equal((await Maintained.GitOkAsync(server, work, "rev-parse", "HEAD")).Trim(),
            (await Maintained.OnDiskAsync(server, repository, "rev-parse", "main")).Trim());
        Assert.Empty(System.IO.Directory.GetFiles(pushes));
    }

    [Fact]
    public async Task The_admin_command_refuses_while_a_push_runs_and_otherwise_maintains_and_says_what_it_did()
    {
        var repository = await server.CreateRepositoryAsync(server.Alice, "by-hand");
        var work = await Maintained.WorkAsync(server, repository);
        var directory = Maintained.Directory(server, repository);
        await Maintained.CommitAsync(server, work, 1);
        // Straight into the directory, not through Wharf: nothing queues background maintenance to race the command.
        await Maintained.GitOkAsync(server, work, "push", "-q", directory, "main", "main:refs/tags/v1");
        var marker = HoldPush(directory);

        var refused = await server.WharfAsync(["admin", "repo", "maintain", repository]);
        Expect.ExitCode(6, refused, server, "maintain while a push runs");
        Assert.Equal($"wharf: Maintenance of {repository} did not run: a push to it is running. Nothing was changed; try again when it has finished.\n",
            refused.Stderr);
        Assert.Equal("", refused.Stdout);
        Assert.Equal((3L, 0L), await Maintained.CountsAsync(server, repository));
        Assert.False(File.Exists(RepositoryMaintenanceTests.RepositoryLockPath(directory)));

        File.Delete(marker);
        var run = await server.WharfAsync(["admin", "repo", "maintain", repository]);
        Expect.Succeeded(run, server, "maintain");
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches($"^Maintained {Regex.Escape(repository)} in \\d+\\.\\d\\d s$", lines[0]);
        Assert.Matches(@"^before: 3 loose objects \(\d+ KiB\), 0 packs \(0 KiB\)$", lines[1]);
        Assert.Matches(@"^after:  0 loose objects \(0 KiB\), 1 packs \(\d+ KiB\)$", lines[2]);
        Assert.Matches(@"^ran: git pack-refs --all --prune \(\d+\.\d\d s\)$", lines[3]);
        // A small repository is repacked whole (Maintenance:FullRepackMiB).
        Assert.Matches(@"^ran: git repack -a -d -f --write-midx --write-bitmap-index \(\d+\.\d\d s\)$", lines[4]);
        Assert.Matches(@"^ran: git commit-graph write --reachable --split \(\d+\.\d\d s\)$", lines[5]);
        Assert.Matches(@"^files: objects/pack/multi-pack-index, objects/pack/multi-pack-index-[0-9a-f]{40}\.bitmap, objects/info/commit-graphs/commit-graph-chain, packed-refs$", lines[6]);
        Assert.Equal(7, lines.Length);
        Assert.Equal((0L, 1L), await Maintained.CountsAsync(server, repository));

        var hg = await server.CreateRepositoryAsync(server.Alice, "hg-by-hand", hg: true);
        var hgRun = await server.WharfAsync(["admin", "repo", "maintain", hg]);
        Expect.Succeeded(hgRun, server, "maintain a Mercurial repository");
        Assert.Equal($"{hg} is a Mercurial repository: Wharf maintains only git repositories (Mercurial's revlogs need no repacking). Nothing was done.\n", hgRun.Stdout);

        var missing = await server.WharfAsync(["admin", "repo", "maintain", "alice/no-such"]);
        Expect.ExitCode(3, missing, server, "maintain a repository that does not exist");
        Assert.Equal("wharf: Repository 'alice/no-such' does not exist.\n", missing.Stderr);
    }
}
