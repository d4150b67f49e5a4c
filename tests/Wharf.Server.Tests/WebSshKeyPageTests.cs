using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Server.Hosting;
using Wharf.Server.Ssh;
using Wharf.Server.Web.Accounts;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Server;

namespace Wharf.Server.Tests;

/// <summary>
/// The SSH keys page and the set-up guide through the real host: what a person reads after each change (the
/// flash), where a refusal appears (beside its field), the confirmation that names the key, the guide's commands
/// written for this server and this person, and the status the guide polls before and after the key's first login.
/// </summary>
public sealed class WebSshKeyPageTests : WebPageTestBase
{
    private const string Keys = SshKeyPages.Path;

    private static string E(string text) => HtmlEncoder.Default.Encode(text);

    private static string Flash(string message) => $"<div class=\"flash\" role=\"status\" id=\"flash\">{E(message)}</div>";

    private async Task<(long Id, Guid Uuid, string Label)> StoredKeyAsync()
    {
        await using var db = Host.Data.OpenDatabase();
        var key = await db.SshKeys.AsNoTracking().SingleAsync();
        return (key.Id, key.Uuid, key.Label);
    }

    [Fact]
    public async Task Adding_a_key_says_so_once_and_the_table_shows_its_facts_with_a_card_label_per_cell()
    {
        using var alice = await SignUpAsync("alice");
        var key = TestKeys.Ed25519("alice@laptop");

        var added = await alice.PostFormAsync(Keys, Keys, ("label", "laptop"), ("key", key));

        Assert.Equal((HttpStatusCode.Redirect, Keys), (added.StatusCode, added.Headers.Location?.OriginalString));
        var (_, html) = await alice.GetAsync(Keys);
        Assert.Contains(Flash("Key 'laptop' added."), html);
        var uuid = (await StoredKeyAsync()).Uuid;
        Assert.Contains($"<tr class=\"key\" id=\"key-{uuid:D}\" data-uuid=\"{uuid:D}\">", html);
        Assert.Contains("<td data-label=\"Type\">ssh-ed25519, 256 bits</td>", html);
        Assert.Contains($"<code class=\"fingerprint\">{E(TestKeys.Fingerprint(key))}</code>", html);
        Assert.Contains($"<code>{E(SshPublicKey.ParseOpenSsh(key).FingerprintMd5)}</code>", html);
        Assert.Contains("<td data-label=\"Comment\">alice@laptop</td>", html);
        Assert.Contains("<td data-label=\"Last used\"><span class=\"muted\">never</span></td>", html);
        Assert.Matches("<td data-label=\"Added\"><time datetime=\"[0-9T:-]+Z\" title=\"[0-9 :-]+ UTC\">just now</time></td>", html);
        // With a key, the page no longer shows the guide's steps (they stay one link away).
        Assert.DoesNotContain("id=\"panel-linux\"", html);
        Assert.Contains($"id=\"guide-link\" href=\"{SshKeyPages.GuidePath}\"", html);

        // Shown once: the next page has no flash.
        Assert.DoesNotContain("id=\"flash\"", (await alice.GetAsync(Keys)).Html);
    }

    [Fact]
    public async Task A_key_expiring_within_30_days_or_expired_carries_a_warning_badge()
    {
        using var alice = await SignUpAsync("alice");
        var soon = DateTimeOffset.UtcNow.AddDays(10).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(HttpStatusCode.Redirect, (await alice.PostFormAsync(Keys, Keys, ("label", "soon"), ("key", TestKeys.Ed25519()), ("expires", soon))).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await alice.PostFormAsync(Keys, Keys, ("label", "later"), ("key", TestKeys.Ed25519()), ("expires", "2999-01-31"))).StatusCode);
        Guid soonId, laterId;
        await using (var db = Host.Data.OpenDatabase())
        {
            soonId = await db.SshKeys.Where(k => k.Label == "soon").Select(k => k.Uuid).SingleAsync();
            laterId = await db.SshKeys.Where(k => k.Label == "later").Select(k => k.Uuid).SingleAsync();
            // Expired since yesterday (the form refuses a past date, so the stored row is aged directly).
            var expired = await db.SshKeys.SingleAsync(k => k.Label == "later");
            expired.ExpiresAt = DateTimeOffset.UtcNow.AddDays(-1);
            await db.SaveChangesAsync();
        }

