using System.Net;
using Microsoft.EntityFrameworkCore;
using Wharf.Server.Tests.Support;

namespace Wharf.Server.Tests;

/// <summary>/2.0/repositories through the real host: repositories, permissions and deploy keys, with every refusal's code and message.</summary>
public sealed class RepositoryApiTests : IAsyncLifetime
{
    private readonly ServeHost _host = new();
    private string _alice = "", _bob = "", _root = "";

    public async Task InitializeAsync()
    {
        _alice = await _host.UserWithTokenAsync("alice");
        _bob = await _host.UserWithTokenAsync("bob");
        _root = await _host.UserWithTokenAsync("root", admin: true);
        await _host.StartAsync();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<(HttpStatusCode Status, System.Text.Json.JsonElement Body)> Send(HttpMethod method, string path, string? token, object? body = null) =>
        _host.SendAsync(method, path, token, body);

    private const string NotFound = "Repository 'alice/site' does not exist, or you do not have access to it.";

    [Fact]
    public async Task CreatingARepositoryAnswersBitbucketsObjectWithItsSshCloneUrl()
    {
        var (status, body) = await Send(HttpMethod.Post, "/2.0/repositories/alice/site", _alice, new { scm = "hg", is_private = false });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("repository", "alice/site", "site", "hg", false),
            (body.GetProperty("type").GetString(), body.GetProperty("full_name").GetString(), body.GetProperty("slug").GetString(),
             body.GetProperty("scm").GetString(), body.GetProperty("is_private").GetBoolean()));
        // Mercurial is served over SSH only: no https entry.
        Assert.Equal(new (string?, string?)[] { ("ssh", $"ssh://hg@127.0.0.1:{_host.SshPort}/alice/site") }, CloneLinks(body));
        Assert.Equal("alice", body.GetProperty("owner").GetProperty("username").GetString());
        Assert.True(Directory.Exists(Path.Combine(_host.Data.Paths.DataDirectory, "repositories", "alice", "site.hg", ".hg")));
    }

