using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Server.Tests.Support;

namespace Wharf.Server.Tests;

/// <summary>
/// The history API in Bitbucket 2.0's shape through the real host, on a repository with real history: refs, branches
/// and tags, commits with paging, one commit, a diff as text and a diffstat; a repository one may not read answers
/// exactly as one that does not exist.
/// </summary>
public sealed class HistoryApiTests : IAsyncLifetime
{
    private readonly ServeHost _host = new();
    private string _alice = "", _bob = "";
    private HistoryRepository _h = null!;

    public async Task InitializeAsync()
    {
        _alice = await _host.UserWithTokenAsync("alice");
        _bob = await _host.UserWithTokenAsync("bob");
        await _host.StartAsync();
        var (status, _) = await Send("/2.0/repositories/alice/site", _alice, HttpMethod.Post);
        Assert.Equal(HttpStatusCode.OK, status);
        _h = HistoryRepository.Build(_host.Data.Root, Path.Combine(_host.Data.Paths.DataDirectory, "repositories", "alice", "site.git"));
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<(HttpStatusCode Status, JsonElement Body)> Send(string path, string? token, HttpMethod? method = null) =>
        _host.SendAsync(method ?? HttpMethod.Get, path, token);

    private const string Base = "/2.0/repositories/alice/site";

    [Fact]
    public async Task CommitsPageThroughTheDefaultBranchWithANextLinkAndNoSize()
    {
        var (status, body) = await Send(Base + "/commits?pagelen=2", _alice);
        Assert.Equal(HttpStatusCode.OK, status);
        var values = body.GetProperty("values");
        Assert.Equal([_h.Merge, Git.Ok(_h.Work, "rev-parse", "main^1")], values.EnumerateArray().Select(v => v.GetProperty("hash").GetString()));
        Assert.Equal((1, 2), (body.GetProperty("page").GetInt32(), body.GetProperty("pagelen").GetInt32()));
        Assert.False(body.TryGetProperty("size", out _));
        var next = body.GetProperty("next").GetString()!;
        Assert.EndsWith(Base + "/commits?page=2&pagelen=2", next);

        var (_, last) = await Send(Base + "/commits?page=3&pagelen=2", _alice);
        Assert.Equal([_h.Root], last.GetProperty("values").EnumerateArray().Select(v => v.GetProperty("hash").GetString()));
        Assert.Equal(JsonValueKind.Null, last.GetProperty("next").ValueKind);

        var (_, feature) = await Send(Base + "/commits/feature/x", _alice);
        Assert.Equal(["Feature work\n", "Rename, binary and a type change\n\nThe body <b>says</b> more.\nOver two lines.\n", "Root commit\n"],
            feature.GetProperty("values").EnumerateArray().Select(v => v.GetProperty("message").GetString() + "\n"));
        var (_, path) = await Send(Base + "/commits/trunk?path=new-name.txt", _alice);
        Assert.Equal([_h.Second], path.GetProperty("values").EnumerateArray().Select(v => v.GetProperty("hash").GetString()));

        var (missing, error) = await Send(Base + "/commits/no-such-branch", _alice);
        Assert.Equal(HttpStatusCode.NotFound, missing);
        ServeHost.AssertError(error, "revision-not-found", "There is no commit or ref 'no-such-branch' in alice/site.");
        var (bad, badPage) = await Send(Base + "/commits?pagelen=0", _alice);
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        ServeHost.AssertError(badPage, "invalid-page", "page must be 1 or more and pagelen 1 to 100.");
    }

    [Fact]
    public async Task ACommitIsBitbucketsCommitObject()
    {
        var (status, c) = await Send(Base + "/commit/" + _h.Second, _alice);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("commit", _h.Second), (c.GetProperty("type").GetString(), c.GetProperty("hash").GetString()));
        Assert.Equal(("author", "Alice Author <alice@example.org>"), (c.GetProperty("author").GetProperty("type").GetString(), c.GetProperty("author").GetProperty("raw").GetString()));
        Assert.Equal("Rename, binary and a type change\n\nThe body <b>says</b> more.\nOver two lines.", c.GetProperty("message").GetString());
        Assert.Equal("Rename, binary and a type change\n\nThe body <b>says</b> more.\nOver two lines.", c.GetProperty("summary").GetProperty("raw").GetString());
        Assert.True(c.GetProperty("date").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(-1));
        var parent = c.GetProperty("parents")[0];
        Assert.Equal(("commit", _h.Root), (parent.GetProperty("type").GetString(), parent.GetProperty("hash").GetString()));
        Assert.EndsWith($"{Base}/commit/{_h.Root}", parent.GetProperty("links").GetProperty("self").GetProperty("href").GetString());
        Assert.EndsWith($"/alice/site/commits/{_h.Second}", c.GetProperty("links").GetProperty("html").GetProperty("href").GetString());
        Assert.Equal("alice/site", c.GetProperty("repository").GetProperty("full_name").GetString());

        var (missing, error) = await Send(Base + "/commit/0123456789abcdef0123456789abcdef01234567", _alice);
        Assert.Equal(HttpStatusCode.NotFound, missing);
        ServeHost.AssertError(error, "revision-not-found", "There is no commit or ref '0123456789abcdef0123456789abcdef01234567' in alice/site.");
        Assert.Equal(HttpStatusCode.NotFound, (await Send(Base + "/commit/--output=x", _alice)).Status);
    }