        var (_, html) = await alice.GetAsync(Keys);

        Assert.Contains($"<span class=\"badge badge-warning\" id=\"{soonId:D}-expiry\">Expires soon</span>", html);
        Assert.Contains($"<span class=\"badge badge-danger\" id=\"{laterId:D}-expiry\">Expired</span>", html);
    }

    [Fact]
    public async Task Renaming_opens_on_demand_says_the_new_label_and_a_refusal_stands_beside_the_field()
    {
        using var alice = await SignUpAsync("alice");
        await alice.PostFormAsync(Keys, Keys, ("label", "laptop"), ("key", TestKeys.Ed25519()));
        await alice.PostFormAsync(Keys, Keys, ("label", "desk"), ("key", TestKeys.Ed25519("alice@desk")));
        Guid uuid;
        await using (var db = Host.Data.OpenDatabase()) uuid = await db.SshKeys.Where(k => k.Label == "laptop").Select(k => k.Uuid).SingleAsync();

        // Closed until asked for: one "Edit label" per key, named after it.
        var (_, page) = await alice.GetAsync(Keys);
        Assert.Contains($"<details class=\"rename\" id=\"rename-{uuid:D}\"><summary>Edit label<span class=\"visually-hidden\"> of laptop</span></summary>", page);

        var renamed = await alice.PostFormAsync(Keys, $"{Keys}/{uuid:D}/label", ("label", "work"));
        Assert.Equal((HttpStatusCode.Redirect, Keys), (renamed.StatusCode, renamed.Headers.Location?.OriginalString));
        Assert.Contains(Flash("Label changed to 'work'."), (await alice.GetAsync(Keys)).Html);

        foreach (var (label, message) in new[]
        {
            ("", "The label cannot be empty: give the key a label."),
            ("desk", "Another key on this account is already labelled 'desk'; labels must differ so that each names one key."),
        })
        {
            var refused = await alice.PostFormAsync(Keys, $"{Keys}/{uuid:D}/label", ("label", label));
            var html = await refused.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains($"<details class=\"rename\" id=\"rename-{uuid:D}\" open>", html);
            Assert.Contains($"name=\"label\" type=\"text\" value=\"{label}\" aria-describedby=\"label-{uuid:D}-error\" aria-invalid=\"true\"", html);
            Assert.Contains($"<p class=\"field-error\" id=\"label-{uuid:D}-error\">{E(message)}</p>", html);
            Assert.DoesNotContain("id=\"flash\"", html);
            await using var db = Host.Data.OpenDatabase();
            Assert.Equal("work", await db.SshKeys.Where(k => k.Uuid == uuid).Select(k => k.Label).SingleAsync());
        }
    }

    [Fact]
    public async Task Delete_asks_with_the_keys_name_then_says_it_is_gone_and_the_old_confirmation_address_leads_to_the_key()
    {
        using var alice = await SignUpAsync("alice");
        var key = TestKeys.Ed25519();
        await alice.PostFormAsync(Keys, Keys, ("label", "laptop"), ("key", key));
        var uuid = (await StoredKeyAsync()).Uuid;

        var (_, page) = await alice.GetAsync(Keys);
        Assert.Contains($"<button type=\"button\" class=\"button button-danger-outline\" popovertarget=\"delete-{uuid:D}\" id=\"delete-{uuid:D}-open\">Delete laptop</button>", page);
        Assert.Contains($"<p class=\"confirm-title\" id=\"delete-{uuid:D}-title\">Delete the key {E("'laptop'")}?</p>", page);
        Assert.Contains($"<p><code>{E(TestKeys.Fingerprint(key))}</code></p>", page);
        Assert.Contains($"<form method=\"post\" action=\"{Keys}/{uuid:D}/delete\" class=\"confirm-actions\">", page);

        var old = await alice.Client.GetAsync($"{Keys}/{uuid:D}/delete");
        Assert.Equal((HttpStatusCode.Redirect, $"{Keys}#key-{uuid:D}"), (old.StatusCode, old.Headers.Location?.OriginalString));
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Client.GetAsync($"{Keys}/{Guid.NewGuid():D}/delete")).StatusCode);

        var deleted = await alice.PostFormAsync(Keys, $"{Keys}/{uuid:D}/delete");
        Assert.Equal((HttpStatusCode.Redirect, Keys), (deleted.StatusCode, deleted.Headers.Location?.OriginalString));
        var after = (await alice.GetAsync(Keys)).Html;
        Assert.Contains(Flash("Key 'laptop' deleted."), after);
        Assert.Contains("id=\"no-keys\"", after);
        Assert.Equal(0, await Host.Data.CountAsync(db => db.SshKeys));
    }

    [Fact]
    public async Task Refusals_from_the_key_error_table_stand_beside_their_field_and_store_nothing()
    {
        using var alice = await SignUpAsync("alice");
        var privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";

        var refused = await alice.PostFormAsync(Keys, Keys, ("label", "laptop"), ("key", privateKey));
        var html = await refused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("<textarea id=\"key-text\" name=\"key\" rows=\"6\" aria-describedby=\"key-text-hint key-text-error\" aria-invalid=\"true\"", html);
        Assert.Contains("<p class=\"field-error\" id=\"key-text-error\">" + E(
            "This is a private key. Paste the public key instead (the .pub file, or PuTTYgen's \"Public key for pasting\" box). " +
            "If this private key was sent anywhere, consider it exposed: make a new key pair.") + "</p>", html);
        // The label typed is kept; the Label field has no error.
        Assert.Contains("id=\"key-label\" name=\"label\" type=\"text\" value=\"laptop\" aria-describedby=\"key-label-hint\"", html);

        var duplicate = TestKeys.Ed25519();
        await alice.PostFormAsync(Keys, Keys, ("label", "laptop"), ("key", duplicate));
        var again = await alice.PostFormAsync(Keys, Keys, ("label", "other"), ("key", duplicate));
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains($"<p class=\"field-error\" id=\"key-text-error\">{E("This key is already on your account as 'laptop'.")}</p>", await again.Content.ReadAsStringAsync());

        var longLabel = await alice.PostFormAsync(Keys, Keys, ("label", new string('x', 300)), ("key", TestKeys.Ed25519()));
        var longHtml = await longLabel.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, longLabel.StatusCode);
        Assert.Contains("<p class=\"field-error\" id=\"key-label-error\">The label is too long: at most", longHtml);
        Assert.DoesNotContain("id=\"key-text-error\"", longHtml);
        Assert.Equal(1, await Host.Data.CountAsync(db => db.SshKeys));
    }

    [Fact]
    public async Task The_preview_names_a_key_that_is_already_on_the_account_before_it_is_sent()
    {
        using var alice = await SignUpAsync("alice");
        var key = TestKeys.Ed25519();
        await alice.PostFormAsync(Keys, Keys, ("label", "laptop"), ("key", key));

        var answer = await alice.PostFormAsync(Keys, Keys + "/preview", ("key", key));

        var preview = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal((false, "This key is already on your account as 'laptop'."), (preview.GetProperty("ok").GetBoolean(), preview.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task The_guide_writes_this_servers_host_and_port_the_persons_email_and_the_host_key_fingerprints()
    {
        using var alice = await SignUpAsync("alice");
        var port = Host.SshEndPoint.Port;

        var (status, html) = await alice.GetAsync(SshKeyPages.GuidePath);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains($"value=\"{E("ssh-keygen -t ed25519 -C \"alice@example.org\"")}\"", html);
        Assert.Contains($"<input id=\"test-command\" class=\"copy-source mono\" value=\"ssh -T -p {port} git@127.0.0.1\"", html);
        Assert.Contains($"<input id=\"verbose-command\" class=\"copy-source mono\" value=\"ssh -vT -p {port} git@127.0.0.1\"", html);
        Assert.Contains("<pre id=\"expected-reply\"><code>logged in as alice.</code></pre>", html);
        Assert.Contains($"<pre id=\"config-block\" class=\"copy-source\" tabindex=\"0\">{E($"Host 127.0.0.1\n  HostName 127.0.0.1\n  Port {port}\n  User git\n  IdentityFile ~/.ssh/id_ed25519\n  AddKeysToAgent yes")}</pre>", html);
        Assert.Contains("ssh-add --apple-use-keychain ~/.ssh/id_ed25519", html);
        Assert.Contains(E("  AddKeysToAgent yes\n  UseKeychain yes"), html);
        Assert.Contains("Get-Service ssh-agent | Set-Service -StartupType Automatic; Start-Service ssh-agent", html);
        Assert.Contains("pbcopy &lt; ~/.ssh/id_ed25519.pub", html);
        Assert.Contains("Get-Content ~/.ssh/id_ed25519.pub | Set-Clipboard", html);
        Assert.Contains("xclip -selection clipboard &lt; ~/.ssh/id_ed25519.pub", html);
        Assert.Contains("wl-copy &lt; ~/.ssh/id_ed25519.pub", html);
        Assert.Contains("<button type=\"button\" role=\"tab\" id=\"tab-windows\" aria-controls=\"panel-windows\" aria-selected=\"false\">Windows (OpenSSH)</button>", html);
        Assert.Contains("href=\"/host-keys\"", html);
        // The fingerprints of the keys the SSH server offers, read from its key files.
        Assert.Contains($"<dt>ED25519</dt>\n                <dd><code>{E(SshHostKey.Load(Host.Data.Paths.HostKey).PublicKey.FingerprintSha256)}</code></dd>", html);
        Assert.Contains($"<dt>RSA</dt>\n                <dd><code>{E(SshHostKey.Load(Host.Data.Paths.RsaHostKey).PublicKey.FingerprintSha256)}</code></dd>", html);
        // The add-key form is inline and brings the person back to the guide.
        Assert.Contains("<input type=\"hidden\" name=\"from\" value=\"guide\">", html);
        Assert.Contains("Permission denied (publickey)", html);
        Assert.Contains("The agent has no identities.", html);
        Assert.Contains("Host key verification failed", html);

        // The keys page embeds the first steps while there is no key.
        Assert.Contains("id=\"panel-linux\"", (await alice.GetAsync(Keys)).Html);
    }

    [Fact]
    public async Task On_port_22_the_guide_tests_without_p_and_shows_no_config_block()
    {
        using var alice = await SignUpAsync("alice");
        var address = Host.Services.GetRequiredService<WebAddress>();
        (address.SshHost, address.SshPort) = ("git.example.org", 22);

        var (_, html) = await alice.GetAsync(SshKeyPages.GuidePath);

        Assert.Contains("<input id=\"test-command\" class=\"copy-source mono\" value=\"ssh -T git@git.example.org\"", html);
        Assert.DoesNotContain("id=\"ssh-config\"", html);
        Assert.DoesNotContain("id=\"config-block\"", html);
        Assert.DoesNotContain("Port 22", html);
    }

    [Fact]
    public async Task After_adding_from_the_guide_the_status_says_it_works_once_the_key_logs_in_with_time_and_address()
    {
        using var alice = await SignUpAsync("alice");
        var key = TestKeys.Ed25519();
        var added = await alice.PostFormAsync(SshKeyPages.GuidePath, Keys, ("label", "laptop"), ("key", key), ("from", "guide"));
        var (id, uuid, _) = await StoredKeyAsync();
        Assert.Equal((HttpStatusCode.Redirect, $"{SshKeyPages.GuidePath}?key={uuid:D}#key-watch"), (added.StatusCode, added.Headers.Location?.OriginalString));
        var statusPath = $"{Keys}/{uuid:D}/status";

        var guide = (await alice.GetAsync($"{SshKeyPages.GuidePath}?key={uuid:D}")).Html;
        Assert.Contains(Flash("Key 'laptop' added."), guide);
        Assert.Contains($"id=\"key-watch\" data-status-url=\"{statusPath}\"", guide);
        Assert.Contains(E("Your key 'laptop' has not connected yet. Run the test command; this page notices the first login."), guide);
        Assert.Contains($"<a id=\"check-again\" href=\"{SshKeyPages.GuidePath}?key={uuid:D}#key-watch\">Check again</a>", guide);

        var before = await alice.Client.GetAsync(statusPath);
        Assert.Equal("no-store", before.Headers.CacheControl?.ToString());
        var waiting = JsonDocument.Parse(await before.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal((false, JsonValueKind.Null), (waiting.GetProperty("used").GetBoolean(), waiting.GetProperty("last_used_at").ValueKind));

        // A login as the SSH server makes it: the signature verified, from a client address.
        var handler = Host.Services.GetRequiredService<WharfSshHandler>();
        var principal = await handler.FindPrincipalAsync(
            new SshAuthRequest("git", SshPublicKey.ParseOpenSsh(key), new IPEndPoint(IPAddress.Parse("192.0.2.7"), 50123), SignatureVerified: true), CancellationToken.None);
        Assert.NotNull(principal);
        var login = Host.Services.GetRequiredService<KeyUsageBuffer>().LastLogin(id)!;
        var when = login.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        var works = $"Your key 'laptop' connected at {when} from 192.0.2.7: it works";

        var after = JsonDocument.Parse(await alice.Client.GetStringAsync(statusPath)).RootElement;
        Assert.Equal((true, "192.0.2.7", works),
            (after.GetProperty("used").GetBoolean(), after.GetProperty("address").GetString(), after.GetProperty("message").GetString()));
        var done = (await alice.GetAsync($"{SshKeyPages.GuidePath}?key={uuid:D}")).Html;
        Assert.Contains($"<p id=\"key-status\" class=\"notice notice-success\" role=\"status\">{E(works)}</p>", done);
        Assert.DoesNotContain("id=\"check-again\"", done);
        Assert.DoesNotContain("data-status-url", done);

        // Written to the database by the flush, the answer stays the same.
        await Host.Services.GetRequiredService<KeyUsageBuffer>().FlushAsync(CancellationToken.None);
        Assert.Equal(works, JsonDocument.Parse(await alice.Client.GetStringAsync(statusPath)).RootElement.GetProperty("message").GetString());

        // Someone else's key is not found; signed out, there is no status.
        using var bob = await SignUpAsync("bob");
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Client.GetAsync(statusPath)).StatusCode);
        using var anonymous = new WebSession(Host.BaseAddress);
        var signedOut = await anonymous.Client.GetAsync(statusPath);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.StartsWith("/signin", signedOut.Headers.Location?.PathAndQuery);
    }

    [Fact]
    public void The_last_login_address_is_kept_in_memory_for_an_hour_and_then_forgotten()
    {
        var buffer = Host.Services.GetRequiredService<KeyUsageBuffer>();
        var at = new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
        buffer.Record(41, at, "192.0.2.1");
        buffer.Record(41, at.AddMinutes(-5), "192.0.2.2"); // an older login reported late changes nothing
        Assert.Equal(new KeyLogin(at, "192.0.2.1"), buffer.LastLogin(41));

        buffer.ForgetLogins(at); // nothing older than the login itself
        Assert.Equal(new KeyLogin(at, "192.0.2.1"), buffer.LastLogin(41));
        buffer.ForgetLogins(at.AddTicks(1));
        Assert.Null(buffer.LastLogin(41));
    }

    [Fact]
    public async Task A_refusal_on_the_guides_form_shows_the_guide_again_with_the_error_beside_the_key()
    {
        using var alice = await SignUpAsync("alice");

        var refused = await alice.PostFormAsync(SshKeyPages.GuidePath, Keys, ("label", "laptop"), ("key", "not a key"), ("from", "guide"));

        var html = await refused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("<h1>Set up an SSH key</h1>", html);
        Assert.Contains("<p class=\"field-error\" id=\"key-text-error\">", html);
        Assert.Equal(0, await Host.Data.CountAsync(db => db.SshKeys));
    }
}
