using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Wharf.Server.Cli;
using Wharf.Server.Web.Accounts;

namespace Wharf.Server.Tests;

/// <summary>The web account pages through the real host: antiforgery, password-less accounts, throttling, the cookie gate.</summary>
public sealed partial class WebAccountTests : IAsyncLifetime
{
    private readonly TestData _data = new();
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(120));
    private Task<int> _serve = null!;
    private Uri _base = null!;

    public async Task InitializeAsync()
    {
        await _data.RunAsync("admin", "user", "create", "dora", "--email", "dora@example.org");
        var output = new LineWriter();
        var console = new CliContext(new StringReader(""), output, TextWriter.Null, _ => null);
        _serve = new CliApp(WharfCommands.All).RunAsync(
            ["serve", "--http", "127.0.0.1:0", "--ssh", "127.0.0.1:0", "--data", _data.Paths.DataDirectory], console, _stop.Token);
        string line;
        do line = await output.Lines.Reader.ReadAsync(_stop.Token); while (!line.StartsWith("HTTP listening on ", StringComparison.Ordinal));
        _base = new Uri(line["HTTP listening on ".Length..]);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _serve;
        _data.Dispose();
    }

    private HttpClient Browser() => new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = _base };

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string page, string path, params (string, string)[] fields)
    {
        var html = await client.GetStringAsync(page);
        var token = TokenField().Match(html).Groups[1].Value;
        Assert.NotEmpty(token);
        return await client.PostAsync(path, new FormUrlEncodedContent([.. fields.Select(f => KeyValuePair.Create(f.Item1, f.Item2)),
            KeyValuePair.Create("__RequestVerificationToken", WebUtility.HtmlDecode(token))]));
    }

    [Fact]
    public async Task Sign_up_without_the_antiforgery_token_is_refused_and_creates_nobody()
    {
        using var client = Browser();
        var response = await client.PostAsync("/signup", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = "eve", ["email"] = "eve@example.org", ["password"] = "long enough password",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, await _data.CountAsync(db => db.Users.Where(u => u.LowerName == "eve")));
    }

    [Fact]
    public async Task Sign_up_stores_a_hash_not_the_password_and_opens_the_keys_page()
    {
        using var client = Browser();
        var response = await PostFormAsync(client, "/signup", "/signup", ("username", "erin"), ("email", "erin@example.org"), ("password", "long enough password"));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(AccountEndpoints.AfterSignIn, response.Headers.Location?.OriginalString);
        await using (var db = _data.OpenDatabase())
        {
            var hash = (await db.Users.SingleAsync(u => u.LowerName == "erin")).PasswordHash;
            Assert.NotNull(hash);
            Assert.DoesNotContain("long enough password", hash);
        }
        var page = await client.GetAsync("/account/ssh-keys");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Signed in as <strong>erin</strong>", await page.Content.ReadAsStringAsync());

        // The same name again: UserService's own message on the page.
        using var other = Browser();
        var again = await PostFormAsync(other, "/signup", "/signup", ("username", "Erin"), ("email", "e@example.org"), ("password", "long enough password"));
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("User &#x27;Erin&#x27; already exists.", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_keys_page_needs_the_session_cookie()
    {
        using var client = Browser();
        var response = await client.GetAsync("/account/ssh-keys");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/signin", response.Headers.Location?.PathAndQuery ?? response.Headers.Location?.OriginalString);
        // The API keeps answering in JSON with its own challenge.
        var api = await client.GetAsync("/2.0/user");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    [Fact]
    public async Task The_audit_log_page_shows_the_owner_their_key_events_with_actor_and_address_and_nobody_else()
    {
        using var client = Browser();
        await PostFormAsync(client, "/signup", "/signup", ("username", "fern"), ("email", "fern@example.org"), ("password", "long enough password"));
        var key = TestKeys.Ed25519("fern@laptop");
        var added = await PostFormAsync(client, SshKeyPages.Path, SshKeyPages.Path, ("label", "laptop"), ("key", key));
        Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);
        Guid uuid;
        await using (var db = _data.OpenDatabase()) uuid = (await db.SshKeys.SingleAsync(k => k.Label == "laptop")).Uuid;
        await PostFormAsync(client, SshKeyPages.Path, $"{SshKeyPages.Path}/{uuid:D}/label", ("label", "old laptop"));
        await PostFormAsync(client, SshKeyPages.Path, $"{SshKeyPages.Path}/{uuid:D}/delete");

        Assert.Contains($"href=\"{SshKeyPages.AuditPath}\"", await client.GetStringAsync(SshKeyPages.Path));
        var html = await client.GetStringAsync(SshKeyPages.AuditPath);
        var rows = AuditRow().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["key-deleted", "label-changed", "key-added"], rows);
        Assert.Contains("Key added", html);
        Assert.Contains("Label changed", html);
        Assert.Contains("Key deleted", html);
        Assert.Contains(Wharf.Server.Web.Html.E(TestKeys.Fingerprint(key)), html);
        Assert.Contains("<td>fern</td><td>127.0.0.1</td>", html);

        using var other = Browser();
        await PostFormAsync(other, "/signup", "/signup", ("username", "gus"), ("email", "gus@example.org"), ("password", "long enough password"));
        var theirs = await other.GetStringAsync(SshKeyPages.AuditPath);
        Assert.Contains("id=\"no-audit\"", theirs);
        Assert.DoesNotContain("laptop", theirs);

        using var anonymous = Browser();
        Assert.NotEqual(HttpStatusCode.OK, (await anonymous.GetAsync(SshKeyPages.AuditPath)).StatusCode);
    }

    [Fact]
    public async Task A_token_created_on_the_account_page_is_shown_once_stored_hashed_works_with_Basic_and_can_be_deleted()
    {
        using var client = Browser();
        await PostFormAsync(client, "/signup", "/signup", ("username", "hank"), ("email", "hank@example.org"), ("password", "long enough password"));
        var created = await PostFormAsync(client, TokenPages.Path, TokenPages.Path, ("name", "ci"));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var html = await created.Content.ReadAsStringAsync();
        Assert.Contains(Wharf.Server.Web.Html.E(TokenPages.ShownOnce), html);
        var secret = Regex.Match(html, "<pre id=\"new-token\">([^<]+)</pre>").Groups[1].Value;
        Assert.StartsWith("wharf_", secret);

        await using (var db = _data.OpenDatabase())
        {
            var stored = await db.ApiTokens.SingleAsync(t => t.Name == "ci");
            Assert.Equal(Wharf.Core.Tokens.ApiTokenService.Hash(secret), stored.TokenHash);
        }
        var list = await client.GetStringAsync(TokenPages.Path);
        Assert.Contains("<td>ci</td>", list);
        Assert.DoesNotContain(secret, list);

        using var api = new HttpClient { BaseAddress = _base };
        api.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("hank:" + secret)));
        var me = await api.GetAsync("/2.0/user");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Contains("\"username\":\"hank\"", await me.Content.ReadAsStringAsync());

        var id = Regex.Match(list, "data-id=\"(\\d+)\"").Groups[1].Value;
        var deleted = await PostFormAsync(client, TokenPages.Path, $"{TokenPages.Path}/{id}/delete");
        Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/2.0/user")).StatusCode);
        Assert.Contains("id=\"no-tokens\"", await client.GetStringAsync(TokenPages.Path));
    }

    [GeneratedRegex("<tr class=\"audit-entry\" data-action=\"([^\"]+)\"")]
    private static partial Regex AuditRow();

    [Fact]
    public async Task An_account_without_a_password_cannot_sign_in_and_failures_are_throttled()
    {
        using var client = Browser();
        for (var i = 0; i < LoginThrottle.MaxFailures; i++)
        {
            var response = await PostFormAsync(client, "/signin", "/signin", ("username", "dora"), ("password", "anything at all"));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains(AccountEndpoints.BadCredentials, await response.Content.ReadAsStringAsync());
        }
        var blocked = await PostFormAsync(client, "/signin", "/signin", ("username", "dora"), ("password", "anything at all"));
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.Contains("Too many failed sign-ins", await blocked.Content.ReadAsStringAsync());
    }
}

