using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Wharf.Core.Audit;
using Wharf.Core.Keys;
using Wharf.Server.Cli;

namespace Wharf.Server.Tests;

/// <summary>The REST API through the real host: <c>wharf serve</c> in-process on port 0, called with HttpClient.</summary>
public sealed class ApiTests : IAsyncLifetime
{
    private readonly TestData _data = new();
    private InProcessServe _serve = null!;
    private HttpClient _http = null!;
    private string _alice = "", _bob = "", _admin = "";

    public async Task InitializeAsync()
    {
        await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org");
        await _data.RunAsync("admin", "user", "create", "bob", "--email", "bob@example.org");
        await _data.RunAsync("admin", "user", "create", "root", "--email", "root@example.org", "--admin");
        _alice = await TokenAsync("alice");
        _bob = await TokenAsync("bob");
        _admin = await TokenAsync("root");

        _serve = await InProcessServe.StartAsync(_data);
        _http = new HttpClient { BaseAddress = new Uri(_serve.HttpBaseUrl) };
    }

    public async Task DisposeAsync()
    {
        await _serve.DisposeAsync();
        _http.Dispose();
        _data.Dispose();
    }

    private async Task<string> TokenAsync(string user) =>
        (await _data.RunAsync("admin", "token", "create", user)).Out.TrimEnd('\n').Split('\n')[^1];

