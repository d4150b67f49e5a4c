using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace Wharf.Server.Tests;

/// <summary>
/// Token scopes (<c>repository:read</c>, <c>repository:write</c>, <c>account</c>, <c>account:write</c>) on the REST API:
/// a scoped token reaches only what its scopes name and is refused with 403 naming the missing one; a token without
/// stored scopes (every token made before scopes existed) keeps all its powers.
/// </summary>
public sealed class TokenScopeTests : IAsyncLifetime
{
    private readonly TestData _data = new();
    private InProcessServe _serve = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org");
        await _data.RunAsync("admin", "repo", "create", "alice/site");
        _serve = await InProcessServe.StartAsync(_data);
        _http = new HttpClient { BaseAddress = new Uri(_serve.HttpBaseUrl) };
    }

    public async Task DisposeAsync()
    {
        await _serve.DisposeAsync();
        _http.Dispose();
        _data.Dispose();
    }

    private async Task<string> TokenAsync(params string[] scopes)
    {
        var result = await _data.RunAsync(["admin", "token", "create", "alice", .. scopes.Length == 0 ? Array.Empty<string>() : ["--scopes", string.Join(',', scopes)]]);
        Assert.Equal(0, result.ExitCode);
        return result.Out.TrimEnd('\n').Split('\n')[^1];
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + token)));
        if (body is not null) request.Content = JsonContent.Create(body);
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static void AssertMissing(string scope, (HttpStatusCode Status, JsonElement Body) answer)
    {
        Assert.Equal(HttpStatusCode.Forbidden, answer.Status);
        Assert.Equal("insufficient-scope", answer.Body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal($"This API token does not have the '{scope}' scope this request needs; create a token with that scope.",
            answer.Body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_repository_read_token_reads_repositories_but_cannot_add_keys_read_the_account_or_change_repositories()
    {
        var token = await TokenAsync("repository:read");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "/2.0/repositories/alice/site", token)).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "/2.0/repositories/alice", token)).Status);

        AssertMissing("account:write", await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", token, new { key = TestKeys.Ed25519(), label = "ci" }));
        AssertMissing("account", await SendAsync(HttpMethod.Get, "/2.0/user", token));
        AssertMissing("account", await SendAsync(HttpMethod.Get, "/2.0/users/alice/ssh-keys", token));
        AssertMissing("repository:write", await SendAsync(HttpMethod.Post, "/2.0/repositories/alice/other", token, new { scm = "git" }));
        AssertMissing("repository:write", await SendAsync(HttpMethod.Delete, "/2.0/repositories/alice/site", token));

        // Nothing the refused requests asked for happened.
        Assert.Equal(0, await _data.CountAsync(db => db.SshKeys));
        Assert.Equal(1, await _data.CountAsync(db => db.Repositories));
    }

    [Fact]
    public async Task An_account_write_token_manages_keys_and_reads_the_account_but_not_repositories()
    {
        var token = await TokenAsync("account:write");
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", token, new { key = TestKeys.Ed25519(), label = "ci" })).Status);
        var user = await SendAsync(HttpMethod.Get, "/2.0/user", token);
        Assert.Equal((HttpStatusCode.OK, "alice"), (user.Status, user.Body.GetProperty("username").GetString()));
        AssertMissing("repository:read", await SendAsync(HttpMethod.Get, "/2.0/repositories/alice/site", token));
        Assert.Equal(1, await _data.CountAsync(db => db.SshKeys));
    }

    [Fact]
    public async Task A_token_without_stored_scopes_keeps_every_power()
    {
        var token = await TokenAsync();
        await using (var db = _data.OpenDatabase())
            Assert.All(await db.ApiTokens.AsNoTracking().ToListAsync(), t => Assert.Null(t.Scopes));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "/2.0/user", token)).Status);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", token, new { key = TestKeys.Ed25519(), label = "all" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "/2.0/repositories/alice/site", token)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, "/2.0/repositories/alice/site", token)).Status);
    }

    [Fact]
    public async Task The_cli_stores_the_scopes_it_is_given_and_refuses_an_unknown_one_storing_nothing()
    {
        var made = await _data.RunAsync("admin", "token", "create", "alice", "--name", "ci", "--scopes", "account,repository:read");
        Assert.Equal(0, made.ExitCode);
        Assert.StartsWith("Created API token 'ci' for alice with scopes: repository:read, account. It is shown only now; keep it secret:\n", made.Out, StringComparison.Ordinal);
        await using (var db = _data.OpenDatabase())
            Assert.Equal("repository:read account", (await db.ApiTokens.AsNoTracking().SingleAsync()).Scopes);

        var refused = await _data.RunAsync("admin", "token", "create", "alice", "--scopes", "repository:admin");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Unknown token scope 'repository:admin': use repository:read, repository:write, account, account:write (several separated by commas).",
            refused.Error, StringComparison.Ordinal);
        Assert.Equal(1, await _data.CountAsync(db => db.ApiTokens));
    }

    [Fact]
    public async Task X_token_auth_as_the_user_name_takes_the_token_alone_on_the_api()
    {
        var token = await TokenAsync("account");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/2.0/user");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("x-token-auth:" + token)));
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"username\":\"alice\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
