using System.Net;
using System.Text.Json;
using Wharf.Core.Repositories;
using Wharf.Server.Tests.Support;

namespace Wharf.Server.Tests;

/// <summary>
/// The source and history API for a Mercurial repository through the real host, on history made by real hg
/// (<see cref="HgHistoryRepository"/>): src, refs (branches with <c>default</c> marked, the bookmark, the tag),
/// commits of the default branch and of a named branch, one commit, a diff and a diffstat with a rename.
/// </summary>
public sealed class HgApiTests : IAsyncLifetime
{
    private readonly ServeHost _host = new();
    private string _alice = "";
    private HgHistoryRepository _h = null!;
    private const string Base = "/2.0/repositories/alice/notes";

    public async Task InitializeAsync()
    {
        _alice = await _host.UserWithTokenAsync("alice");
        await _host.StartAsync();
        var (status, body) = await Send(Base, HttpMethod.Post, new { scm = "hg" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("hg", body.GetProperty("scm").GetString());
        _h = HgHistoryRepository.Build(_host.Data.Root, _host.Data.Paths.Repository("alice", "notes", Scm.Hg));
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<(HttpStatusCode Status, JsonElement Body)> Send(string path, HttpMethod? method = null, object? body = null) =>
        _host.SendAsync(method ?? HttpMethod.Get, path, _alice, body);

    private static List<string?> Values(JsonElement body, string property) =>
        body.GetProperty("values").EnumerateArray().Select(v => v.GetProperty(property).GetString()).ToList();

    [Fact]
    public async Task Src_lists_the_root_at_a_changeset_and_serves_a_file()
    {
        var (status, body) = await Send($"{Base}/src/{_h.Rename}/");
        Assert.Equal(HttpStatusCode.OK, status);
        var values = body.GetProperty("values").EnumerateArray()
            .Select(v => (v.GetProperty("path").GetString(), v.GetProperty("type").GetString())).OrderBy(v => v.Item1, StringComparer.Ordinal).ToList();
        Assert.Equal([(".hgtags", "commit_file"), ("README.md", "commit_file"), ("docs", "commit_directory"), ("new.txt", "commit_file")], values);
        Assert.Equal(_h.Rename, body.GetProperty("values")[0].GetProperty("commit").GetProperty("hash").GetString());

        var (dirStatus, docs) = await Send($"{Base}/src/stable/docs");
        Assert.Equal(HttpStatusCode.OK, dirStatus);
        Assert.Equal(["docs/guide.txt"], Values(docs, "path"));

        using var client = new HttpClient { BaseAddress = _host.Http.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _alice);
        using var file = await client.GetAsync($"{Base}/src/{_h.Rename}/new.txt");
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("alpha\nbeta\ngamma\ndelta\n", await file.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Refs_mark_default_and_list_the_named_branch_the_bookmark_and_the_tag()
    {
        var (status, branches) = await Send($"{Base}/refs/branches");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["default", "feature", "stable"], Values(branches, "name"));
        var byName = branches.GetProperty("values").EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString()!);
        Assert.Equal(("branch", true, _h.Rename), (byName["default"].GetProperty("type").GetString(), byName["default"].GetProperty("is_default").GetBoolean(),
            byName["default"].GetProperty("target").GetProperty("hash").GetString()));
        Assert.Equal((false, _h.Stable), (byName["stable"].GetProperty("is_default").GetBoolean(), byName["stable"].GetProperty("target").GetProperty("hash").GetString()));
        Assert.Equal(_h.Stable, byName["feature"].GetProperty("target").GetProperty("hash").GetString());

        var (_, tags) = await Send($"{Base}/refs/tags");
        Assert.Equal(["v1.0"], Values(tags, "name"));
        Assert.Equal(("tag", _h.Root), (tags.GetProperty("values")[0].GetProperty("type").GetString(), tags.GetProperty("values")[0].GetProperty("target").GetProperty("hash").GetString()));
    }

    [Fact]
    public async Task Commits_follow_default_a_named_branch_and_one_changeset()
    {
        var (status, body) = await Send($"{Base}/commits");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([_h.Rename, _h.Tagging, _h.Root], Values(body, "hash"));

        var (_, stable) = await Send($"{Base}/commits/stable");
        Assert.Equal([_h.Stable, _h.Root], Values(stable, "hash"));

        var (one, c) = await Send($"{Base}/commit/{_h.Rename}");
        Assert.Equal(HttpStatusCode.OK, one);
        Assert.Equal(("commit", "Rename old.txt\n\nAnd add a line."), (c.GetProperty("type").GetString(), c.GetProperty("message").GetString()));
        Assert.Equal(HgWorkingCopy.User, c.GetProperty("author").GetProperty("raw").GetString());
        Assert.Equal([_h.Tagging], c.GetProperty("parents").EnumerateArray().Select(p => p.GetProperty("hash").GetString()));

        var (missing, error) = await Send($"{Base}/commits/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        ServeHost.AssertError(error, "revision-not-found", "There is no commit or ref 'nope' in alice/notes.");
    }

    [Fact]
    public async Task Diffstat_and_diff_show_the_rename()
    {
        var (status, body) = await Send($"{Base}/diffstat/{_h.Rename}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, body.GetProperty("size").GetInt32());
        var stat = body.GetProperty("values")[0];
        Assert.Equal(("renamed", 1, 0, "old.txt", "new.txt"), (stat.GetProperty("status").GetString(), stat.GetProperty("lines_added").GetInt32(),
            stat.GetProperty("lines_removed").GetInt32(), stat.GetProperty("old").GetProperty("path").GetString(), stat.GetProperty("new").GetProperty("path").GetString()));

        using var client = new HttpClient { BaseAddress = _host.Http.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _alice);
        using var diff = await client.GetAsync($"{Base}/diff/{_h.Rename}");
        Assert.Equal(HttpStatusCode.OK, diff.StatusCode);
        Assert.StartsWith("diff --git a/old.txt b/new.txt\nrename from old.txt\nrename to new.txt\n", await diff.Content.ReadAsStringAsync());
    }
}
