using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Wharf.Interop.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Wharf.Interop.Tests;

/// <summary>
/// A server the tests kill with SIGKILL. Maintenance runs right after each push, so kills land in repacks too.
/// </summary>
public sealed class CrashServer : WharfServer
{
    protected override IReadOnlyDictionary<string, string?> ServerEnvironment { get; } = new Dictionary<string, string?>
    {
        ["WHARF_Maintenance__Delay"] = "00:00:00.2",
        ["WHARF_Maintenance__Pushes"] = "1",
    };
}

/// <summary>
/// Crashes lose nothing: `wharf serve` killed with SIGKILL at random points of git and Mercurial pushes, key adds and
/// repository creation, then started again on the same data. Every repository then passes <c>git fsck --strict</c> or
/// <c>hg verify</c>, every ref holds its old or its new value, every key and repository is whole or absent, and the next
/// push and clone work. The random points come from a seed printed in the output (set WHARF_CRASH_SEED to repeat a run).
/// </summary>
public sealed class CrashRecoveryTests(CrashServer server, ITestOutputHelper output) : IClassFixture<CrashServer>
{
    private const int PushKills = 50;

    private static int Seed(ITestOutputHelper output, string test)
    {
        var seed = Environment.GetEnvironmentVariable("WHARF_CRASH_SEED") is { } text
            ? int.Parse(text, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        output.WriteLine($"{test}: seed {seed} (WHARF_CRASH_SEED={seed} repeats this run)");
        Console.WriteLine($"CrashRecoveryTests.{test}: seed {seed}");
        return seed;
    }

    private sealed class Target(string name, bool hg, string local, string onDisk)
    {
        public string Name { get; } = name;
        public bool Hg { get; } = hg;
        public string Local { get; } = local;
        public string OnDisk { get; } = onDisk;
        public int Commits { get; set; }
    }

    [Fact]
    public async Task KillsDuringGitAndHgPushesLoseNothing()
    {
        var seed = Seed(output, nameof(KillsDuringGitAndHgPushesLoseNothing));
        var random = new Random(seed);
        var alice = server.Alice;
        var targets = new List<Target>();
        foreach (var hg in new[] { false, true, false, true })
        {
            var name = await server.CreateRepositoryAsync(alice, hg ? "crash-hg" : "crash-git", hg);
            var local = server.NewDirectory(hg ? "crash-hg" : "crash-git");
            if (hg) Expect.Succeeded(await HgLocalAsync(local, ["init", "."]), server, "hg init");
            else Expect.Succeeded(await server.GitAsync(alice, local, ["init", "-q", "."]), server, "git init");
            targets.Add(new Target(name, hg, local, Path.Combine(server.DataDirectory, "repositories", name + (hg ? ".hg" : ".git"))));
        }

        // How long an undisturbed push of each size takes here, so that kills spread over the whole of one.
        string[] sizes = ["small", "medium", "large"];
        var durations = new Dictionary<(bool Hg, string Size), TimeSpan>();
        foreach (var target in targets.Take(2))
        {
            foreach (var size in sizes)
            {
                var branch = target.Hg ? "default" : "main";
                await CommitAsync(target, branch, size, random);
                var timer = Stopwatch.StartNew();
                var pushed = await PushAsync(target, branch);
                Expect.Succeeded(pushed, server, $"undisturbed push ({size}) to {target.Name}");
                durations[(target.Hg, size)] = timer.Elapsed;
            }
        }

        output.WriteLine("undisturbed pushes: " + string.Join(", ", durations.Select(d => $"{(d.Key.Hg ? "hg" : "git")} {d.Key.Size} {d.Value.TotalMilliseconds:F0} ms")));
        string[] gitBranches = ["main", "feature/crash", "release-1.x", "topic/a/b"];
        string[] hgBranches = ["default", "stable", "feature-crash"];
        var outcomes = new List<string>();
        for (var round = 0; round < PushKills; round++)
        {
            var target = targets[round % 2 == 0 ? random.Next(0, 2) * 2 : random.Next(0, 2) * 2 + 1];
            var branch = target.Hg ? hgBranches[random.Next(hgBranches.Length)] : gitBranches[random.Next(gitBranches.Length)];
            var size = sizes[random.Next(sizes.Length)];
            var commits = random.Next(1, 4);
            for (var c = 0; c < commits; c++) await CommitAsync(target, branch, size, random);
            var before = new Dictionary<string, Snapshot>();
            foreach (var t in targets) before[t.Name] = await SnapshotAsync(t);
            var expected = await LocalStateAsync(target, branch);

            var estimate = durations[(target.Hg, size)] * commits;
            var delay = TimeSpan.FromMilliseconds(random.NextDouble() * 1.3 * estimate.TotalMilliseconds);
            var withChildren = random.Next(3) != 0;
            var push = PushAsync(target, branch);
            await Task.WhenAny(push, Task.Delay(delay));
            var finished = push.IsCompleted;
            var orphans = await server.KillAsync(withChildren);
            await server.StartAfterCrashAsync();
            var client = await push;
            // A git or hg left running by a kill of wharf serve alone finishes (or fails) on its own; wait for it before looking.
            await WaitForExitAsync(orphans);

            var where = $"round {round} (seed {seed}): {(target.Hg ? "hg" : "git")} push of {commits} {size} commit(s) to {target.Name} {branch}, " +
                        $"killed after {delay.TotalMilliseconds:F0} ms{(withChildren ? " with its children" : " alone")}";
            var landed = false;
            foreach (var t in targets)
            {
                var after = await CheckIntactAsync(t, where);
                var was = before[t.Name];
                if (t == target)
                {
                    landed = CheckOldOrNew(t, branch, was, after, expected, where);
                }
                else
                {
                    Assert.True(was.Equals(after), $"{where}: {t.Name}, not pushed to, changed\nbefore:\n{was}\nafter:\n{after}\n{server.ServerLog(80)}");
                }
            }

            if (finished && client.ExitCode == 0)
                Assert.True(landed, $"{where}: the client was told the push succeeded, but after the restart {target.Name} has the old value\n{client.Describe()}");
            outcomes.Add($"{(target.Hg ? "hg" : "git")}:{(finished ? "done" : "in flight")}:{(landed ? "new" : "old")}");
            Console.WriteLine($"CrashRecoveryTests: {where}: the push was {(finished ? "done" : "in flight")}, the server has the {(landed ? "new" : "old")} state");

            // The next push and a clone over SSH work.
            var again = await PushAsync(target, branch);
            // hg push exits 1 when the server already has everything (the killed push landed); the state is checked next.
            Expect.That(!again.TimedOut && (again.ExitCode == 0 || (target.Hg && again.ExitCode == 1 && landed)), $"{where}: the next push", again, server);
            Assert.True(CheckOldOrNew(target, branch, before[target.Name], await SnapshotAsync(target), expected, where),
                $"{where}: the next push did not store the new value");
            await CheckCloneAsync(target, branch, expected, where);
        }

        output.WriteLine("outcomes: " + string.Join(", ", outcomes.GroupBy(o => o).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} ×{g.Count()}")));
        // Both sides of the crash window were reached: kills before a push landed and after.
        Assert.Contains(outcomes, o => o.EndsWith(":old", StringComparison.Ordinal));
        Assert.Contains(outcomes, o => o.EndsWith(":new", StringComparison.Ordinal));
    }

    [Fact]
    public async Task KillsDuringKeyAddsAndRepositoryCreationLeaveEveryRowWholeOrAbsent()
    {
        var seed = Seed(output, nameof(KillsDuringKeyAddsAndRepositoryCreationLeaveEveryRowWholeOrAbsent));
        var random = new Random(seed);
        var carla = await server.CreateUserAsync("carla", "ed25519");
        var token = (await server.WharfOrThrowAsync(["admin", "token", "create", carla.Name, "--name", "crash"])).Stdout.TrimEnd('\n').Split('\n')[^1].Trim();
        for (var round = 0; round < 10; round++)
        {
            var where = $"round {round} (seed {seed})";
            List<(SshKey Key, string Label)> newKeys = [];
            for (var i = 0; i < 3; i++)
                newKeys.Add((await SshKey.GenerateAsync(server.KeysDirectory, $"carla_crash_{round}_{i}", "ed25519"), $"crash {round}.{i}"));
            List<(string Name, bool Hg)> newRepositories = [.. Enumerable.Range(0, 3).Select(i => ($"made-{round}-{i}", random.Next(2) == 0))];

            using var http = ApiClient(token);
            var requests = newKeys.Select(k => http.PostAsJsonAsync(new Uri(server.HttpAddress, $"/2.0/users/carla/ssh-keys"), new { key = k.Key.PublicKeyLine, label = k.Label }))
                .Concat(newRepositories.Select(r => http.PostAsJsonAsync(new Uri(server.HttpAddress, $"/2.0/repositories/carla/{r.Name}"), new { scm = r.Hg ? "hg" : "git" })))
                .ToList();
            var delay = TimeSpan.FromMilliseconds(random.Next(0, 700));
            await Task.WhenAny(Task.WhenAll(requests), Task.Delay(delay));
            await server.KillAsync(withChildren: random.Next(2) == 0);
            foreach (var request in requests)
            {
                try
                {
                    (await request).Dispose();
                }
                catch (HttpRequestException)
                {
                    // Cut off by the kill: the caller does not know whether it happened, and retries.
                }
            }

            await server.StartAfterCrashAsync();
            output.WriteLine($"{where}: killed after {delay.TotalMilliseconds:F0} ms");
            await CheckRowsAsync(token, carla, newKeys, newRepositories, where);
        }

        // The same with the database held by another writer from the moment the creation starts making its directory, so
        // that it dies with the directory made and not yet recorded (the window a kill at a random time rarely hits).
        foreach (var hg in new[] { false, true })
        {
            var name = hg ? "held-hg" : "held-git";
            var where = $"creation of carla/{name} killed while the database was busy";
            await KillCreationWhileTheDatabaseIsHeldAsync(name, hg, where);
            await server.KillAsync(withChildren: true);
            await server.StartAfterCrashAsync();
            await CheckRowsAsync(token, carla, [], [(name, hg)], where);
        }

        // Nothing half-made is left in the staging area.
        var left = Path.Combine(server.DataDirectory, "repositories", ".tmp");
        Assert.True(!Directory.Exists(left) || !Directory.EnumerateFileSystemEntries(left).Any(),
            $"repositories/.tmp still holds {string.Join(", ", Directory.Exists(left) ? Directory.EnumerateFileSystemEntries(left) : [])} after the restart\n{server.ServerLog(80)}");
    }

    [Fact]
    public async Task AnHgPushKilledInsideItsTransactionIsRolledBackAndTheNextPushWorks()
    {
        var repository = await server.CreateRepositoryAsync(server.Alice, "held-txn", hg: true);
        var directory = Path.Combine(server.DataDirectory, "repositories", repository + ".hg");
        var local = server.NewDirectory("held-txn");
        Expect.Succeeded(await HgLocalAsync(local, ["init", "."]), server, "hg init");
        await Workspace.WriteFileAsync(local, "README", "first\n");
        Expect.Succeeded(await HgLocalAsync(local, ["commit", "-q", "-A", "-m", "first"]), server, "hg commit");
        Expect.Succeeded(await server.HgAsync(server.Alice.Key, local, ["push", "-q", server.HgUrl(repository)]), server, "hg push");
        var before = await HgLocalAsync(directory, ["log", "-r", "all()", "-T", "{node}\\n"]);

        // The next push stops inside its transaction (the changesets written, not yet committed) until the server is killed.
        var started = Path.Combine(server.Root, "txn-started");
        var hgrc = Path.Combine(directory, ".hg", "hgrc");
        await File.WriteAllTextAsync(hgrc, $"[hooks]\npretxnchangegroup.hold = touch '{started}'; sleep 120\n");
        await Workspace.WriteRandomFileAsync(local, "data.bin", 200_000, 3);
        Expect.Succeeded(await HgLocalAsync(local, ["commit", "-q", "-A", "-m", "second"]), server, "hg commit");
        var push = server.HgAsync(server.Alice.Key, local, ["push", server.HgUrl(repository)]);
        await WaitUntilAsync(() => File.Exists(started) || push.IsCompleted, "the push to reach its transaction");
        Assert.True(File.Exists(Path.Combine(directory, ".hg", "store", "journal")), "the push's transaction is not open");
        await server.KillAsync(withChildren: true);
        File.Delete(hgrc);
        await server.StartAfterCrashAsync();
        Expect.Failed(await push, server, "the push that was killed");

        var verify = await HgLocalAsync(directory, ["verify"]);
        Expect.Succeeded(verify, server, "hg verify after the restart");
        Assert.False(File.Exists(Path.Combine(directory, ".hg", "store", "journal")), "the interrupted transaction is still there");
        Assert.Equal(before.Stdout, (await HgLocalAsync(directory, ["log", "-r", "all()", "-T", "{node}\\n"])).Stdout);
        Assert.Contains(server.StderrLines(), l => l.Contains("Recovery: rolled back the interrupted Mercurial transaction", StringComparison.Ordinal));

        var again = await server.HgAsync(server.Alice.Key, local, ["push", server.HgUrl(repository)]);
        Expect.Succeeded(again, server, "the next push");
        var clone = server.NewDirectory("held-txn-clone");
        Expect.Succeeded(await server.HgAsync(server.Alice.Key, clone, ["clone", "-q", "-U", server.HgUrl(repository), "c"]), server, "hg clone");
        Assert.Equal((await HgLocalAsync(local, ["log", "-r", "all()", "-T", "{node}\\n"])).Stdout,
            (await HgLocalAsync(Path.Combine(clone, "c"), ["log", "-r", "all()", "-T", "{node}\\n"])).Stdout);
    }

    [Fact]
    public async Task ARefLockLeftByAKilledGitDoesNotBlockTheNextPush()
    {
        var repository = await server.CreateRepositoryAsync(server.Alice, "ref-lock", hg: false);
        var (seeded, branch) = await Workspace.SeedAsync(server, server.Alice, repository);
        var bare = Path.Combine(server.DataDirectory, "repositories", repository + ".git");
        // What a receive-pack killed between taking the ref's lock and renaming it into place leaves behind.
        await File.WriteAllTextAsync(Path.Combine(bare, "refs", "heads", branch + ".lock"), seeded + "\n");
        await server.KillAsync(withChildren: true);
        await server.StartAfterCrashAsync();

        var work = server.NewDirectory("ref-lock");
        Expect.Succeeded(await server.GitAsync(server.Alice, work, ["clone", "-q", server.SshUrl(repository), "."]), server, "git clone");
        await Workspace.WriteFileAsync(work, "next.txt", "next\n");
        var next = await Workspace.CommitAllAsync(server, server.Alice, work, "Next");
        Expect.Succeeded(await server.GitAsync(server.Alice, work, ["push", "-q", "origin", "HEAD:" + branch]), server, "git push after the restart");
        Assert.Equal(next, (await ProcessRunner.RunAsync(Tools.Git, ["--git-dir", bare, "rev-parse", "refs/heads/" + branch])).Stdout.Trim());
        Assert.False(File.Exists(Path.Combine(bare, "refs", "heads", branch + ".lock")));
    }

    /// <summary>
    /// Two unfinished creations the start-up must recognise as dead: one killed between making its staging directory and
    /// writing its marker (the marker empty), and one whose marker names a pid the system has since given to a new
    /// process (kernel.pid_max is 32768 here, and a busy CI reuses pids within minutes). Both were left behind before.
    /// </summary>
    [Fact]
    public async Task AnUnmarkedStagingDirectoryAndOneWhosePidWasReusedAreRemovedAtStart()
    {
        var staging = Path.Combine(server.DataDirectory, "repositories", ".tmp");
        Directory.CreateDirectory(staging);
        var unmarked = Path.Combine(staging, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(unmarked);
        await File.WriteAllTextAsync(Path.Combine(unmarked, "wharf-creating"), "");
        var reused = Path.Combine(staging, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(reused);
        using var newcomer = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        try
        {
            // The line as a creator writes it, an hour before the process that now has its pid started.
            var since = DateTimeOffset.UtcNow.AddHours(-1).ToString("O", CultureInfo.InvariantCulture);
            await File.WriteAllTextAsync(Path.Combine(reused, "wharf-creating"), $"host {Environment.MachineName} pid {newcomer.Id} since {since}\n");
            await server.KillAsync(withChildren: true);
            await server.StartAfterCrashAsync();
            Assert.False(Directory.Exists(unmarked), $"{unmarked} (empty marker) is still there\n{server.ServerLog(40)}");
            Assert.False(Directory.Exists(reused), $"{reused} (pid {newcomer.Id} now another process's) is still there\n{server.ServerLog(40)}");
        }
        finally
        {
            newcomer.Kill();
        }
    }

    [Fact]
    public async Task ARepositoryDirectoryWithoutARecordIsNotServedAndIsReported()
    {
        var source = await server.CreateRepositoryAsync(server.Alice, "original", hg: false);
        await Workspace.SeedAsync(server, server.Alice, source);
        // A directory put there by hand (a partial restore, a copy): it holds commits, so it is nobody's unfinished creation.
        var stray = Path.Combine(server.DataDirectory, "repositories", "alice", "stray.git");
        Expect.Succeeded(await ProcessRunner.RunAsync("cp", ["-a", Path.Combine(server.DataDirectory, "repositories", source + ".git"), stray]), server, "cp -a");
        await server.KillAsync(withChildren: true);
        await server.StartAfterCrashAsync();

        var listed = await server.GitAsync(server.Alice, server.WorkDirectory, ["ls-remote", server.SshUrl("alice/stray")]);
        Expect.Failed(listed, server, "git ls-remote of a directory without a record");
        Assert.Equal(["wharf: Repository 'alice/stray' does not exist, or you do not have access to it."], Workspace.ServerMessages(listed.Stderr));
        Assert.True(Directory.Exists(stray), "a directory holding commits but no record was removed");
        Assert.Contains(server.StderrLines(), l => l.Contains(stray, StringComparison.Ordinal) && l.Contains("has no record", StringComparison.Ordinal));

        var created = await server.WharfAsync(["admin", "repo", "create", "alice/stray"]);
        Expect.Failed(created, server, "wharf admin repo create over a directory without a record");
        Assert.Contains($"Repository 'alice/stray' has no record but its directory exists at {stray}; move that directory away first.", created.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// After a crash: every key the API lists is whole (its key text and label as sent, and it logs in over SSH); a key it
    /// does not list does not log in. Every repository it lists has its directory, complete (git fsck --strict or hg
    /// verify) and served over SSH; one it does not list has no directory and can be created now.
    /// </summary>
    private async Task CheckRowsAsync(string token, TestUser owner, List<(SshKey Key, string Label)> keys, List<(string Name, bool Hg)> repositories, string where)
    {
        using var http = ApiClient(token);
        var listed = await http.GetFromJsonAsync<JsonElement>(new Uri(server.HttpAddress, $"/2.0/users/{owner.Name}/ssh-keys?pagelen=100"));
        var stored = listed.GetProperty("values").EnumerateArray().ToDictionary(v => v.GetProperty("fingerprint").GetString()!, v => v);
        foreach (var (key, label) in keys)
        {
            var login = await server.SshAsync(key, ["-T"]);
            if (stored.TryGetValue(key.Fingerprint, out var row))
            {
                Assert.Equal(string.Join(' ', key.PublicKeyLine.Split(' ').Take(2)), row.GetProperty("key").GetString());
                Assert.Equal(label, row.GetProperty("label").GetString());
                Expect.Succeeded(login, server, $"{where}: ssh -T with {key.Name}, which the API lists");
            }
            else
            {
                Expect.ExitCode(255, login, server, $"{where}: ssh -T with {key.Name}, which the API does not list");
            }
        }

        foreach (var (name, hg) in repositories)
        {
            var directory = Path.Combine(server.DataDirectory, "repositories", owner.Name, name + (hg ? ".hg" : ".git"));
            using var response = await http.GetAsync(new Uri(server.HttpAddress, $"/2.0/repositories/{owner.Name}/{name}"));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                Assert.True(Directory.Exists(directory), $"{where}: carla/{name} is recorded but has no directory\n{server.ServerLog(80)}");
                var check = hg
                    ? await HgLocalAsync(directory, ["verify", "-q"])
                    : await ProcessRunner.RunAsync(Tools.Git, ["--git-dir", directory, "fsck", "--strict", "--no-progress"]);
                Expect.Succeeded(check, server, $"{where}: the directory of carla/{name}");
                var served = hg
                    ? await server.HgAsync(owner.Key, server.WorkDirectory, ["identify", server.HgUrl($"{owner.Name}/{name}")])
                    : await server.GitAsync(owner, server.WorkDirectory, ["ls-remote", server.SshUrl($"{owner.Name}/{name}")]);
                Expect.Succeeded(served, server, $"{where}: carla/{name} over SSH");
            }
            else
            {
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                foreach (var kind in new[] { ".git", ".hg" })
                    Assert.False(Directory.Exists(Path.Combine(server.DataDirectory, "repositories", owner.Name, name + kind)),
                        $"{where}: carla/{name} is not recorded, but its directory {name + kind} is still there\n{server.ServerLog(80)}");
                // The creation the caller never saw confirmed can be made again.
                using var again = await http.PostAsJsonAsync(new Uri(server.HttpAddress, $"/2.0/repositories/{owner.Name}/{name}"), new { scm = hg ? "hg" : "git" });
                Assert.True(again.StatusCode == HttpStatusCode.OK, $"{where}: creating carla/{name} again: {(int)again.StatusCode} {await again.Content.ReadAsStringAsync()}");
                Assert.True(Directory.Exists(directory), $"{where}: carla/{name} was made again but has no directory");
            }
        }
    }

    /// <summary>
    /// Runs `wharf admin repo create carla/NAME` (the same creation code as the API) and, as soon as its staging directory
    /// appears, takes the database's write lock with sqlite3, so that the creation cannot record the repository; once its
    /// directory is complete, kills it.
    /// </summary>
    private async Task KillCreationWhileTheDatabaseIsHeldAsync(string name, bool hg, string where)
    {
        var staging = Path.Combine(server.DataDirectory, "repositories", ".tmp");
        Directory.CreateDirectory(staging);
        var existing = Directory.EnumerateDirectories(staging).ToHashSet(StringComparer.Ordinal);
        var target = Path.Combine(server.DataDirectory, "repositories", "carla", name + (hg ? ".hg" : ".git"));
        // Started before, so that taking the lock is one line away.
        var sqlite = Process.Start(ProcessRunner.StartInfo(Tools.Require("sqlite3", "sqlite3"), [Path.Combine(server.DataDirectory, "wharf.db")], server.Root))!;
        try
        {
            await sqlite.StandardInput.WriteLineAsync(".timeout 30000");
            await sqlite.StandardInput.WriteLineAsync("SELECT 'ready';");
            await sqlite.StandardInput.FlushAsync();
            Assert.Equal("ready", await sqlite.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));
            var create = ProcessRunner.StartInfo(Tools.Dotnet,
                [WharfServer.WharfDll, "admin", "repo", "create", "carla/" + name, .. hg ? new[] { "--hg" } : [], "--data", server.DataDirectory], server.Root);
            using var cli = Process.Start(create)!;
            var stderr = cli.StandardError.ReadToEndAsync();
            _ = cli.StandardOutput.ReadToEndAsync();
            using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
            {
                while (!cli.HasExited && !Directory.EnumerateDirectories(staging).Any(d => !existing.Contains(d)))
                {
                    if (limit.IsCancellationRequested) Assert.Fail($"{where}: no staging directory appeared");
                    await Task.Delay(2, CancellationToken.None);
                }
            }

            await sqlite.StandardInput.WriteLineAsync("BEGIN IMMEDIATE;");
            await sqlite.StandardInput.WriteLineAsync("SELECT 'held';");
            await sqlite.StandardInput.FlushAsync();
            Assert.Equal("held", await sqlite.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));
            await WaitUntilAsync(() => cli.HasExited || Directory.Exists(target) || Directory.EnumerateDirectories(staging).Any(d => !existing.Contains(d) && CompleteRepository(d)),
                $"{where}: the repository directory to be made");
            await Task.Delay(500);
            // Ended: it recorded the repository before sqlite3 got the lock (the check below still holds); said in the output.
            if (cli.HasExited) output.WriteLine($"{where}: the creation finished before the database was held (exit {cli.ExitCode}): {await stderr}");
            cli.Kill(entireProcessTree: true);
            await cli.WaitForExitAsync();
        }
        finally
        {
            ProcessRunner.Kill(sqlite);
            sqlite.Dispose();
        }
    }

    private static bool CompleteRepository(string directory) =>
        File.Exists(Path.Combine(directory, "HEAD")) || File.Exists(Path.Combine(directory, ".hg", "requires"));

    private static HttpClient ApiClient(string token)
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            if (limit.IsCancellationRequested) Assert.Fail($"gave up waiting for {what}\n{server.ServerLog(80)}");
            await Task.Delay(20, CancellationToken.None);
        }
    }

    /// <summary>What a repository holds: git's refs (name → id) or every Mercurial changeset with its branch and phase.</summary>
    private sealed record Snapshot(SortedDictionary<string, string> Entries)
    {
        public bool Equals(Snapshot? other) => other is not null && Entries.Count == other.Entries.Count &&
                                               Entries.All(e => other.Entries.TryGetValue(e.Key, out var v) && v == e.Value);

        public override int GetHashCode() => Entries.Count;

        public override string ToString() => string.Join('\n', Entries.Select(e => $"  {e.Key} {e.Value}"));
    }

    private async Task<Snapshot> SnapshotAsync(Target target)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (target.Hg)
        {
            var log = await HgLocalAsync(target.OnDisk, ["log", "-r", "all()", "-T", "{node} {branch}\\n"]);
            Expect.Succeeded(log, server, $"hg log in {target.OnDisk}");
            foreach (var line in log.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var fields = line.Split(' ', 2);
                entries[fields[0]] = fields[1];
            }
        }
        else
        {
            var refs = await ProcessRunner.RunAsync(Tools.Git, ["--git-dir", target.OnDisk, "for-each-ref", "--format=%(refname) %(objectname)"]);
            Expect.Succeeded(refs, server, $"git for-each-ref in {target.OnDisk}");
            foreach (var line in refs.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var fields = line.Split(' ', 2);
                entries[fields[0]] = fields[1];
            }
        }

        return new Snapshot(entries);
    }