    [Fact]
    public async Task TheDiffIsTextAndTheDiffstatHasBitbucketsStatusesCountsAndSides()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Base + "/diff/" + _h.Second);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _alice);
        using var response = await _host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        var text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\n", text);
        Assert.Contains("rename from old-name.txt\nrename to new-name.txt\n", text);

        var (status, body) = await Send(Base + "/diffstat/" + _h.Second, _alice);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(4, body.GetProperty("size").GetInt32());
        var stats = body.GetProperty("values").EnumerateArray().ToDictionary(v => (v.GetProperty("new").ValueKind == JsonValueKind.Null ? v.GetProperty("old") : v.GetProperty("new")).GetProperty("path").GetString()!);
        Assert.All(stats.Values, v => Assert.Equal("diffstat", v.GetProperty("type").GetString()));
        var renamed = stats["new-name.txt"];
        Assert.Equal(("renamed", 2, 1, "old-name.txt"), (renamed.GetProperty("status").GetString(), renamed.GetProperty("lines_added").GetInt32(),
            renamed.GetProperty("lines_removed").GetInt32(), renamed.GetProperty("old").GetProperty("path").GetString()));
        Assert.Equal("commit_file", renamed.GetProperty("new").GetProperty("type").GetString());
        Assert.EndsWith($"{Base}/src/{_h.Root}/old-name.txt", renamed.GetProperty("old").GetProperty("links").GetProperty("self").GetProperty("href").GetString());
        Assert.EndsWith($"{Base}/src/{_h.Second}/new-name.txt", renamed.GetProperty("new").GetProperty("links").GetProperty("self").GetProperty("href").GetString());
        Assert.Equal(("added", 0, 0, JsonValueKind.Null), (stats["logo.bin"].GetProperty("status").GetString(), stats["logo.bin"].GetProperty("lines_added").GetInt32(),
            stats["logo.bin"].GetProperty("lines_removed").GetInt32(), stats["logo.bin"].GetProperty("old").ValueKind));
        Assert.Equal(("removed", JsonValueKind.Null), (stats["gone.txt"].GetProperty("status").GetString(), stats["gone.txt"].GetProperty("new").ValueKind));
        Assert.Equal("modified", stats["typed"].GetProperty("status").GetString());

        // SOURCE..DESTINATION: what trunk has that the root commit did not.
        var (_, range) = await Send($"{Base}/diffstat/trunk..{_h.Root}?pagelen=100", _alice);
        Assert.Contains(range.GetProperty("values").EnumerateArray(), v => v.GetProperty("status").GetString() == "added"
            && v.GetProperty("new").GetProperty("path").GetString() == "trunk.txt");
        var (bad, error) = await Send($"{Base}/diffstat/trunk...main", _alice);
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        ServeHost.AssertError(error, "invalid-spec", "'trunk...main' is not a diff spec: use COMMIT or SOURCE..DESTINATION.");
        Assert.Equal(HttpStatusCode.NotFound, (await Send($"{Base}/diff/nope..main", _alice)).Status);
    }

    [Fact]
    public async Task BranchesAndTagsAreBitbucketsRefObjectsWithTheirTargetCommits()
    {
        var (status, body) = await Send(Base + "/refs/branches", _alice);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(3, body.GetProperty("size").GetInt32());
        var branches = body.GetProperty("values").EnumerateArray().ToList();
        Assert.Equal(["feature/x", "main", "trunk"], branches.Select(b => b.GetProperty("name").GetString()));
        var main = branches[1];
        Assert.Equal(("branch", true, _h.Merge), (main.GetProperty("type").GetString(), main.GetProperty("is_default").GetBoolean(),
            main.GetProperty("target").GetProperty("hash").GetString()));
        Assert.EndsWith("/alice/site/commits/branch/feature/x", branches[0].GetProperty("links").GetProperty("html").GetProperty("href").GetString());
        // The target commit carries the signature object, as /commits gives it (these commits are unsigned).
        Assert.All(branches, b => Assert.Equal(("unsigned", Wharf.Core.Signatures.SignatureReasons.NoSignature),
            (b.GetProperty("target").GetProperty("signature").GetProperty("status").GetString(), b.GetProperty("target").GetProperty("signature").GetProperty("reason").GetString())));

        var (_, tags) = await Send(Base + "/refs/tags", _alice);
        var byName = tags.GetProperty("values").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
        Assert.Equal(("tag", _h.Second, "Release 1.0"), (byName["v1.0"].GetProperty("type").GetString(),
            byName["v1.0"].GetProperty("target").GetProperty("hash").GetString(), byName["v1.0"].GetProperty("message").GetString()));
        Assert.Equal(_h.Root, byName["light"].GetProperty("target").GetProperty("hash").GetString());
        Assert.False(byName["light"].TryGetProperty("message", out _));

        var (_, refs) = await Send(Base + "/refs?pagelen=2", _alice);
        Assert.Equal(5, refs.GetProperty("size").GetInt32());
        Assert.EndsWith(Base + "/refs?page=2&pagelen=2", refs.GetProperty("next").GetString());
    }

    [Fact]
    public async Task APrivateRepositorysHistoryAnswersOthersExactlyAsAMissingOne()
    {
        foreach (var rest in new[] { "/refs", "/refs/branches", "/refs/tags", "/commits", "/commits/main", $"/commit/{_h.Second}", $"/diff/{_h.Second}", $"/diffstat/{_h.Second}" })
        {
            var (status, body) = await Send(Base + rest, _bob);
            var (missingStatus, missing) = await Send("/2.0/repositories/alice/nothing" + rest, _bob);
            Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (status, missingStatus));
            ServeHost.AssertError(body, "repository-not-found", "Repository 'alice/site' does not exist, or you do not have access to it.");
            ServeHost.AssertError(missing, "repository-not-found", "Repository 'alice/nothing' does not exist, or you do not have access to it.");
        }
    }
}

