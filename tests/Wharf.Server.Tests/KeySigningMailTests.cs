using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MimeKit;
using Wharf.Core.Notifications;

namespace Wharf.Server.Tests;

/// <summary>
/// Issue 13 point 3: the owner is mailed when a key's usage changes and when a key is reported compromised, from the
/// CLI and from the API. Without SMTP the mails land in <c>DATA/mail/outbox</c> as .eml files; each names the key by
/// label and fingerprint, and none carries secret material (the API token used, a private key).
/// </summary>
public sealed class KeySigningMailTests : IDisposable
{
    private readonly TestData _data = new();
    public void Dispose() => _data.Dispose();

    private List<MimeMessage> OutboxMessages()
    {
        var outbox = Mail.Outbox.Path(_data.Paths);
        return Directory.Exists(outbox) ? [.. Directory.GetFiles(outbox, "*.eml").Order().Select(f => MimeMessage.Load(f))] : [];
    }

    private static string[] Lines(MimeMessage m) => (m.TextBody ?? "").Replace("\r\n", "\n").Split('\n');

    private static void AssertNoSecrets(MimeMessage message, params string[] secrets)
    {
        var whole = message.ToString();
        Assert.DoesNotContain("PRIVATE KEY", whole, StringComparison.Ordinal);
        foreach (var secret in secrets) Assert.DoesNotContain(secret, whole, StringComparison.Ordinal);
    }

    private async Task<string> AddAliceKeyAsync()
    {
        Assert.Equal(0, (await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org")).ExitCode);
        var added = await _data.PipeAsync(TestKeys.Ed25519("alice@laptop"), "admin", "key", "add", "alice", "--label", "laptop");
        Assert.Equal(0, added.ExitCode);
        return added.Out.Trim().Split('\n')[^1].Trim();
    }

    [Fact]
    public async Task A_usage_change_and_a_compromise_report_from_the_cli_each_mail_the_owner_naming_the_key()
    {
        var fingerprint = await AddAliceKeyAsync();
        Assert.StartsWith("SHA256:", fingerprint);

        Assert.Equal(0, (await _data.RunAsync("admin", "key", "usage", "alice", "--label", "laptop", "--to", "signing")).ExitCode);
        var usage = Assert.Single(OutboxMessages(), m => m.Subject == KeyMessages.UsageSubject);
        Assert.Equal("SSH key usage changed", usage.Subject);
        Assert.Equal("alice@example.org", Assert.Single(usage.To.Mailboxes).Address);
        var lines = Lines(usage);
        Assert.Contains("The usage of an SSH key on your Wharf account alice changed from authentication to signing. It no longer logs in over SSH. " +
            "Commits and tags signed with it can show as verified.", lines);
        Assert.Contains("Label: laptop", lines);
        Assert.Contains("Fingerprint: " + fingerprint, lines);
        Assert.Contains("Source address: the command line on the server", lines);
        AssertNoSecrets(usage);

        Assert.Equal(0, (await _data.RunAsync("admin", "key", "compromised", "alice", "--label", "laptop", "--since", "2026-01-02")).ExitCode);
        var compromised = Assert.Single(OutboxMessages(), m => m.Subject == KeyMessages.CompromisedSubject);
        Assert.Equal("SSH key reported compromised", compromised.Subject);
        Assert.Equal("alice@example.org", Assert.Single(compromised.To.Mailboxes).Address);
        lines = Lines(compromised);
        Assert.Contains("An SSH key on your Wharf account alice was reported compromised since 2026-01-02. It no longer logs in and no longer signs; " +
            "commit signatures Wharf recorded from that date on now show as revoked, earlier ones stay verified with a note.", lines);
        Assert.Contains("Label: laptop", lines);
        Assert.Contains("Fingerprint: " + fingerprint, lines);
        AssertNoSecrets(compromised);
        // One mail per change: added, usage, compromised (the outbox's file names do not keep their order).
        Assert.Equal(["SSH key added", "SSH key reported compromised", "SSH key usage changed"],
            OutboxMessages().Select(m => m.Subject).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Through_the_api_the_mails_name_the_key_and_the_client_address_and_never_the_token()
    {
        Assert.Equal(0, (await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org")).ExitCode);
        var token = (await _data.RunAsync("admin", "token", "create", "alice")).Out.TrimEnd('\n').Split('\n')[^1];
        await using var serve = await InProcessServe.StartAsync(_data);
        using var http = new HttpClient { BaseAddress = new Uri(serve.HttpBaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var created = await http.PostAsync("/2.0/users/alice/ssh-keys", JsonContent.Create(new { key = TestKeys.Ed25519("alice@desk"), label = "desk" }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        var fingerprint = body.GetProperty("fingerprints").GetProperty("sha256").GetString()!;
        var uuid = body.GetProperty("uuid").GetString();

        var changed = await http.PutAsync($"/2.0/users/alice/ssh-keys/{uuid}", JsonContent.Create(new { usage_type = "authentication_and_signing" }));
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var usage = Assert.Single(OutboxMessages(), m => m.Subject == "SSH key usage changed");
        Assert.Contains("The usage of an SSH key on your Wharf account alice changed from authentication to authentication and signing. " +
            "It can log in over SSH. Commits and tags signed with it can show as verified.", Lines(usage));
        Assert.Contains("Label: desk", Lines(usage));
        Assert.Contains("Fingerprint: " + fingerprint, Lines(usage));
        Assert.Contains("Source address: 127.0.0.1", Lines(usage));
        AssertNoSecrets(usage, token);

        var reported = await http.PutAsync($"/2.0/users/alice/ssh-keys/{uuid}", JsonContent.Create(new { compromised_since = "2026-03-04" }));
        Assert.Equal(HttpStatusCode.OK, reported.StatusCode);
        var compromised = Assert.Single(OutboxMessages(), m => m.Subject == "SSH key reported compromised");
        Assert.Contains(Lines(compromised), l => l.StartsWith("An SSH key on your Wharf account alice was reported compromised since 2026-03-04. ", StringComparison.Ordinal));
        Assert.Contains("Label: desk", Lines(compromised));
        Assert.Contains("Fingerprint: " + fingerprint, Lines(compromised));
        Assert.Contains("Source address: 127.0.0.1", Lines(compromised));
        AssertNoSecrets(compromised, token);
    }
}
