using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Wharf.Server.Cli;
using Wharf.Server.Web.Accounts;

namespace Wharf.Server.Tests;

/// <summary>The web account pages through the real host: antiforgery, password-less accounts, throttling, the cookie gate.</summary>
public sealed partial class WebAccountTests : IAsyncLifetime
{
    private readonly TestData _data = new();
    private InProcessServe _serve = null!;
    private Uri _base = null!;

    public async Task InitializeAsync()
    {
        await _data.RunAsync("admin", "user", "create", "dora", "--email", "dora@example.org");
        _serve = await InProcessServe.StartAsync(_data);
        _base = new Uri(_serve.HttpBaseUrl);
    }

    public async Task DisposeAsync()
    {
        await _serve.DisposeAsync();
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
        Assert.Contains("<a href=\"/account\">erin</a>", await page.Content.ReadAsStringAsync());

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
        Assert.Contains("<td data-label=\"By\">fern</td><td data-label=\"From\">127.0.0.1</td>", Regex.Replace(html, ">\\s+<", "><"));

        using var other = Browser();
        await PostFormAsync(other, "/signup", "/signup", ("username", "gus"), ("email", "gus@example.org"), ("password", "long enough password"));
        var theirs = await other.GetStringAsync(SshKeyPages.AuditPath);
        Assert.Contains("id=\"no-audit\"", theirs);
        Assert.Contains("<p class=\"empty-title\">Nothing recorded yet.</p>", theirs);
        Assert.DoesNotContain("laptop", theirs);

        using var anonymous = Browser();
        var refused = await anonymous.GetAsync(SshKeyPages.AuditPath);
        Assert.Equal((HttpStatusCode.Redirect, new Uri(_base, "/signin?ReturnUrl=%2Faccount%2Faudit")), (refused.StatusCode, refused.Headers.Location));
    }

