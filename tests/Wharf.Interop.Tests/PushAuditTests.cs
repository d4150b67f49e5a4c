using Microsoft.EntityFrameworkCore;
using Wharf.Core;
using Wharf.Core.Audit;
using Wharf.Data;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// What a real git push over SSH leaves behind for the audit log: one push entry naming the repository, the key
/// (label and fingerprint), the pusher and each ref it changed, old → new (also in a server log line); for Mercurial,
/// the changesets it added per branch.
/// </summary>
public sealed class PushAuditTests(WharfServer server) : IClassFixture<WharfServer>
{
    private TestUser Alice => server.Alice;

    private async Task<List<AuditEntry>> EntriesAsync(string? repository)
    {
        await using var db = WharfDatabase.OpenSqlite(new WharfPaths(server.DataDirectory));
        return await db.AuditLog.AsNoTracking().Where(a => a.Repository == repository).OrderBy(a => a.Id).ToListAsync();
    }

    [Fact]
    public async Task A_push_of_branches_and_a_tag_is_recorded_with_its_repository_key_and_refs()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "audited");
        var work = server.NewDirectory("push-audit");
        async Task<string> GitOkAsync(params string[] args)
        {
            var run = await server.GitAsync(Alice, work, args);
            Expect.Succeeded(run, server, "git " + string.Join(' ', args));
            return run.Stdout.Trim();
        }
        await GitOkAsync("init", "-q", "-b", "main");
        await GitOkAsync("-c", "user.name=Alice", "-c", "user.email=alice@example.com", "commit", "-q", "--allow-empty", "-m", "first");
        await GitOkAsync("tag", "v1");
        var first = await GitOkAsync("rev-parse", "HEAD");
        await GitOkAsync("remote", "add", "origin", server.Url(repository));
        await GitOkAsync("push", "-q", "origin", "main", "main:feature", "v1");

        var entries = await EntriesAsync(repository);
        // The CLI made it, then one push.
        Assert.Equal([AuditActions.RepositoryCreated, AuditActions.Push], entries.Select(e => e.Action));
        Assert.Equal("admin (cli)", entries[0].Actor);
        var push = entries[1];
        Assert.Equal(("alice", "laptop-ed25519", Alice.Key.Fingerprint, repository), (push.Actor, push.KeyLabel, push.KeyFingerprint, push.Repository));
        Assert.Equal($"feature new {first[..7]}, main new {first[..7]}, tag v1 new {first[..7]}", push.Detail);
        var log = server.ServerLog(int.MaxValue);
        var tagObject = first[..7];
        Assert.True(log.Contains($"alice pushed to {repository}: feature new {first[..7]}, main new {first[..7]}, tag v1 new {tagObject}", StringComparison.Ordinal),
            log);

        await GitOkAsync("-c", "user.name=Alice", "-c", "user.email=alice@example.com", "commit", "-q", "--allow-empty", "-m", "second");
        var second = await GitOkAsync("rev-parse", "HEAD");
        await GitOkAsync("push", "-q", "origin", "main", ":feature");
        var pushes = (await EntriesAsync(repository)).Where(e => e.Action == AuditActions.Push).ToList();
        Assert.Equal(2, pushes.Count);
        Assert.Equal($"feature deleted, main {first[..7]}→{second[..7]}", pushes[1].Detail);
        log = server.ServerLog(int.MaxValue);
        Assert.True(log.Contains($"alice pushed to {repository}: feature deleted, main {first[..7]}→{second[..7]}", StringComparison.Ordinal), log);
    }

    [Fact]
    public async Task A_Mercurial_push_is_recorded_with_the_changesets_it_added_per_branch()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "audited-hg", hg: true);
        var work = server.NewDirectory("push-audit-hg");
        async Task HgOkAsync(params string[] args)
        {
            var run = await server.HgAsync(Alice.Key, work, args);
            Expect.Succeeded(run, server, "hg " + string.Join(' ', args));
        }
        await HgOkAsync("init", ".");
        await File.WriteAllTextAsync(Path.Combine(work, "a.txt"), "one\n");
        await HgOkAsync("commit", "-q", "-A", "-m", "first");
        await File.WriteAllTextAsync(Path.Combine(work, "a.txt"), "two\n");
        await HgOkAsync("commit", "-q", "-m", "second");
        await HgOkAsync("branch", "-q", "stable");
        await File.WriteAllTextAsync(Path.Combine(work, "a.txt"), "three\n");
        await HgOkAsync("commit", "-q", "-m", "third");
        await HgOkAsync("push", "-q", "--new-branch", server.HgUrl(repository));

        var push = Assert.Single(await EntriesAsync(repository), e => e.Action == AuditActions.Push);
        Assert.Equal(("alice", repository), (push.Actor, push.Repository));
        Assert.Equal("default: 2 new changesets, stable: 1 new changeset", push.Detail);
    }
}