    private async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> SendAsync(
        HttpMethod method, string path, string? token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body);
        var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    private static void AssertError(JsonElement body, string code, string message)
    {
        Assert.Equal("error", body.GetProperty("type").GetString());
        Assert.Equal(code, body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(message, body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task WithoutATokenTheApiAnswers401WithWwwAuthenticate()
    {
        var (status, body, response) = await SendAsync(HttpMethod.Get, "/2.0/user", null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        Assert.Equal("unauthenticated", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Get, "/2.0/user", "wharf_notatoken")).Status);
    }

    [Fact]
    public async Task BasicWithUserNameAndTokenAndBearerBothIdentifyTheUser()
    {
        var (status, body, _) = await SendAsync(HttpMethod.Get, "/2.0/user", _alice);
        Assert.Equal((HttpStatusCode.OK, "alice", "user"), (status, body.GetProperty("username").GetString(), body.GetProperty("type").GetString()));
        Assert.Matches("^\\{[0-9a-f-]{36}\\}$", body.GetProperty("uuid").GetString());

        using var basic = new HttpRequestMessage(HttpMethod.Get, "/2.0/user");
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + _alice)));
        Assert.Equal(HttpStatusCode.OK, (await _http.SendAsync(basic)).StatusCode);
        // Someone else's token under alice's name is refused.
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/2.0/user");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + _bob)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await _http.SendAsync(wrong)).StatusCode);
    }

    [Fact]
    public async Task AddingAKeyReturnsTheBitbucketShapeAndItCanBeReadRenamedAndDeleted()
    {
        var key = TestKeys.Ed25519("alice@laptop");
        var (status, body, response) = await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", _alice,
            new { key, label = "laptop", expires_on = "2099-01-31" });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(("ssh_key", key[..key.LastIndexOf(' ')], "alice@laptop", "laptop", TestKeys.Fingerprint(key), "ssh-ed25519", 256),
            (body.GetProperty("type").GetString(), body.GetProperty("key").GetString(), body.GetProperty("comment").GetString(),
             body.GetProperty("label").GetString(), body.GetProperty("fingerprint").GetString(), body.GetProperty("key_type").GetString(),
             body.GetProperty("bits").GetInt32()));
        Assert.Equal(JsonValueKind.Null, body.GetProperty("last_used").ValueKind);
        Assert.StartsWith("2099-01-31T00:00:00", body.GetProperty("expires_on").GetString());
        Assert.StartsWith("MD5:", body.GetProperty("fingerprints").GetProperty("md5").GetString());
        var uuid = body.GetProperty("uuid").GetString()!;
        Assert.NotNull(response.Headers.Location);

        var id = Uri.EscapeDataString(uuid);
        Assert.Equal("laptop", (await SendAsync(HttpMethod.Get, $"/2.0/users/alice/ssh-keys/{id}", _alice)).Body.GetProperty("label").GetString());
        var put = await SendAsync(HttpMethod.Put, $"/2.0/users/alice/ssh-keys/{id}", _alice, new { label = "work laptop", key });
        Assert.Equal((HttpStatusCode.OK, "work laptop", TestKeys.Fingerprint(key)),
            (put.Status, put.Body.GetProperty("label").GetString(), put.Body.GetProperty("fingerprint").GetString()));
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/2.0/users/alice/ssh-keys/{id}", _alice)).Status);
        var gone = await SendAsync(HttpMethod.Get, $"/2.0/users/alice/ssh-keys/{id}", _alice);
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        AssertError(gone.Body, "key-not-found", $"No key with id {uuid} on this account.");
        // Added, renamed, deleted: one entry each (the three tokens the set-up made have theirs too).
        Assert.Equal(3, await _data.CountAsync(db => db.AuditLog.Where(a => a.Action != AuditActions.TokenCreated)));
        Assert.Equal(3, await _data.CountAsync(db => db.AuditLog.Where(a => a.Action == AuditActions.TokenCreated)));
    }

    [Fact]
    public async Task ListsArePaginatedWithNext()
    {
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", _alice, new { key = TestKeys.Ed25519(), label = $"k{i}" })).Status);
        var (status, body, _) = await SendAsync(HttpMethod.Get, "/2.0/users/alice/ssh-keys?pagelen=2", _alice);
        Assert.Equal((HttpStatusCode.OK, 3, 1, 2, 2), (status, body.GetProperty("size").GetInt32(), body.GetProperty("page").GetInt32(),
            body.GetProperty("pagelen").GetInt32(), body.GetProperty("values").GetArrayLength()));
        var next = body.GetProperty("next").GetString()!;
        var second = await SendAsync(HttpMethod.Get, next, _alice);
        Assert.Equal(["k2"], second.Body.GetProperty("values").EnumerateArray().Select(v => v.GetProperty("label").GetString()));
        Assert.False(second.Body.TryGetProperty("next", out var n) && n.ValueKind != JsonValueKind.Null);
    }

    [Fact]
    public async Task AnOpenApiDocumentIsServed()
    {
        var doc = JsonDocument.Parse(await _http.GetStringAsync("/2.0/openapi.json")).RootElement;
        Assert.True(doc.GetProperty("paths").TryGetProperty("/2.0/users/{user}/ssh-keys", out var keys));
        // The body is read by the handler (ApiJson), so its schema is documented explicitly.
        Assert.True(keys.GetProperty("post").GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out var json));
        Assert.True(json.TryGetProperty("schema", out _));
        Assert.True(doc.GetProperty("paths").GetProperty("/2.0/users/{user}/ssh-keys/{keyId}").GetProperty("put").TryGetProperty("requestBody", out _));
    }

    [Fact]
    public async Task TheUserCanBeNamedByUuid()
    {
        var uuid = (await SendAsync(HttpMethod.Get, "/2.0/user", _alice)).Body.GetProperty("uuid").GetString()!;
        var (status, _, _) = await SendAsync(HttpMethod.Post, $"/2.0/users/{Uri.EscapeDataString(uuid)}/ssh-keys", _alice, new { key = TestKeys.Ed25519() });
        Assert.Equal(HttpStatusCode.Created, status);
    }

    [Fact]
    public async Task DuplicatesAre409AndInvalidKeysAre400WithTheirCodesAndNothingStored()
    {
        var key = TestKeys.Ed25519();
        await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", _alice, new { key, label = "laptop" });

        var own = await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", _alice, new { key });
        Assert.Equal(HttpStatusCode.Conflict, own.Status);
        AssertError(own.Body, KeyErrors.DuplicateOwn, "This key is already on your account as 'laptop'.");
        var other = await SendAsync(HttpMethod.Post, "/2.0/users/bob/ssh-keys", _bob, new { key });
        Assert.Equal(HttpStatusCode.Conflict, other.Status);
        AssertError(other.Body, KeyErrors.InUse,
            "This key is already in use on this Wharf, by another account or as a repository access key; a key can belong to one account only. Make a new key for this account.");
        Assert.DoesNotContain("alice", other.Body.ToString());

        foreach (var row in KeyCommandTests.Refusals)
        {
            var (what, text, code, message) = ((string)row[0], (Func<string>)row[1], (string)row[2], (string?)row[3]);
            var r = await SendAsync(HttpMethod.Post, "/2.0/users/bob/ssh-keys", _bob, new { key = text() });
            Assert.True(r.Status == HttpStatusCode.BadRequest, what);
            Assert.Equal(code, r.Body.GetProperty("error").GetProperty("code").GetString());
            if (message is not null) Assert.Equal(message, r.Body.GetProperty("error").GetProperty("message").GetString());
        }
        var label = await SendAsync(HttpMethod.Post, "/2.0/users/bob/ssh-keys", _bob, new { key = TestKeys.Ed25519(), label = new string('x', 256) });
        AssertError(label.Body, KeyErrors.LabelTooLong, "The label is too long: at most 255 characters.");
        var past = await SendAsync(HttpMethod.Post, "/2.0/users/bob/ssh-keys", _bob, new { key = TestKeys.Ed25519(), expires_on = "2001-01-01" });
        Assert.Equal(KeyErrors.ExpiryInPast, past.Body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(1, await _data.CountAsync(db => db.SshKeys));
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendRawAsync(HttpMethod method, string path, string body, string? contentType)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _alice);
        request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var response = await _http.SendAsync(request);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private const string AddExample = """{"key": "ssh-ed25519 AAAA... you@host", "label": "laptop"}""";

    public static TheoryData<string, string?, string, string, string?> BadBodies => new()
    {
        // body, Content-Type, code, message, detail
        { """{"key": "ssh-ed25519 AAAA""", "application/json", "body-invalid-json",
            $"The request body is not valid JSON of the expected shape, such as {AddExample}.", "The fault is at $.key (line 1, byte 26)." },
        { """{"key": 5}""", "application/json", "body-invalid-json",
            $"The request body is not valid JSON of the expected shape, such as {AddExample}.", "The fault is at $.key (line 1, byte 10)." },
        { """["ssh-ed25519 AAAA"]""", "application/json", "body-invalid-json",
            $"The request body is not valid JSON of the expected shape, such as {AddExample}.", "The fault is at $ (line 1, byte 2)." },
        { "null", "application/json", "body-invalid-json", $"The request body must be a JSON object such as {AddExample}.", "The body is the JSON literal null." },
        { "", "application/json", "body-invalid-json", $"The request body is empty; send a JSON object such as {AddExample}.", null },
        // What curl -d sends without -H 'Content-Type: application/json'.
        { "key=ssh-ed25519+AAAA", "application/x-www-form-urlencoded", "body-not-json",
            $"The request body must be JSON sent with 'Content-Type: application/json', such as {AddExample}.", "Content-Type was 'application/x-www-form-urlencoded'." },
        { """{"key": "ssh-ed25519 AAAA"}""", "text/plain", "body-not-json",
            $"The request body must be JSON sent with 'Content-Type: application/json', such as {AddExample}.", "Content-Type was 'text/plain'." },
        { """{"key": "ssh-ed25519 AAAA"}""", null, "body-not-json",
            $"The request body must be JSON sent with 'Content-Type: application/json', such as {AddExample}.", "No Content-Type was sent." },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task AMalformedOrNonJsonBodyGetsTheBitbucketErrorBodyWith400AndStoresNothing(string body, string? contentType, string code, string message, string? detail)
    {
        var (status, error) = await SendRawAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", body, contentType);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertError(error, code, message);
        var expectedDetail = detail is null ? JsonValueKind.Null : JsonValueKind.String;
        Assert.Equal(expectedDetail, error.GetProperty("error").GetProperty("detail").ValueKind);
        Assert.Equal(detail, error.GetProperty("error").GetProperty("detail").GetString());
        Assert.Equal(0, await _data.CountAsync(db => db.SshKeys));
    }

    [Fact]
    public async Task AMalformedBodyOnPutGetsTheBitbucketErrorBodyAndTheLabelStays()
    {
        var created = await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", _alice, new { key = TestKeys.Ed25519(), label = "laptop" });
        var path = "/2.0/users/alice/ssh-keys/" + Uri.EscapeDataString(created.Body.GetProperty("uuid").GetString()!);

        var (status, error) = await SendRawAsync(HttpMethod.Put, path, """{"label": "desk""", "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertError(error, "body-invalid-json", """The request body is not valid JSON of the expected shape, such as {"label": "new label"}.""");
        var (formStatus, formError) = await SendRawAsync(HttpMethod.Put, path, "label=desk", "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.BadRequest, formStatus);
        AssertError(formError, "body-not-json", """The request body must be JSON sent with 'Content-Type: application/json', such as {"label": "new label"}.""");

        Assert.Equal("laptop", (await SendAsync(HttpMethod.Get, path, _alice)).Body.GetProperty("label").GetString());
    }

    [Fact]
    public async Task UsersManageOnlyTheirOwnKeysAndAdminsAnyones()
    {
        var forbidden = await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", _bob, new { key = TestKeys.Ed25519() });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.Status);
        AssertError(forbidden.Body, "forbidden", "You can manage only your own SSH keys.");
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Get, "/2.0/users/alice/ssh-keys", _bob)).Status);
        Assert.Equal(0, await _data.CountAsync(db => db.SshKeys));

        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", _admin, new { key = TestKeys.Ed25519() })).Status);
        var missing = await SendAsync(HttpMethod.Get, "/2.0/users/carol/ssh-keys", _admin);
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        AssertError(missing.Body, "not-found", "User 'carol' does not exist.");
    }
}