/// <summary>
/// The raw patch is streamed after the endpoint (and its error filter) has returned: a read stopped at Browse:Timeout
/// before the first byte still gets the API's JSON error or the pages' "Too slow" page, not a 500.
/// </summary>
public sealed class PatchTimeoutTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(3);

    /// <summary>A code browser whose patch read always runs out of time.</summary>
    private sealed class SlowPatches : Wharf.Core.Browse.ICodeBrowser
    {
        public Wharf.Core.Repositories.Scm Scm => Wharf.Core.Repositories.Scm.Git;
        public Task<bool> CopyPatchAsync(Wharf.Core.Repositories.RepositoryInfo repository, string? from, string to, Stream destination, CancellationToken cancellationToken) =>
            throw Wharf.Core.Browse.BrowseErrors.TooSlow(Limit);
        public Task<IReadOnlyList<Wharf.Core.Browse.RefInfo>> RefsAsync(Wharf.Core.Repositories.RepositoryInfo r, CancellationToken c) => throw new NotSupportedException();
        public Task<Wharf.Core.Browse.RefPath?> ResolveAsync(Wharf.Core.Repositories.RepositoryInfo r, string p, CancellationToken c) => throw new NotSupportedException();
        public Task<Wharf.Core.Browse.TreeListing?> TreeAsync(Wharf.Core.Repositories.RepositoryInfo r, string c, string p, CancellationToken t) => throw new NotSupportedException();
        public Task<Wharf.Core.Browse.FileContent?> FileAsync(Wharf.Core.Repositories.RepositoryInfo r, string c, string p, CancellationToken t) => throw new NotSupportedException();
        public Task<bool> CopyFileAsync(Wharf.Core.Repositories.RepositoryInfo r, string c, string p, Stream d, CancellationToken t) => throw new NotSupportedException();
        public Task<Wharf.Core.Browse.CommitList> CommitsAsync(Wharf.Core.Repositories.RepositoryInfo r, string v, string? p, int s, int n, CancellationToken t) => throw new NotSupportedException();
        public Task<Wharf.Core.Browse.CommitDetail?> CommitAsync(Wharf.Core.Repositories.RepositoryInfo r, string v, CancellationToken t) => throw new NotSupportedException();
        public Task<Wharf.Core.Browse.Diff?> DiffAsync(Wharf.Core.Repositories.RepositoryInfo r, string? f, string to, CancellationToken t) => throw new NotSupportedException();
        public Task<Wharf.Core.Browse.AheadBehind?> AheadBehindAsync(Wharf.Core.Repositories.RepositoryInfo r, string c, string b, CancellationToken t) => throw new NotSupportedException();
    }

    [Fact]
    public async Task ThePatchOfTheApiAnswers503WithTheBrowseTimeoutCode()
    {
        var http = new Microsoft.AspNetCore.Http.DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddLogging().AddOptions()
                .BuildServiceProvider(),
        };
        http.Request.Path = "/2.0/repositories/alice/site/diff/abcd";
        var body = new MemoryStream();
        http.Response.Body = body;
        var repository = new Wharf.Core.Repositories.RepositoryInfo(1, 1, "alice", "site", "/nowhere");
        await new Wharf.Server.Web.Code.CommitPages.PatchResult(new SlowPatches(), repository, null, "abcd", null).ExecuteAsync(http);
        Assert.Equal(503, http.Response.StatusCode);
        Assert.StartsWith("application/json", http.Response.ContentType);
        // Not the patch's own headers: the body is a JSON error, not a sandboxed text file.
        Assert.False(http.Response.Headers.ContainsKey("Content-Security-Policy"));
        using var json = JsonDocument.Parse(body.ToArray());
        Assert.Equal(("error", "browse-timeout", "Reading the repository took longer than 3 s, so it was stopped. Try again, or ask the administrator to raise Browse:Timeout."),
            (json.RootElement.GetProperty("type").GetString(), json.RootElement.GetProperty("error").GetProperty("code").GetString(),
                json.RootElement.GetProperty("error").GetProperty("message").GetString()));
    }
}
