using Microsoft.EntityFrameworkCore;
using Wharf.Core;
using Wharf.Core.Audit;
using Wharf.Data;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>A server with the people and keys of the access matrix: a read grantee, a write grantee and a stranger.</summary>
public sealed class AccessMatrixServer : IAsyncLifetime
{
    public WharfServer Server { get; } = new();
    public TestUser Reader { get; private set; } = null!;
    public TestUser Writer { get; private set; } = null!;
    public TestUser Stranger { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Server.InitializeAsync();
        _ = Tools.Hg;
        Reader = await Server.CreateUserAsync("carol", "ed25519");
        Writer = await Server.CreateUserAsync("dave", "ed25519");
        Stranger = await Server.CreateUserAsync("erin", "ed25519");
    }

    public Task DisposeAsync() => Server.DisposeAsync();
}

/// <summary>
/// Issue 5's access matrix, end to end with the real git and hg over Wharf's SSH server: who may clone
/// and who may push, for each rung of the policy, on a git and on a Mercurial repository. Refusals are
/// checked by their exact line, and a refused push must leave the repository as it was. The git repositories are
/// seeded on <see cref="SeedBranch"/>, neither git's old default nor the server's, so a clone that checks out its
/// files shows that the first pushed branch became the default branch.
/// </summary>
public sealed class RepositoryAccessMatrixTests(AccessMatrixServer fixture) : IClassFixture<AccessMatrixServer>
{
    private WharfServer Server => fixture.Server;

