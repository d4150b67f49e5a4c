using System.Net;
using Microsoft.EntityFrameworkCore;
using Wharf.Core.Audit;
using Wharf.Server.Tests.Support;

namespace Wharf.Server.Tests;

/// <summary>
/// Issue 13 point 4 through the API: <c>require_signed_commits</c> on Bitbucket's repository object, changed by
/// <c>PUT /2.0/repositories/{workspace}/{slug}</c> at Admin level only, refused with its own message for a value that is
/// not a boolean and for a Mercurial repository, and recorded in the owner's audit log with who changed it.
/// </summary>
public sealed class RequireSignedCommitsApiTests : IAsyncLifetime
{
    private readonly ServeHost _host = new();
    private string _alice = "", _bob = "", _carol = "", _root = "";
    private const string Site = "/2.0/repositories/alice/site";

    public async Task InitializeAsync()
    {
        _alice = await _host.UserWithTokenAsync("alice");
        _bob = await _host.UserWithTokenAsync("bob");
        _carol = await _host.UserWithTokenAsync("carol");
        _root = await _host.UserWithTokenAsync("root", admin: true);
        await _host.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await _host.SendAsync(HttpMethod.Post, Site, _alice)).Status);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<bool> StoredAsync(string name = "site")
    {
        await using var db = _host.Data.OpenDatabase();
        return await db.Repositories.Where(r => r.LowerName == name).Select(r => r.RequireSignedCommits).SingleAsync();
    }

    private async Task<List<(string Label, string Actor)>> AuditAsync()
    {
        await using var db = _host.Data.OpenDatabase();
        return [.. (await db.AuditLog.Where(a => a.Action == AuditActions.SignedCommitsChanged).OrderBy(a => a.Id)
            .Select(a => new { a.KeyLabel, a.Actor, a.Repository }).ToListAsync())
            .Select(a => { Assert.Equal("alice/site", a.Repository); return (a.KeyLabel, a.Actor); })];
    }

    [Fact]
    public async Task The_owner_and_an_administrator_turn_it_on_and_off_and_the_audit_log_says_who()
    {
        var (_, before) = await _host.SendAsync(HttpMethod.Get, Site, _alice);
        Assert.False(before.GetProperty("require_signed_commits").GetBoolean());

        var (on, body) = await _host.SendAsync(HttpMethod.Put, Site, _alice, new { require_signed_commits = true });
        Assert.Equal(HttpStatusCode.OK, on);
        Assert.True(body.GetProperty("require_signed_commits").GetBoolean());
        Assert.True(await StoredAsync());
        var (_, read) = await _host.SendAsync(HttpMethod.Get, Site, _alice);
        Assert.True(read.GetProperty("require_signed_commits").GetBoolean());

        // The same value again changes and records nothing; null and absence leave it alone.
        Assert.Equal(HttpStatusCode.OK, (await _host.SendAsync(HttpMethod.Put, Site, _alice, new { require_signed_commits = true })).Status);
        Assert.Equal(HttpStatusCode.OK, (await _host.SendAsync(HttpMethod.Put, Site, _alice, new { require_signed_commits = (bool?)null })).Status);
        Assert.True(await StoredAsync());

        var (off, offBody) = await _host.SendAsync(HttpMethod.Put, Site, _root, new { require_signed_commits = false });
        Assert.Equal(HttpStatusCode.OK, off);
        Assert.False(offBody.GetProperty("require_signed_commits").GetBoolean());
        Assert.False(await StoredAsync());
        Assert.Equal([("Require signed commits: on", "alice"), ("Require signed commits: off", "root")], await AuditAsync());
    }

    [Fact]
    public async Task Others_are_refused_as_for_any_admin_change_and_nothing_changes()
    {
        Assert.Equal(HttpStatusCode.Created, (await _host.SendAsync(HttpMethod.Put, Site + "/permissions-config/users/bob", _alice, new { permission = "write" })).Status);

        // bob may push but not change settings: 403; carol cannot see the repository: 404, as for one that does not exist.
        var (forbidden, error) = await _host.SendAsync(HttpMethod.Put, Site, _bob, new { require_signed_commits = true });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden);
        ServeHost.AssertError(error, "repository-forbidden", "You need admin access to alice/site to do this.");
        var (hidden, notFound) = await _host.SendAsync(HttpMethod.Put, Site, _carol, new { require_signed_commits = true });
        Assert.Equal(HttpStatusCode.NotFound, hidden);
        ServeHost.AssertError(notFound, "repository-not-found", "Repository 'alice/site' does not exist, or you do not have access to it.");
        var (anonymous, _) = await _host.SendAsync(HttpMethod.Put, Site, null, new { require_signed_commits = true });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous);

        Assert.False(await StoredAsync());
        Assert.Empty(await AuditAsync());
    }

    [Theory]
    [InlineData("\"yes\"", "require_signed_commits takes true or false, not '\"yes\"'.")]
    [InlineData("1", "require_signed_commits takes true or false, not '1'.")]
    [InlineData("\"on\"", "require_signed_commits takes true or false, not '\"on\"'.")]
    public async Task A_value_that_is_not_a_boolean_is_a_400_that_changes_nothing(string json, string message)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, Site)
        {
            Content = new StringContent($$"""{"mainbranch": {"name": "main"}, "require_signed_commits": {{json}}}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _alice);
        var response = await _host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        ServeHost.AssertError(System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement, "signed-commits-invalid", message);
        Assert.False(await StoredAsync());
        Assert.Empty(await AuditAsync());
    }

    [Fact]
    public async Task A_Mercurial_repository_cannot_require_signed_commits()
    {
        Assert.Equal(HttpStatusCode.OK, (await _host.SendAsync(HttpMethod.Post, "/2.0/repositories/alice/notes", _alice, new { scm = "hg" })).Status);
        var (status, error) = await _host.SendAsync(HttpMethod.Put, "/2.0/repositories/alice/notes", _alice, new { require_signed_commits = true });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        ServeHost.AssertError(error, "signed-commits-hg", "alice/notes is a Mercurial repository: only git repositories can require signed commits.");
        Assert.False(await StoredAsync("notes"));
        var (_, read) = await _host.SendAsync(HttpMethod.Get, "/2.0/repositories/alice/notes", _alice);
        Assert.False(read.GetProperty("require_signed_commits").GetBoolean());
    }

    [Fact]
    public async Task The_cli_takes_the_same_path_recording_the_change_and_refusing_a_Mercurial_repository()
    {
        var on = await _host.Data.RunAsync("admin", "repo", "signed-commits", "alice/site", "--require", "on");
        Assert.Equal((0, "alice/site requires signed commits.\n"), (on.ExitCode, on.Out));
        Assert.True(await StoredAsync());
        Assert.Equal([("Require signed commits: on", "admin (cli)")], await AuditAsync());

        Assert.Equal(HttpStatusCode.OK, (await _host.SendAsync(HttpMethod.Post, "/2.0/repositories/alice/notes", _alice, new { scm = "hg" })).Status);
        var hg = await _host.Data.RunAsync("admin", "repo", "signed-commits", "alice/notes", "--require", "on");
        Assert.NotEqual(0, hg.ExitCode);
        Assert.Contains("alice/notes is a Mercurial repository: only git repositories can require signed commits.", hg.Error);
        Assert.False(await StoredAsync("notes"));
        Assert.Single(await AuditAsync());
    }
}
