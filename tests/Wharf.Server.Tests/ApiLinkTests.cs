using System.Net;
using System.Text.Json;
using Wharf.Core.Repositories;

namespace Wharf.Server.Tests;

/// <summary>
/// The links the history API hands out lead somewhere: every <c>links.*.href</c> of a commit, a branch and a tag answers
/// 200 (API links with the token, page links in the signed-in browser), for git and Mercurial; <c>/patch/{spec}</c>
/// is the raw patch, and <c>/refs/branches/{name}</c> and <c>/refs/tags/{name}</c> give one ref as the lists do.
/// </summary>
public sealed class ApiLinkTests : WebPageTestBase
{
    private WebSession _alice = null!;
    private HttpClient _api = null!;

    private async Task SetUpAsync(string name, string scm)
    {
        _alice = await SignUpAsync("alice");
        Assert.Equal(HttpStatusCode.Redirect, (await CreateAsync(_alice, name, scm)).StatusCode);
        _api = await ApiClientAsync("alice");
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> GetJsonAsync(string path)
    {
        using var response = await _api.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Every href under a <c>links</c> object anywhere in <paramref name="body"/>.</summary>
    private static IEnumerable<string> Hrefs(JsonElement body)
    {
        if (body.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in body.EnumerateObject())
            {
                if (property.Name == "links")
                {
                    foreach (var link in property.Value.EnumerateObject())
                        yield return link.Value.GetProperty("href").GetString()!;
                }
                foreach (var inner in Hrefs(property.Value)) yield return inner;
            }
        }
        else if (body.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in body.EnumerateArray())
                foreach (var inner in Hrefs(item)) yield return inner;
        }
    }

    /// <summary>Follows every link of <paramref name="body"/>: API links with the token, pages with the session cookie.</summary>
    private async Task<int> AllLinksAnswerAsync(JsonElement body)
    {
        var hrefs = Hrefs(body).Distinct().ToList();
        foreach (var href in hrefs)
        {
            var path = new Uri(href).PathAndQuery;
            using var response = path.StartsWith("/2.0/", StringComparison.Ordinal) ? await _api.GetAsync(path) : await _alice.Client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{href} answered {(int)response.StatusCode}");
        }
        return hrefs.Count;
    }

    private const string Git = "/2.0/repositories/alice/site";
    private const string Hg = "/2.0/repositories/alice/notes";

    [Fact]
    public async Task Git_every_link_of_a_commit_a_branch_and_a_tag_answers()
    {
        await SetUpAsync("site", "git");
        var h = HistoryRepository.Build(Host.Data.Root, Host.Data.Paths.Repository("alice", "site"));

        var (status, commit) = await GetJsonAsync($"{Git}/commit/{h.Merge}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.EndsWith($"{Git}/patch/{h.Merge}", commit.GetProperty("links").GetProperty("patch").GetProperty("href").GetString());
        Assert.True(await AllLinksAnswerAsync(commit) >= 8);

        var (_, branches) = await GetJsonAsync($"{Git}/refs/branches");
        var feature = branches.GetProperty("values").EnumerateArray().Single(b => b.GetProperty("name").GetString() == "feature/x");
        Assert.EndsWith($"{Git}/refs/branches/feature/x", feature.GetProperty("links").GetProperty("self").GetProperty("href").GetString());
        Assert.True(await AllLinksAnswerAsync(branches.GetProperty("values")) >= 9);
        var (_, tags) = await GetJsonAsync($"{Git}/refs/tags");
        Assert.True(await AllLinksAnswerAsync(tags.GetProperty("values")) >= 6);

        // One branch and one tag are the same objects as in the lists.
        var (one, oneBody) = await GetJsonAsync($"{Git}/refs/branches/feature/x");
        Assert.Equal(HttpStatusCode.OK, one);
        Assert.Equal(feature.GetRawText(), oneBody.GetRawText());
        var (_, escaped) = await GetJsonAsync($"{Git}/refs/branches/feature%2Fx");
        Assert.Equal(feature.GetRawText(), escaped.GetRawText());
        var tag = tags.GetProperty("values").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "v1.0");
        Assert.Equal(tag.GetRawText(), (await GetJsonAsync($"{Git}/refs/tags/v1.0")).Body.GetRawText());
    }

