using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Wharf.Core.Audit;
using Wharf.Core.Keys;
using Wharf.Server.Cli;

namespace Wharf.Server.Tests;

/// <summary>
/// Issue 13 points 1 and 3 through the API and the CLI: <c>usage_type</c> on account keys (set on POST, changed by PUT,
/// default authentication), compromise reports (<c>compromised_since</c> on PUT, <c>wharf admin key compromised</c>),
/// their audit entries, and bad input that changes nothing.
/// </summary>
public sealed class KeyUsageApiTests : IAsyncLifetime
{
    private readonly TestData _data = new();
    private InProcessServe _serve = null!;
    private HttpClient _http = null!;
    private string _alice = "";

    public async Task InitializeAsync()
    {
        await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org");
        _alice = (await _data.RunAsync("admin", "token", "create", "alice")).Out.TrimEnd('\n').Split('\n')[^1];
        _serve = await InProcessServe.StartAsync(_data);
        _http = new HttpClient { BaseAddress = new Uri(_serve.HttpBaseUrl) };
    }

    public async Task DisposeAsync()
    {
        await _serve.DisposeAsync();
        _http.Dispose();
        _data.Dispose();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _alice);
        if (body is not null) request.Content = JsonContent.Create(body);
        var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static void AssertError(JsonElement body, string code, string message) =>
        Assert.Equal((code, message), (body.GetProperty("error").GetProperty("code").GetString(), body.GetProperty("error").GetProperty("message").GetString()));

    [Fact]
    public async Task UsageTypeIsSetOnPostDefaultsToAuthenticationAndABadOneStoresNothing()
    {
        var plain = await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", new { key = TestKeys.Ed25519("a@one"), label = "one" });
        Assert.Equal((HttpStatusCode.Created, "authentication", false, JsonValueKind.Null),
            (plain.Status, plain.Body.GetProperty("usage_type").GetString(), plain.Body.GetProperty("possession_proven").GetBoolean(),
             plain.Body.GetProperty("compromised_since").ValueKind));
        var signing = await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", new { key = TestKeys.Ed25519("a@two"), label = "two", usage_type = "signing" });
        Assert.Equal((HttpStatusCode.Created, "signing"), (signing.Status, signing.Body.GetProperty("usage_type").GetString()));

        var bad = await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", new { key = TestKeys.Ed25519("a@three"), label = "three", usage_type = "login" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        AssertError(bad.Body, KeyErrors.UsageBad, "The key usage 'login' is not known; use authentication, signing or authentication_and_signing.");
        Assert.Equal(2, await _data.CountAsync(db => db.SshKeys));
        Assert.Equal(["authentication", "signing"], (await SendAsync(HttpMethod.Get, "/2.0/users/alice/ssh-keys")).Body.GetProperty("values")
            .EnumerateArray().Select(v => v.GetProperty("usage_type").GetString()));
    }

    [Fact]
    public async Task PutChangesTheUsageWithAnAuditEntryAndRefusesAFutureCompromiseDateChangingNothing()
    {
        var added = await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", new { key = TestKeys.Ed25519("a@laptop"), label = "laptop" });
        var id = Uri.EscapeDataString(added.Body.GetProperty("uuid").GetString()!);

        var refused = await SendAsync(HttpMethod.Put, $"/2.0/users/alice/ssh-keys/{id}",
            new { label = "renamed", usage_type = "signing", compromised_since = "2999-01-01" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        AssertError(refused.Body, KeyErrors.CompromisedBad,
            "The compromise date is in the future; give the date from which the key may have been in other hands (today or earlier).");
        var unchanged = (await SendAsync(HttpMethod.Get, $"/2.0/users/alice/ssh-keys/{id}")).Body;
        Assert.Equal(("laptop", "authentication"), (unchanged.GetProperty("label").GetString(), unchanged.GetProperty("usage_type").GetString()));

        var changed = await SendAsync(HttpMethod.Put, $"/2.0/users/alice/ssh-keys/{id}", new { usage_type = "authentication_and_signing" });
        Assert.Equal((HttpStatusCode.OK, "authentication_and_signing", "laptop"),
            (changed.Status, changed.Body.GetProperty("usage_type").GetString(), changed.Body.GetProperty("label").GetString()));
        await using var db = _data.OpenDatabase();
        var entry = await db.AuditLog.SingleAsync(a => a.Action == AuditActions.UsageChanged);
        Assert.Equal(("laptop", "alice", "authentication → authentication_and_signing"), (entry.KeyLabel, entry.Actor, entry.Detail));
    }

    [Fact]
    public async Task ACompromiseReportSetsTheDateOnlyEarlierAndIsAudited()
    {
        var key = TestKeys.Ed25519("a@leaked");
        var added = await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", new { key, label = "leaked" });
        var id = Uri.EscapeDataString(added.Body.GetProperty("uuid").GetString()!);
        var reported = await SendAsync(HttpMethod.Put, $"/2.0/users/alice/ssh-keys/{id}", new { compromised_since = "2026-01-02" });
        Assert.Equal(HttpStatusCode.OK, reported.Status);
        Assert.StartsWith("2026-01-02T00:00:00", reported.Body.GetProperty("compromised_since").GetString());

        var later = await SendAsync(HttpMethod.Put, $"/2.0/users/alice/ssh-keys/{id}", new { compromised_since = "2026-02-01" });
        Assert.Equal(HttpStatusCode.BadRequest, later.Status);
        AssertError(later.Body, KeyErrors.CompromisedBad, "This key is already reported compromised since 2026-01-02; a report can only move that date earlier.");

        var cli = await _data.RunAsync("admin", "key", "compromised", "alice", "--label", "leaked", "--since", "2025-12-31");
        Assert.Equal((ExitCodes.Success, ""), (cli.ExitCode, cli.Error));
        Assert.Equal($"Key {TestKeys.Fingerprint(key)} is reported compromised since 2025-12-31T00:00:00Z.\n", cli.Out);
        await using var db = _data.OpenDatabase();
        Assert.Equal(["compromised since 2026-01-02 00:00:00 UTC", "compromised since 2025-12-31 00:00:00 UTC"],
            await db.AuditLog.Where(a => a.Action == AuditActions.KeyCompromised).OrderBy(a => a.Id).Select(a => a.Detail).ToListAsync());
    }

    [Fact]
    public async Task TheCliAddsAKeyWithAUsageAndRefusesAnUnknownOneStoringNothing()
    {
        var key = TestKeys.Ed25519("cli@x");
        var bad = await _data.PipeAsync(key + "\n", "admin", "key", "add", "alice", "--usage", "everything");
        Assert.Equal(ExitCodes.InvalidArgument, bad.ExitCode);
        Assert.Contains("The key usage 'everything' is not known; use authentication, signing or authentication_and_signing.", bad.Error);
        Assert.Equal(0, await _data.CountAsync(db => db.SshKeys));

        var good = await _data.PipeAsync(key + "\n", "admin", "key", "add", "alice", "--usage", "signing", "--label", "signer");
        Assert.Equal(ExitCodes.Success, good.ExitCode);
        var changed = await _data.RunAsync("admin", "key", "usage", "alice", "--label", "signer", "--to", "authentication_and_signing");
        Assert.Equal((ExitCodes.Success, $"Key {good.Out.Trim()} is now for authentication_and_signing.\n"), (changed.ExitCode, changed.Out));
        await using var db = _data.OpenDatabase();
        Assert.Equal(KeyUsage.AuthenticationAndSigning, (await db.SshKeys.SingleAsync()).Usage);
    }
}