    [Fact]
    public async Task A_token_created_on_the_account_page_is_shown_once_stored_hashed_works_with_Basic_and_can_be_deleted()
    {
        using var client = Browser();
        await PostFormAsync(client, "/signup", "/signup", ("username", "hank"), ("email", "hank@example.org"), ("password", "long enough password"));
        var created = await PostFormAsync(client, TokenPages.Path, TokenPages.Path, ("name", "ci"));
        // Post, redirect, get: the form's answer is a redirect, so reloading it cannot post again.
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        Assert.Equal(TokenPages.CreatedPath, created.Headers.Location?.OriginalString);
        var shown = await client.GetAsync(TokenPages.CreatedPath);
        Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
        Assert.True(shown.Headers.CacheControl?.NoStore, $"Cache-Control: {shown.Headers.CacheControl}");
        var html = await shown.Content.ReadAsStringAsync();
        Assert.Contains(Wharf.Server.Web.Html.E(TokenPages.ShownOnce), html);
        var secret = Regex.Match(html, "<pre id=\"new-token\" class=\"copy-source\" tabindex=\"0\">([^<]+)</pre>").Groups[1].Value;
        Assert.Contains("data-copy=\"new-token\" aria-label=\"Copy Token\">Copy</button>", html);
        Assert.StartsWith("wharf_", secret);

        // Reloading the page that showed it: no secret, no second token.
        var reloaded = await client.GetAsync(TokenPages.CreatedPath);
        Assert.Equal(HttpStatusCode.OK, reloaded.StatusCode);
        var again = await reloaded.Content.ReadAsStringAsync();
        Assert.Contains($"<p id=\"token-gone\" class=\"notice\">{Wharf.Server.Web.Html.E(TokenPages.AlreadyShown)}</p>", again);
        Assert.DoesNotContain(secret, again);
        Assert.DoesNotContain("new-token", again);
        Assert.Equal(1, await _data.CountAsync(db => db.ApiTokens));

        await using (var db = _data.OpenDatabase())
        {
            var stored = await db.ApiTokens.SingleAsync(t => t.Name == "ci");
            Assert.Equal(Wharf.Core.Tokens.ApiTokenService.Hash(secret), stored.TokenHash);
        }
        var list = await client.GetStringAsync(TokenPages.Path);
        Assert.Contains("<td data-label=\"Name\">ci</td>", list);
        Assert.DoesNotContain(secret, list);

        using var api = new HttpClient { BaseAddress = _base };
        api.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("hank:" + secret)));
        var me = await api.GetAsync("/2.0/user");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Contains("\"username\":\"hank\"", await me.Content.ReadAsStringAsync());

        var id = Regex.Match(list, "data-id=\"(\\d+)\"").Groups[1].Value;
        // Deleting asks first, naming the token and when it was made.
        string made;
        await using (var db = _data.OpenDatabase())
            made = (await db.ApiTokens.SingleAsync(t => t.Name == "ci")).CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"id=\"delete-token-{id}-open\">Delete ci (created {made}, #{id})</button>", list);
        Assert.Contains($"<p class=\"confirm-title\" id=\"delete-token-{id}-title\">{Wharf.Server.Web.Html.E($"Delete the API token 'ci', created {made}?")}</p>", list);
        var deleted = await PostFormAsync(client, TokenPages.Path, $"{TokenPages.Path}/{id}/delete");
        Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
        Assert.Contains("<div class=\"flash\" role=\"status\" id=\"flash\">Token &#x27;ci&#x27; deleted.</div>", await client.GetStringAsync(TokenPages.Path));
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/2.0/user")).StatusCode);
        Assert.Contains("id=\"no-tokens\"", await client.GetStringAsync(TokenPages.Path));
    }

    /// <summary>A real OpenSSH private key, made by ssh-keygen as a person would, in its own file format.</summary>
    private static string OpenSshPrivateKey()
    {
        var directory = Directory.CreateTempSubdirectory("wharf-preview-");
        try
        {
            var path = Path.Combine(directory.FullName, "id_ed25519");
            var keygen = System.Diagnostics.Process.Start("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path])!;
            keygen.WaitForExit();
            Assert.Equal(0, keygen.ExitCode);
            return File.ReadAllText(path);
        }
        finally { directory.Delete(recursive: true); }
    }

    private async Task<JsonElement> PreviewAsync(HttpClient client, string key)
    {
        var response = await PostFormAsync(client, SshKeyPages.Path, SshKeyPages.Path + "/preview", ("key", key));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>The CLI's table of refusals (those with a fixed message), plus ssh-keygen's own private key format.</summary>
    public static TheoryData<string, Func<string>, string> PreviewRefusals
    {
        get
        {
            var rows = new TheoryData<string, Func<string>, string>
            {
                { "private key (OpenSSH)", OpenSshPrivateKey,
                    "This is a private key. Paste the public key instead (the .pub file, or PuTTYgen's \"Public key for pasting\" box). If this private key was sent anywhere, consider it exposed: make a new key pair." },
            };
            foreach (var row in KeyCommandTests.Refusals.Where(r => r[3] is not null)) rows.Add((string)row[0], (Func<string>)row[1], (string)row[3]);
            return rows;
        }
    }

    [Theory]
    [MemberData(nameof(PreviewRefusals))]
    public async Task The_preview_answers_the_services_exact_refusal_and_stores_nothing(string what, Func<string> text, string message)
    {
        using var client = Browser();
        await PostFormAsync(client, "/signup", "/signup", ("username", "jo"), ("email", "jo@example.org"), ("password", "long enough password"));

        var preview = await PreviewAsync(client, text());

        Assert.False(preview.GetProperty("ok").GetBoolean(), what);
        Assert.Equal(message, preview.GetProperty("message").GetString());
        Assert.Equal(JsonValueKind.Null, preview.GetProperty("fingerprint").ValueKind);
        Assert.Equal(0, await _data.CountAsync(db => db.SshKeys));
        Assert.Equal(0, await _data.CountAsync(db => db.AuditLog));
        Assert.Contains("id=\"no-keys\"", await client.GetStringAsync(SshKeyPages.Path));
    }

    [Fact]
    public async Task The_preview_of_a_good_key_says_what_was_understood_and_stores_nothing()
    {
        using var client = Browser();
        await PostFormAsync(client, "/signup", "/signup", ("username", "jo"), ("email", "jo@example.org"), ("password", "long enough password"));
        var key = TestKeys.Ed25519("jo@laptop");

        var preview = await PreviewAsync(client, key);

        Assert.True(preview.GetProperty("ok").GetBoolean());
        Assert.Equal("ssh-ed25519", preview.GetProperty("key_type").GetString());
        Assert.Equal(256, preview.GetProperty("bits").GetInt32());
        Assert.Equal(TestKeys.Fingerprint(key), preview.GetProperty("fingerprint").GetString());
        Assert.Equal(0, await _data.CountAsync(db => db.SshKeys));

        // Without the antiforgery token, or signed out, there is no preview.
        var forged = await client.PostAsync(SshKeyPages.Path + "/preview", new FormUrlEncodedContent([KeyValuePair.Create("key", key)]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        using var anonymous = Browser();
        var signedOut = await anonymous.PostAsync(SshKeyPages.Path + "/preview", new FormUrlEncodedContent([KeyValuePair.Create("key", key)]));
        Assert.Equal((HttpStatusCode.Redirect, new Uri(_base, "/signin?ReturnUrl=%2Faccount%2Fssh-keys%2Fpreview")), (signedOut.StatusCode, signedOut.Headers.Location));
    }

    [Fact]
    public async Task The_add_key_form_takes_an_optional_expiry_date_shown_in_the_list()
    {
        using var client = Browser();
        await PostFormAsync(client, "/signup", "/signup", ("username", "lee"), ("email", "lee@example.org"), ("password", "long enough password"));

        var past = await PostFormAsync(client, SshKeyPages.Path, SshKeyPages.Path, ("label", "old"), ("key", TestKeys.Ed25519()), ("expires", "2001-01-01"));
        Assert.Equal(HttpStatusCode.BadRequest, past.StatusCode);
        Assert.Contains("<p class=\"field-error\" id=\"key-expires-error\">The expiry date is in the past; give a date from tomorrow on, or none.</p>", await past.Content.ReadAsStringAsync());
        Assert.Equal(0, await _data.CountAsync(db => db.SshKeys));

        var added = await PostFormAsync(client, SshKeyPages.Path, SshKeyPages.Path, ("label", "temp"), ("key", TestKeys.Ed25519()), ("expires", "2999-01-31"));
        Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);
        Assert.Contains("<time datetime=\"2999-01-31T00:00:00Z\" title=\"2999-01-31 00:00 UTC\">", await client.GetStringAsync(SshKeyPages.Path));
    }

    [Fact]
    public async Task A_password_set_with_the_cli_while_the_server_runs_signs_in_on_the_web()
    {
        const string password = "correct horse battery staple";
        using var before = Browser();
        var refused = await PostFormAsync(before, "/signin", "/signin", ("username", "dora"), ("password", password));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        var set = await _data.PipeAsync(password + "\n", "admin", "user", "password", "dora");
        Assert.Equal((0, "Password set for dora. They can sign in on the web now.\n", ""), (set.ExitCode, set.Out, set.Error));
        await using (var db = _data.OpenDatabase())
        {
            var hash = (await db.Users.SingleAsync(u => u.LowerName == "dora")).PasswordHash;
            Assert.NotNull(hash);
            Assert.DoesNotContain(password, hash);
        }

        using var client = Browser();
        var wrong = await PostFormAsync(client, "/signin", "/signin", ("username", "dora"), ("password", password + "!"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var signedIn = await PostFormAsync(client, "/signin", "/signin", ("username", "dora"), ("password", password));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal(AccountEndpoints.AfterSignIn, signedIn.Headers.Location?.OriginalString);
        Assert.Contains("<a href=\"/account\">dora</a>", await client.GetStringAsync("/account/ssh-keys"));
    }

    [Fact]
    public async Task A_user_created_with_password_stdin_signs_in_on_the_web()
    {
        var created = await _data.PipeAsync("long enough password\n", "admin", "user", "create", "ivy", "--email", "ivy@example.org", "--password-stdin");
        Assert.Equal((0, "Created user ivy.\n", ""), (created.ExitCode, created.Out, created.Error));

        using var client = Browser();
        var signedIn = await PostFormAsync(client, "/signin", "/signin", ("username", "ivy"), ("password", "long enough password"));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Contains("<a href=\"/account\">ivy</a>", await client.GetStringAsync("/account/ssh-keys"));
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