    [Fact]
    public async Task Git_patch_is_the_raw_patch_and_a_missing_ref_is_the_APIs_404()
    {
        await SetUpAsync("site", "git");
        var h = HistoryRepository.Build(Host.Data.Root, Host.Data.Paths.Repository("alice", "site"));
        using var patch = await _api.GetAsync($"{Git}/patch/{h.Second}");
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", patch.Content.Headers.ContentType!.ToString());
        using var diff = await _api.GetAsync($"{Git}/diff/{h.Second}");
        Assert.Equal(await diff.Content.ReadAsStringAsync(), await patch.Content.ReadAsStringAsync());
        Assert.Contains("diff --git a/old-name.txt b/new-name.txt", await patch.Content.ReadAsStringAsync());

        foreach (var (path, message) in new[]
        {
            ($"{Git}/refs/branches/nope", "There is no branch 'nope' in alice/site."),
            ($"{Git}/refs/branches/v1.0", "There is no branch 'v1.0' in alice/site."),
            ($"{Git}/refs/tags/feature/x", "There is no tag 'feature/x' in alice/site."),
            ($"{Git}/patch/0123456789abcdef0123456789abcdef01234567", "There is no commit or ref '0123456789abcdef0123456789abcdef01234567' in alice/site."),
        })
        {
            var (status, body) = await GetJsonAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Equal(message, body.GetProperty("error").GetProperty("message").GetString());
        }
        // Access as for the diff: someone who may not read the repository sees it as missing.
        using var stranger = new HttpClient { BaseAddress = Host.BaseAddress };
        using var refused = await stranger.GetAsync($"{Git}/refs/branches/feature/x");
        using var missing = await stranger.GetAsync("/2.0/repositories/alice/nothing/refs/branches/feature/x");
        Assert.Equal(missing.StatusCode, refused.StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, refused.StatusCode);
    }

    [Fact]
    public async Task Mercurial_every_link_of_a_changeset_a_branch_a_bookmark_and_a_tag_answers()
    {
        await SetUpAsync("notes", "hg");
        var h = HgHistoryRepository.Build(Host.Data.Root, Host.Data.Paths.Repository("alice", "notes", Scm.Hg));

        var (status, commit) = await GetJsonAsync($"{Hg}/commit/{h.Rename}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(await AllLinksAnswerAsync(commit) >= 6);
        using var patch = await _api.GetAsync($"{Hg}/patch/{h.Rename}");
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        Assert.Contains("new.txt", await patch.Content.ReadAsStringAsync());

        var (_, branches) = await GetJsonAsync($"{Hg}/refs/branches");
        Assert.True(await AllLinksAnswerAsync(branches.GetProperty("values")) >= 9);
        var (_, tags) = await GetJsonAsync($"{Hg}/refs/tags");
        Assert.True(await AllLinksAnswerAsync(tags.GetProperty("values")) >= 3);

        foreach (var name in new[] { "default", "stable", "feature" })
        {
            var listed = branches.GetProperty("values").EnumerateArray().Single(b => b.GetProperty("name").GetString() == name);
            Assert.Equal(listed.GetRawText(), (await GetJsonAsync($"{Hg}/refs/branches/{name}")).Body.GetRawText());
        }
        var tag = tags.GetProperty("values").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "v1.0");
        Assert.Equal(tag.GetRawText(), (await GetJsonAsync($"{Hg}/refs/tags/v1.0")).Body.GetRawText());
        var (missing, error) = await GetJsonAsync($"{Hg}/refs/branches/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal("There is no branch 'nope' in alice/notes.", error.GetProperty("error").GetProperty("message").GetString());
    }
}