    [Fact]
    public async Task ARepositoryIsPrivateGitByDefaultWithTheScpLikeUrlOnlyOnPort22()
    {
        var (status, body) = await Send(HttpMethod.Post, "/2.0/repositories/alice/site", _alice);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("git", true), (body.GetProperty("scm").GetString(), body.GetProperty("is_private").GetBoolean()));
        Assert.Equal($"ssh://git@127.0.0.1:{_host.SshPort}/alice/site.git", CloneLinks(body).Single(l => l.Name == "ssh").Href);
    }

    [Fact]
    public async Task AGitRepositoryListsItsHttpsCloneUrlBesideSshAsBitbucketDoes()
    {
        await Send(HttpMethod.Post, "/2.0/repositories/alice/site", _alice);

        var (status, body) = await Send(HttpMethod.Get, "/2.0/repositories/alice/site", _alice);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(new (string?, string?)[]
        {
            ("https", $"{_host.Http.BaseAddress!.GetLeftPart(UriPartial.Authority)}/alice/site.git"),
            ("ssh", $"ssh://git@127.0.0.1:{_host.SshPort}/alice/site.git"),
        }, CloneLinks(body));
    }

    private static List<(string? Name, string? Href)> CloneLinks(System.Text.Json.JsonElement repository) =>
        [.. repository.GetProperty("links").GetProperty("clone").EnumerateArray().Select(l => (l.GetProperty("name").GetString(), l.GetProperty("href").GetString()))];

    public static TheoryData<string, object?, HttpStatusCode, string, string> CreateRefusals => new()
    {
        { "/2.0/repositories/alice/-x", null, HttpStatusCode.BadRequest, "repository-name-invalid",
            "Invalid repository name '-x': use 1 to 100 letters, digits, '-', '_' or '.', starting with a letter or digit, not ending in '.git'." },
        { "/2.0/repositories/alice/a..b", null, HttpStatusCode.BadRequest, "repository-name-invalid",
            "Invalid repository name 'a..b': use 1 to 100 letters, digits, '-', '_' or '.', starting with a letter or digit, not ending in '.git'." },
        { "/2.0/repositories/alice/" + new string('a', 101), null, HttpStatusCode.BadRequest, "repository-name-invalid",
            $"Invalid repository name '{new string('a', 64)}…': use 1 to 100 letters, digits, '-', '_' or '.', starting with a letter or digit, not ending in '.git'." },
        { "/2.0/repositories/alice/site", new { scm = "svn" }, HttpStatusCode.BadRequest, "repository-scm-invalid", "Unknown scm 'svn': use \"git\" or \"hg\"." },
        { "/2.0/repositories/bob/site", null, HttpStatusCode.Forbidden, "repository-forbidden", "You can create repositories only in your own workspace." },
    };

    [Theory]
    [MemberData(nameof(CreateRefusals))]
    public async Task BadCreatesAreRefusedAndNothingIsMade(string path, object? body, HttpStatusCode expected, string code, string message)
    {
        var (status, error) = await Send(HttpMethod.Post, path, _alice, body);
        Assert.Equal(expected, status);
        ServeHost.AssertError(error, code, message);
        Assert.Equal(0, await _host.Data.CountAsync(db => db.Repositories));
        Assert.False(Directory.Exists(Path.Combine(_host.Data.Paths.Repositories, "alice")) &&
                     Directory.EnumerateFileSystemEntries(Path.Combine(_host.Data.Paths.Repositories, "alice")).Any());
    }

    [Fact]
    public async Task ASecondCreateOfTheSameNameIs409()
    {
        await Send(HttpMethod.Post, "/2.0/repositories/alice/site", _alice);
        var (status, error) = await Send(HttpMethod.Post, "/2.0/repositories/alice/Site", _alice);
        Assert.Equal(HttpStatusCode.Conflict, status);
        ServeHost.AssertError(error, "repository-exists", "Repository 'alice/Site' already exists.");
        Assert.Equal(1, await _host.Data.CountAsync(db => db.Repositories));
    }

    [Fact]
    public async Task APrivateRepositoryLooksExactlyLikeAMissingOneToOthers()
    {
        await Send(HttpMethod.Post, "/2.0/repositories/alice/site", _alice);
        var (hidden, hiddenBody) = await Send(HttpMethod.Get, "/2.0/repositories/alice/site", _bob);
        await Send(HttpMethod.Delete, "/2.0/repositories/alice/site", _alice);
        var (missing, missingBody) = await Send(HttpMethod.Get, "/2.0/repositories/alice/site", _bob);

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (hidden, missing));
        ServeHost.AssertError(hiddenBody, "repository-not-found", NotFound);
        Assert.Equal(hiddenBody.ToString(), missingBody.ToString());
    }

    [Fact]
    public async Task AWorkspaceListShowsOthersOnlyWhatTheyMayRead()
    {
        await Send(HttpMethod.Post, "/2.0/repositories/alice/secret", _alice);
        await Send(HttpMethod.Post, "/2.0/repositories/alice/open", _alice, new { is_private = false });

        static string[] Names(System.Text.Json.JsonElement page) =>
            page.GetProperty("values").EnumerateArray().Select(v => v.GetProperty("full_name").GetString()!).ToArray();
        Assert.Equal(["alice/open", "alice/secret"], Names((await Send(HttpMethod.Get, "/2.0/repositories/alice", _alice)).Body));
        Assert.Equal(["alice/open"], Names((await Send(HttpMethod.Get, "/2.0/repositories/alice", _bob)).Body));
        Assert.Equal(["alice/open", "alice/secret"], Names((await Send(HttpMethod.Get, "/2.0/repositories/alice", _root)).Body));
    }

    [Fact]
    public async Task PermissionsAreGrantedChangedListedAndRemoved()
    {
        await Send(HttpMethod.Post, "/2.0/repositories/alice/site", _alice);
        const string bobPermission = "/2.0/repositories/alice/site/permissions-config/users/bob";

        var (created, grant) = await Send(HttpMethod.Put, bobPermission, _alice, new { permission = "read" });
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal(("repository_user_permission", "read", "bob"), (grant.GetProperty("type").GetString(),
            grant.GetProperty("permission").GetString(), grant.GetProperty("user").GetProperty("username").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "/2.0/repositories/alice/site", _bob)).Status);

        // Read is not enough to manage permissions.
        var (forbidden, error) = await Send(HttpMethod.Put, bobPermission, _bob, new { permission = "admin" });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden);
        ServeHost.AssertError(error, "repository-forbidden", "You need admin access to alice/site to do this.");

        var (changed, updated) = await Send(HttpMethod.Put, bobPermission, _alice, new { permission = "write" });
        Assert.Equal((HttpStatusCode.OK, "write"), (changed, updated.GetProperty("permission").GetString()));
        var list = (await Send(HttpMethod.Get, "/2.0/repositories/alice/site/permissions-config/users", _alice)).Body;
        Assert.Equal(1, list.GetProperty("size").GetInt32());

        Assert.Equal(HttpStatusCode.NoContent, (await Send(HttpMethod.Delete, bobPermission, _alice)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Get, "/2.0/repositories/alice/site", _bob)).Status);
        var (gone, goneBody) = await Send(HttpMethod.Delete, bobPermission, _alice);
        Assert.Equal(HttpStatusCode.NotFound, gone);
        ServeHost.AssertError(goneBody, "permission-not-found", "bob has no permission on alice/site.");
    }

    [Theory]
    [InlineData("alice", "sudo", HttpStatusCode.BadRequest, "permission-invalid", "Unknown permission 'sudo': use \"read\", \"write\" or \"admin\".")]
    [InlineData("alice", "read", HttpStatusCode.BadRequest, "permission-owner", "alice owns this repository and already has every permission.")]
    [InlineData("nobody", "read", HttpStatusCode.NotFound, "not-found", "User 'nobody' does not exist.")]
    public async Task BadGrantsAreRefused(string user, string permission, HttpStatusCode expected, string code, string message)
    {
        await Send(HttpMethod.Post, "/2.0/repositories/alice/site", _alice);
        var (status, error) = await Send(HttpMethod.Put, $"/2.0/repositories/alice/site/permissions-config/users/{user}", _alice, new { permission });
        Assert.Equal(expected, status);
        ServeHost.AssertError(error, code, message);
        Assert.Equal(0, await _host.Data.CountAsync(db => db.RepositoryGrants));
    }

    [Fact]
    public async Task DeployKeysAreReadOnlyByDefaultAndFollowTheKeyRules()
    {
        await Send(HttpMethod.Post, "/2.0/repositories/alice/site", _alice);
        const string keys = "/2.0/repositories/alice/site/deploy-keys";
        var key = TestKeys.Ed25519("ci@build");

        var (status, added) = await Send(HttpMethod.Post, keys, _alice, new { key, label = "CI" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("deploy_key", "CI", true, TestKeys.Fingerprint(key), "ci@build"), (added.GetProperty("type").GetString(),
            added.GetProperty("label").GetString(), added.GetProperty("read_only").GetBoolean(), added.GetProperty("fingerprint").GetString(),
            added.GetProperty("comment").GetString()));
        var id = added.GetProperty("id").GetInt64();

        var (dup, dupBody) = await Send(HttpMethod.Post, keys, _alice, new { key, label = "again" });
        Assert.Equal(HttpStatusCode.Conflict, dup);
        ServeHost.AssertError(dupBody, "access-key-duplicate", "This key is already an access key of alice/site, labelled 'CI'.");

        var (updated, updatedBody) = await Send(HttpMethod.Put, $"{keys}/{id}", _alice, new { label = "Deploy", read_only = false });
        Assert.Equal((HttpStatusCode.OK, "Deploy", false), (updated, updatedBody.GetProperty("label").GetString(), updatedBody.GetProperty("read_only").GetBoolean()));

        Assert.Equal(HttpStatusCode.NoContent, (await Send(HttpMethod.Delete, $"{keys}/{id}", _alice)).Status);
        var (gone, goneBody) = await Send(HttpMethod.Get, $"{keys}/{id}", _alice);
        Assert.Equal(HttpStatusCode.NotFound, gone);
        ServeHost.AssertError(goneBody, "access-key-not-found", $"Repository alice/site has no access key with id '{id}'.");
        // The key material goes with its last repository.
        Assert.Equal(0, await _host.Data.CountAsync(db => db.AccessKeys));
        // The audit log names the API's caller, not the command line.
        await using var db = _host.Data.OpenDatabase();
        var entries = await db.AuditLog.AsNoTracking()
            .Where(a => a.Action == Core.Audit.AuditActions.AccessKeyAdded || a.Action == Core.Audit.AuditActions.AccessKeyRemoved)
            .OrderBy(a => a.Id).Select(a => new { a.Action, a.Actor, a.SourceAddress }).ToListAsync();
        Assert.Equal([(Core.Audit.AuditActions.AccessKeyAdded, "alice"), (Core.Audit.AuditActions.AccessKeyRemoved, "alice")],
            entries.Select(e => (e.Action, e.Actor)));
        Assert.All(entries, e => Assert.NotEqual("local", e.SourceAddress));
    }

    [Fact]
    public async Task AnAccountKeyCannotBecomeADeployKeyNorTheReverse()
    {
        await Send(HttpMethod.Post, "/2.0/repositories/alice/site", _alice);
        var accountKey = TestKeys.Ed25519("bob@laptop");
        Assert.Equal(HttpStatusCode.Created, (await Send(HttpMethod.Post, "/2.0/users/bob/ssh-keys", _bob, new { key = accountKey })).Status);

        var (status, error) = await Send(HttpMethod.Post, "/2.0/repositories/alice/site/deploy-keys", _alice, new { key = accountKey });
        Assert.Equal(HttpStatusCode.Conflict, status);
        ServeHost.AssertError(error, "key-is-account-key",
            "This key is already registered as a personal SSH key, so it cannot also be an access key. Generate a separate key for this repository.");

        var deployKey = TestKeys.Ed25519("ci@build");
        await Send(HttpMethod.Post, "/2.0/repositories/alice/site/deploy-keys", _alice, new { key = deployKey });
        var (taken, takenBody) = await Send(HttpMethod.Post, "/2.0/users/bob/ssh-keys", _bob, new { key = deployKey });
        Assert.Equal(HttpStatusCode.Conflict, taken);
        Assert.Equal("key-in-use", takenBody.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(1, await _host.Data.CountAsync(db => db.SshKeys));
    }

    [Fact]
    public async Task APrivateKeyPastedAsADeployKeyIsRefusedAndNothingStored()
    {
        await Send(HttpMethod.Post, "/2.0/repositories/alice/site", _alice);
        var (status, error) = await Send(HttpMethod.Post, "/2.0/repositories/alice/site/deploy-keys", _alice,
            new { key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("key-private", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(0, await _host.Data.CountAsync(db => db.AccessKeys));
    }

    [Fact]
    public async Task OnlyAnAdministratorOfTheRepositoryDeletesItAndTheDirectoryGoesWithIt()
    {
        await Send(HttpMethod.Post, "/2.0/repositories/alice/site", _alice);
        await Send(HttpMethod.Put, "/2.0/repositories/alice/site/permissions-config/users/bob", _alice, new { permission = "write" });

        var (refused, error) = await Send(HttpMethod.Delete, "/2.0/repositories/alice/site", _bob);
        Assert.Equal(HttpStatusCode.Forbidden, refused);
        ServeHost.AssertError(error, "repository-forbidden", "You need admin access to alice/site to do this.");

        Assert.Equal(HttpStatusCode.NoContent, (await Send(HttpMethod.Delete, "/2.0/repositories/alice/site", _alice)).Status);
        Assert.False(Directory.Exists(_host.Data.Paths.Repository("alice", "site")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_host.Data.Paths.RepositoriesTrash));
        Assert.Equal((0, 0), (await _host.Data.CountAsync(db => db.Repositories), await _host.Data.CountAsync(db => db.RepositoryGrants)));
    }
}
