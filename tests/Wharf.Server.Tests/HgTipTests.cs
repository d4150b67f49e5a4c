using System.Net;
using System.Text.Json;
using Wharf.Core.Repositories;

namespace Wharf.Server.Tests;

/// <summary>
/// Mercurial's own revision names as a ref, on the pages and in the API: <c>tip</c> (the newest changeset) and
/// <c>default</c> resolve as hg resolves them, with or without a trailing slash; a name that resolves to nothing is
/// named in the 404 without a stray slash.
/// </summary>
public sealed class HgTipTests : WebPageTestBase
{
    private HttpClient? _api;

    private async Task<(WebSession Alice, HgHistoryRepository History)> NotesAsync()
    {
        var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "notes", scm: "hg");
        var h = HgHistoryRepository.Build(Host.Data.Root, Host.Data.Paths.Repository("alice", "notes", Scm.Hg));
        _api = await ApiClientAsync("alice");
        return (alice, h);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> ApiAsync(string path)
    {
        using var response = await _api!.GetAsync(path);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Fact]
    public async Task Tip_and_default_are_refs_on_the_source_pages()
    {
        var (alice, _) = await NotesAsync();
        foreach (var path in new[] { "/alice/notes/src/tip/", "/alice/notes/src/tip", "/alice/notes/src/default/" })
        {
            var (status, html) = await alice.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, status);
            // The newest changeset's tree: the renamed file is there, the old name is not.
            Assert.Contains("data-name=\"new.txt\"", html);
            Assert.DoesNotContain("data-name=\"old.txt\"", html);
        }
        var (fileStatus, file) = await alice.GetAsync("/alice/notes/src/tip/new.txt");
        Assert.Equal(HttpStatusCode.OK, fileStatus);
        Assert.Contains("<caption class=\"visually-hidden\">new.txt, 4 lines</caption>", file);
        using var raw = await alice.Client.GetAsync("/alice/notes/raw/tip/new.txt");
        Assert.Equal("alpha\nbeta\ngamma\ndelta\n", await raw.Content.ReadAsStringAsync());

        var (missing, page) = await alice.GetAsync("/alice/notes/src/nope/");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal("alice/notes has no branch, tag or commit &#x27;nope&#x27;.", PageErrorOf(page));
    }

    [Fact]
    public async Task Tip_resolves_in_the_API_and_a_missing_ref_is_named_without_a_slash()
    {
        var (_, h) = await NotesAsync();
        var (status, src) = await ApiAsync("/2.0/repositories/alice/notes/src/tip/");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("new.txt", src.GetProperty("values").EnumerateArray().Select(v => v.GetProperty("path").GetString()));
        var (_, commit) = await ApiAsync("/2.0/repositories/alice/notes/commit/tip");
        Assert.Equal(h.Rename, commit.GetProperty("hash").GetString());
        var (_, commits) = await ApiAsync("/2.0/repositories/alice/notes/commits/tip");
        Assert.Equal(h.Rename, commits.GetProperty("values")[0].GetProperty("hash").GetString());
        var (_, defaultCommit) = await ApiAsync("/2.0/repositories/alice/notes/commit/default");
        Assert.Equal(h.Rename, defaultCommit.GetProperty("hash").GetString());

        var (missing, error) = await ApiAsync("/2.0/repositories/alice/notes/src/nope/");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal("alice/notes has no commit or path 'nope'.", error.GetProperty("error").GetProperty("message").GetString());
        var (_, inner) = await ApiAsync("/2.0/repositories/alice/notes/src/nope/docs/");
        Assert.Equal("alice/notes has no commit or path 'nope/docs'.", inner.GetProperty("error").GetProperty("message").GetString());
    }
}