    public static TheoryData<string, bool, bool, bool> Matrix()
    {
        // subject, hg?, may clone, may push
        var rows = new TheoryData<string, bool, bool, bool>();
        foreach (var hg in new[] { false, true })
        {
            rows.Add("owner", hg, true, true);
            rows.Add("read grant", hg, true, false);
            rows.Add("write grant", hg, true, true);
            rows.Add("no grant", hg, false, false);
            rows.Add("read-only access key", hg, true, false);
            rows.Add("read-write access key", hg, true, true);
            rows.Add("public repository, no grant", hg, true, false);
            rows.Add("access key of another repository", hg, false, false);
        }
        return rows;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task WhoMayCloneAndPush(string subject, bool hg, bool mayClone, bool mayPush)
    {
        var alice = Server.Alice;
        var repository = await Server.CreateRepositoryAsync(alice, hg ? "merc" : "site", hg, isPublic: subject.StartsWith("public", StringComparison.Ordinal));
        var (user, key) = await SubjectAsync(subject, repository);
        var what = $"{subject} on a {(hg ? "Mercurial" : "git")} repository";

        await SeedAsync(repository, hg);
        var before = await HistoryAsync(repository, hg);

        var clone = await CloneAsync(user, key, repository, hg);
        if (mayClone)
        {
            Expect.Succeeded(clone.Run, Server, $"{what}: clone");
            if (!hg)
            {
                Expect.That(!clone.Run.Stderr.Contains("warning:", StringComparison.Ordinal), $"{what}: the clone prints no warning", clone.Run, Server);
                Assert.Equal(SeedBranch, await Workspace.CurrentBranchAsync(Server, user, clone.Checkout));
                Assert.True(File.Exists(Path.Combine(clone.Checkout, "README.md")), $"{what}: the clone checked out the seeded README.md");
            }
        }
        else
        {
            Expect.Failed(clone.Run, Server, $"{what}: clone");
            Expect.StderrContains($"wharf: Repository '{repository}' does not exist, or you do not have access to it.", clone.Run, Server, $"{what}: clone refusal");
        }

        var push = await PushAsync(user, key, repository, hg, clone.Checkout, mayClone);
        var after = await HistoryAsync(repository, hg);
        if (mayPush)
        {
            Expect.Succeeded(push, Server, $"{what}: push");
            Assert.NotEqual(before, after);
            // The seed push by alice, then this one, by this key, in the log the issue names: the pusher's, or the owner's for an access key.
            var pushes = await PushesAsync(repository);
            Assert.Equal(2, pushes.Count);
            var expectedActor = subject.Contains("access key", StringComparison.Ordinal) ? "access key 'ci'" : user.Name;
            Assert.Equal((expectedActor, key.Fingerprint), (pushes[^1].Actor, pushes[^1].KeyFingerprint));
        }
        else
        {
            Expect.Failed(push, Server, $"{what}: push");
            var expected = !mayClone
                ? $"wharf: Repository '{repository}' does not exist, or you do not have access to it."
                : hg
                    ? $"remote: wharf: You have read access to {repository}; pushing needs write access."
                    : $"wharf: You need write access to {repository} to do this.";
            // hg prints what the server said on stdout ("remote: ..."), git on stderr.
            Expect.That((push.Stdout + push.Stderr).Contains(expected, StringComparison.Ordinal),
                $"{what}: push refusal must say {Expect.Visible(expected)}", push, Server);
            Assert.Equal(before, after);
            Assert.Single(await PushesAsync(repository)); // the seed's only
        }
    }

    private async Task<List<AuditEntry>> PushesAsync(string repository)
    {
        await using var db = WharfDatabase.OpenSqlite(new WharfPaths(Server.DataDirectory));
        return await db.AuditLog.AsNoTracking().Where(a => a.Action == AuditActions.Push && a.Repository == repository).OrderBy(a => a.Id).ToListAsync();
    }

    private async Task<(TestUser User, SshKey Key)> SubjectAsync(string subject, string repository)
    {
        switch (subject)
        {
            case "owner":
                return (Server.Alice, Server.Alice.Key);
            case "read grant":
                await Server.GrantAsync(repository, fixture.Reader, "read");
                return (fixture.Reader, fixture.Reader.Key);
            case "write grant":
                await Server.GrantAsync(repository, fixture.Writer, "write");
                return (fixture.Writer, fixture.Writer.Key);
            case "no grant" or "public repository, no grant":
                return (fixture.Stranger, fixture.Stranger.Key);
            case "read-only access key" or "read-write access key":
            {
                var key = await SshKey.GenerateAsync(Server.KeysDirectory, "deploy-" + Guid.NewGuid().ToString("N")[..8], "ed25519");
                await Server.AddAccessKeyAsync(repository, key, write: subject.StartsWith("read-write", StringComparison.Ordinal));
                return (Server.Alice, key);
            }
            case "access key of another repository":
            {
                var other = await Server.CreateRepositoryAsync(Server.Alice, "other", hg: repository.Contains("merc", StringComparison.Ordinal));
                var key = await SshKey.GenerateAsync(Server.KeysDirectory, "deploy-" + Guid.NewGuid().ToString("N")[..8], "ed25519");
                await Server.AddAccessKeyAsync(other, key, write: true);
                return (Server.Alice, key);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(subject), subject, "no such row");
        }
    }

    private const string SeedBranch = "trunk";

    private async Task SeedAsync(string repository, bool hg)
    {
        if (!hg)
        {
            var seed = Server.NewDirectory("git-seed");
            var work = Path.Combine(seed, "work");
            Expect.Succeeded(await Server.GitAsync(Server.Alice, seed, ["init", "-q", "-b", SeedBranch, "work"]), Server, $"git init -b {SeedBranch} (seed)");
            await Workspace.WriteFileAsync(work, "README.md", $"# {repository}\n");
            await Workspace.CommitAllAsync(Server, Server.Alice, work, "Seed");
            Expect.Succeeded(await Server.GitAsync(Server.Alice, work, ["push", "-q", Server.Url(repository), SeedBranch]), Server, $"git push {SeedBranch} (seed)");
            return;
        }
        var parent = Server.NewDirectory("hg-seed");
        Expect.Succeeded(await Server.HgAsync(Server.Alice.Key, parent, ["clone", Server.HgUrl(repository), "checkout"]), Server, "hg clone (seed)");
        var checkout = Path.Combine(parent, "checkout");
        await Workspace.WriteFileAsync(checkout, "README", "seeded\n");
        Expect.Succeeded(await Server.HgAsync(Server.Alice.Key, checkout, ["commit", "-A", "-m", "Seed"]), Server, "hg commit (seed)");
        Expect.Succeeded(await Server.HgAsync(Server.Alice.Key, checkout, ["push"]), Server, "hg push (seed)");
    }

    /// <summary>The repository's history as its owner sees it: branch heads for git, every changeset id for hg.</summary>
    private async Task<string> HistoryAsync(string repository, bool hg)
    {
        if (!hg)
        {
            var run = await Server.GitAsync(Server.Alice, Server.WorkDirectory, ["ls-remote", Server.Url(repository)]);
            Expect.Succeeded(run, Server, "git ls-remote (owner)");
            return run.Stdout;
        }
        var parent = Server.NewDirectory("hg-look");
        Expect.Succeeded(await Server.HgAsync(Server.Alice.Key, parent, ["clone", "-U", Server.HgUrl(repository), "look"]), Server, "hg clone (owner)");
        var log = await Server.HgAsync(Server.Alice.Key, Path.Combine(parent, "look"), ["log", "-T", "{node}\\n"]);
        Expect.Succeeded(log, Server, "hg log (owner)");
        return log.Stdout;
    }

    private async Task<(ProcessResult Run, string Checkout)> CloneAsync(TestUser user, SshKey key, string repository, bool hg)
    {
        var parent = Server.NewDirectory("matrix");
        var checkout = Path.Combine(parent, "checkout");
        var run = hg
            ? await Server.HgAsync(key, parent, ["clone", Server.HgUrl(repository), "checkout"])
            : await Server.GitAsync(user, parent, ["clone", Server.Url(repository), "checkout"], key);
        return (run, checkout);
    }

    /// <summary>Pushes one new commit: from the clone when there is one, else from a fresh repository (forced for hg, a new branch for git).</summary>
    private async Task<ProcessResult> PushAsync(TestUser user, SshKey key, string repository, bool hg, string checkout, bool cloned)
    {
        if (!cloned)
        {
            Directory.CreateDirectory(checkout);
            var init = hg ? await Server.HgAsync(key, checkout, ["init"]) : await Server.GitAsync(user, checkout, ["init", "-q"], key);
            Expect.Succeeded(init, Server, "init for push");
        }
        await Workspace.WriteFileAsync(checkout, "change-" + Guid.NewGuid().ToString("N")[..6], "a change\n");
        if (hg)
        {
            Expect.Succeeded(await Server.HgAsync(key, checkout, ["commit", "-A", "-m", "A change"]), Server, "hg commit");
            return await Server.HgAsync(key, checkout, cloned ? ["push"] : ["push", "-f", Server.HgUrl(repository)]);
        }
        await Workspace.CommitAllAsync(Server, user, checkout, "A change");
        return await Server.GitAsync(user, checkout, ["push", Server.Url(repository), "HEAD:refs/heads/change"], key);
    }
}