public sealed class LoginThrottleTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void Blocks_after_the_allowed_failures_and_forgets_after_the_window()
    {
        var time = new ManualTime();
        var throttle = new LoginThrottle(time);
        var user = LoginThrottle.UserKey("alice");
        var address = LoginThrottle.AddressKey("192.0.2.1");
        for (var i = 0; i < LoginThrottle.MaxFailures - 1; i++) throttle.Fail(user, address);
        Assert.False(throttle.IsBlocked(user, address));
        throttle.Fail(user, address);
        Assert.True(throttle.IsBlocked(user));
        // Another user name from the same address is blocked too: the address has used its failures.
        Assert.True(throttle.IsBlocked(LoginThrottle.UserKey("bob"), address));
        Assert.False(throttle.IsBlocked(LoginThrottle.UserKey("bob"), LoginThrottle.AddressKey("192.0.2.2")));
        time.Now += LoginThrottle.Window + TimeSpan.FromSeconds(1);
        Assert.False(throttle.IsBlocked(user, address));
    }

    [Fact]
    public void A_success_clears_the_user_name()
    {
        var throttle = new LoginThrottle(new ManualTime());
        var user = LoginThrottle.UserKey("alice");
        for (var i = 0; i < LoginThrottle.MaxFailures; i++) throttle.Fail(user);
        throttle.Succeed(user);
        Assert.False(throttle.IsBlocked(user));
    }
}