    /// <summary>git fsck --strict or hg verify on the server's copy, and no lock or interrupted transaction left for the next writer.</summary>
    private async Task<Snapshot> CheckIntactAsync(Target target, string where)
    {
        if (target.Hg)
        {
            var verify = await HgLocalAsync(target.OnDisk, ["verify"]);
            Expect.Succeeded(verify, server, $"{where}: hg verify {target.Name}");
            Assert.DoesNotContain("abandoned transaction", verify.Stdout + verify.Stderr, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(target.OnDisk, ".hg", "store", "journal")), $"{where}: {target.Name} still has an interrupted transaction (.hg/store/journal)\n{server.ServerLog(80)}");
        }
        else
        {
            var fsck = await ProcessRunner.RunAsync(Tools.Git, ["--git-dir", target.OnDisk, "fsck", "--strict", "--no-progress", "--no-dangling"]);
            Expect.Succeeded(fsck, server, $"{where}: git fsck --strict {target.Name}");
            // "notice:" lines only describe (an empty repository's unborn HEAD); anything else is a complaint.
            var complaints = fsck.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("notice: ", StringComparison.Ordinal)).ToList();
            Assert.True(complaints.Count == 0, $"{where}: git fsck --strict {target.Name} complained\n{fsck.Describe()}");
        }

        return await SnapshotAsync(target);
    }

    /// <summary>
    /// Whether the push landed: asserts that <paramref name="after"/> is exactly the state before the push
    /// (<paramref name="before"/>) or after it (<paramref name="expected"/>: for git the pushed branch's new id, every other
    /// ref as before; for Mercurial every changeset of the local repository).
    /// </summary>
    private bool CheckOldOrNew(Target target, string branch, Snapshot before, Snapshot after, Snapshot expected, string where)
    {
        bool landed;
        if (target.Hg)
        {
            landed = after.Equals(expected);
        }
        else
        {
            var refName = "refs/heads/" + branch;
            var others = after.Entries.Where(e => e.Key != refName).ToList();
            landed = after.Entries.GetValueOrDefault(refName) == expected.Entries[refName] &&
                     others.Count == before.Entries.Count(e => e.Key != refName) &&
                     others.All(e => before.Entries.GetValueOrDefault(e.Key) == e.Value);
        }

        Assert.True(landed || after.Equals(before),
            $"{where}: {target.Name} holds neither its state before the push nor the pushed one\nbefore:\n{before}\nafter:\n{after}\npushed:\n{expected}\n{server.ServerLog(80)}");
        return landed;
    }

    /// <summary>The state the server must have once the push of <paramref name="branch"/> landed.</summary>
    private async Task<Snapshot> LocalStateAsync(Target target, string branch)
    {
        if (target.Hg)
        {
            var log = await HgLocalAsync(target.Local, ["log", "-r", "all()", "-T", "{node} {branch}\\n"]);
            Expect.Succeeded(log, server, "hg log (local)");
            var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in log.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var fields = line.Split(' ', 2);
                entries[fields[0]] = fields[1];
            }

            return new Snapshot(entries);
        }

        var head = await Workspace.RevParseAsync(server, server.Alice, target.Local, "HEAD");
        return new Snapshot(new SortedDictionary<string, string>(StringComparer.Ordinal) { ["refs/heads/" + branch] = head });
    }

    private async Task CommitAsync(Target target, string branch, string size, Random random)
    {
        target.Commits++;
        var file = $"data/{target.Commits % 7}.bin";
        var length = size switch { "small" => 200, "medium" => 256 * 1024, _ => 3 * 1024 * 1024 };
        if (target.Hg)
        {
            var branches = await HgLocalAsync(target.Local, ["branches", "-c", "-T", "{branch}\\n"]);
            if (branches.Stdout.Split('\n').Contains(branch))
                Expect.Succeeded(await HgLocalAsync(target.Local, ["update", "-q", "-C", branch]), server, $"hg update {branch}");
            else
                Expect.Succeeded(await HgLocalAsync(target.Local, ["branch", "-f", "-q", branch]), server, $"hg branch {branch}");
            await Workspace.WriteRandomFileAsync(target.Local, file, length, random.Next());
            Expect.Succeeded(await HgLocalAsync(target.Local, ["commit", "-q", "-A", "-m", $"commit {target.Commits}"]), server, "hg commit");
        }
        else
        {
            Expect.Succeeded(await server.GitAsync(server.Alice, target.Local, ["checkout", "-q", "-B", branch]), server, $"git checkout -B {branch}");
            await Workspace.WriteRandomFileAsync(target.Local, file, length, random.Next());
            await Workspace.CommitAllAsync(server, server.Alice, target.Local, $"commit {target.Commits}");
        }
    }

    private Task<ProcessResult> PushAsync(Target target, string branch) => target.Hg
        ? server.HgAsync(server.Alice.Key, target.Local, ["push", "-q", "-f", "--new-branch", server.HgUrl(target.Name)])
        : server.GitAsync(server.Alice, target.Local, ["push", "-q", server.SshUrl(target.Name), $"+HEAD:refs/heads/{branch}"]);

    private async Task CheckCloneAsync(Target target, string branch, Snapshot expected, string where)
    {
        var parent = server.NewDirectory("crash-clone");
        if (target.Hg)
        {
            Expect.Succeeded(await server.HgAsync(server.Alice.Key, parent, ["clone", "-q", "-U", server.HgUrl(target.Name), "clone"]), server, $"{where}: hg clone");
            var log = await HgLocalAsync(Path.Combine(parent, "clone"), ["log", "-r", "all()", "-T", "{node} {branch}\\n"]);
            Assert.Equal(expected.ToString(), new Snapshot(new SortedDictionary<string, string>(
                log.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', 2)).ToDictionary(f => f[0], f => f[1]), StringComparer.Ordinal)).ToString());
        }
        else
        {
            Expect.Succeeded(await server.GitAsync(server.Alice, parent, ["clone", "-q", "--bare", server.SshUrl(target.Name), "clone.git"]), server, $"{where}: git clone");
            var cloned = await ProcessRunner.RunAsync(Tools.Git, ["--git-dir", Path.Combine(parent, "clone.git"), "rev-parse", "refs/heads/" + branch]);
            Assert.Equal(expected.Entries["refs/heads/" + branch], cloned.Stdout.Trim());
        }

        Directory.Delete(parent, recursive: true);
    }

    private Task<ProcessResult> HgLocalAsync(string directory, IEnumerable<string> arguments) =>
        ProcessRunner.RunAsync(Tools.Hg, ["--config", "ui.username=Wharf Test <test@example.com>", .. arguments], directory,
            new Dictionary<string, string?> { ["HOME"] = server.Home, ["HGRCPATH"] = "", ["HGPLAIN"] = "1" });

    /// <summary>Waits (bounded) until every process id in <paramref name="pids"/> is gone.</summary>
    private static async Task WaitForExitAsync(IReadOnlyList<int> pids)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (pids.Any(pid => Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}")))
        {
            if (limit.IsCancellationRequested) Assert.Fail($"processes {string.Join(' ', pids)} left by the kill still run after 60 s");
            await Task.Delay(50, CancellationToken.None);
        }
    }
}
