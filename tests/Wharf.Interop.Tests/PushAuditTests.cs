using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Wharf.Core;
using Wharf.Core.Audit;
using Wharf.Data;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// What a real git push over SSH leaves behind for the audit log: one push entry naming the repository, the key
/// (label and fingerprint), the pusher and each ref it changed, old → new (also in a server log line); for Mercurial,
/// the changesets it added per branch and the bookmarks it set, moved or deleted.
/// </summary>
public sealed partial class PushAuditTests(WharfServer server) : IClassFixture<WharfServer>
{
    private TestUser Alice => server.Alice;

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

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

    [Fact]
    public async Task A_Mercurial_bookmark_only_push_is_recorded_with_the_bookmark_set_moved_and_deleted()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "bookmarked-hg", hg: true);
        var work = server.NewDirectory("push-audit-hg-bookmark");
        async Task<string> HgOkAsync(params string[] args)
        {
            var run = await server.HgAsync(Alice.Key, work, args);
            Expect.Succeeded(run, server, "hg " + string.Join(' ', args));
            return run.Stdout.Trim();
        }
        // hg push exits 1 when it sends no changesets, bookmark or not: what counts is what the server recorded.
        async Task PushBookmarkAsync()
        {
            var run = await server.HgAsync(Alice.Key, work, ["push", "-B", "feature", server.HgUrl(repository)]);
            Assert.True(run.ExitCode is 0 or 1, run.Stdout + run.Stderr);
        }
        await HgOkAsync("init", ".");
        await File.WriteAllTextAsync(Path.Combine(work, "a.txt"), "one\n");
        await HgOkAsync("commit", "-q", "-A", "-m", "first");
        await File.WriteAllTextAsync(Path.Combine(work, "a.txt"), "two\n");
        await HgOkAsync("commit", "-q", "-m", "second");
        var first = await HgOkAsync("log", "-r", "0", "-T", "{node}");
        var second = await HgOkAsync("log", "-r", "1", "-T", "{node}");
        await HgOkAsync("push", "-q", server.HgUrl(repository));

        // Set on a changeset the server already has: no changeset travels, only the bookmark.
        await HgOkAsync("bookmark", "-r", "0", "feature");
        await PushBookmarkAsync();
        await HgOkAsync("bookmark", "-f", "-r", "1", "feature");
        await PushBookmarkAsync();
        await HgOkAsync("bookmark", "-d", "feature");
        await PushBookmarkAsync();

        var pushes = (await EntriesAsync(repository)).Where(e => e.Action == AuditActions.Push).Select(e => e.Detail).ToList();
        Assert.Equal([
            "default: 2 new changesets",
            $"bookmark 'feature' set to {first[..12]}",
            $"bookmark 'feature' moved from {first[..12]} to {second[..12]}",
            "bookmark 'feature' deleted",
        ], pushes);

        // Shown where pushes are listed: the repository page and the pusher's audit log.
        await server.WharfOrThrowAsync(["admin", "user", "password", "alice"], "a long enough password\n");
        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        using var browser = new HttpClient(handler) { BaseAddress = server.HttpAddress };
        var token = WebUtility.HtmlDecode(AntiforgeryField().Match(await browser.GetStringAsync("/signin")).Groups[1].Value);
        using var signIn = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = "alice", ["password"] = "a long enough password", ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        foreach (var page in new[] { "/" + repository, "/account/audit" })
        {
            var html = WebUtility.HtmlDecode(await browser.GetStringAsync(page));
            Assert.Contains($"bookmark 'feature' set to {first[..12]}", html);
            Assert.Contains("bookmark 'feature' deleted", html);
        }
    }
}
