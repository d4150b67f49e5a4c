using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Wharf.Server.Tests.Support;

namespace Wharf.Server.Tests;

/// <summary><c>/2.0/repositories/{ws}/{slug}/src[/{commit}/{path}]</c> through the real host, on a repository pushed by real git.</summary>
public sealed class SourceApiTests : IAsyncLifetime
{
    private readonly ServeHost _host = new();
    private string _alice = "", _bob = "";

    public async Task InitializeAsync()
    {
        _alice = await _host.UserWithTokenAsync("alice");
        _bob = await _host.UserWithTokenAsync("bob");
        await _host.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await _host.SendAsync(HttpMethod.Post, "/2.0/repositories/alice/site", _alice)).Status);
        SourceRepositories.PushDemo(_host.Data.Root, _host.Data.Paths.Repository("alice", "site"));
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private string Main => Git.Ok(_host.Data.Paths.Repository("alice", "site"), "rev-parse", "main");

    private async Task<HttpResponseMessage> GetAsync(string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        // Redirects are not followed, so a test sees them (and the token is not dropped on the way).
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _host.Http.BaseAddress };
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Src_without_a_commit_redirects_to_the_default_branch_commit()
    {
        using var response = await GetAsync("/2.0/repositories/alice/site/src", _alice);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"{_host.Http.BaseAddress!.ToString().TrimEnd('/')}/2.0/repositories/alice/site/src/{Main}/", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task A_directory_is_a_paginated_list_of_commit_directory_and_commit_file_values()
    {
        var main = Main;
        var (status, body) = await _host.SendAsync(HttpMethod.Get, $"/2.0/repositories/alice/site/src/{main}/?pagelen=2", _alice);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal((1, 2, 5), (body.GetProperty("page").GetInt32(), body.GetProperty("pagelen").GetInt32(), body.GetProperty("size").GetInt32()));
        var values = body.GetProperty("values").EnumerateArray().ToList();
        Assert.Equal([("docs", "commit_directory"), ("img", "commit_directory")],
            values.Select(v => (v.GetProperty("path").GetString(), v.GetProperty("type").GetString())).ToList());
        Assert.Equal(main, values[0].GetProperty("commit").GetProperty("hash").GetString());
        Assert.EndsWith($"/2.0/repositories/alice/site/src/{main}/?page=2&pagelen=2", body.GetProperty("next").GetString());

        // A branch name works where the commit goes, and a subdirectory lists its files with sizes.
        (status, body) = await _host.SendAsync(HttpMethod.Get, "/2.0/repositories/alice/site/src/trunk/src", _alice);
        Assert.Equal(HttpStatusCode.OK, status);
        var files = body.GetProperty("values").EnumerateArray()
            .Select(v => (v.GetProperty("path").GetString(), v.GetProperty("type").GetString(), v.GetProperty("size").GetInt64())).ToList();
        Assert.Equal([("src/app.cs", "commit_file", 111L), ("src/trunk-only.txt", "commit_file", 14L)], files);
        Assert.Equal(JsonValueKind.Null, body.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task A_file_answers_its_bytes_and_format_meta_its_commit_file()
    {
        using var response = await GetAsync($"/2.0/repositories/alice/site/src/{Main}/docs/guide.md", _alice);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("# Guide\n", await response.Content.ReadAsStringAsync());

        var (status, meta) = await _host.SendAsync(HttpMethod.Get, "/2.0/repositories/alice/site/src/main/img/logo.png?format=meta", _alice);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("img/logo.png", "commit_file", 8L, "binary"),
            (meta.GetProperty("path").GetString(), meta.GetProperty("type").GetString(), meta.GetProperty("size").GetInt64(),
             meta.GetProperty("attributes")[0].GetString()));
    }

    [Fact]
    public async Task Missing_and_forbidden_repositories_answer_alike_and_a_missing_path_is_404()
    {
        foreach (var path in new[] { "/src", "/src/main/", "/src/main/docs/guide.md" })
        {
            var (status, body) = await _host.SendAsync(HttpMethod.Get, "/2.0/repositories/alice/site" + path, _bob);
            Assert.Equal(HttpStatusCode.NotFound, status);
            ServeHost.AssertError(body, "repository-not-found", "Repository 'alice/site' does not exist, or you do not have access to it.");
            (status, body) = await _host.SendAsync(HttpMethod.Get, "/2.0/repositories/alice/nothing" + path, _bob);
            Assert.Equal(HttpStatusCode.NotFound, status);
            ServeHost.AssertError(body, "repository-not-found", "Repository 'alice/nothing' does not exist, or you do not have access to it.");
        }
        var (missing, error) = await _host.SendAsync(HttpMethod.Get, "/2.0/repositories/alice/site/src/main/no/such", _alice);
        Assert.Equal(HttpStatusCode.NotFound, missing);
        ServeHost.AssertError(error, "no-such-path", "alice/site has no file 'no/such' at main.");
        (missing, error) = await _host.SendAsync(HttpMethod.Get, "/2.0/repositories/alice/site/src/nope/", _alice);
        Assert.Equal(HttpStatusCode.NotFound, missing);
        ServeHost.AssertError(error, "no-such-path", "alice/site has no commit or path 'nope'.");
    }
}
