using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Wharf.Core.Audit;
using Wharf.Core.Keys;
using Wharf.Core.Notifications;
using Wharf.Core.Users;
using Wharf.Server.Hosting;
using Wharf.Server.Mail;

namespace Wharf.Server.Tests;

/// <summary>Issue 4 point 6: key added/removed mail and reminders, to the outbox and through a real SMTP server.</summary>
public sealed class MailTests : IDisposable
{
    private readonly TestData _data = new();
    public void Dispose() => _data.Dispose();

    private string Outbox => Mail.Outbox.Path(_data.Paths);

    private async Task<string> AddAliceKeyAsync(string label = "laptop")
    {
        Assert.Equal(0, (await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org")).ExitCode);
        var r = await _data.PipeAsync(TestKeys.Ed25519("alice@laptop"), "admin", "key", "add", "alice", "--label", label);
        Assert.Equal(0, r.ExitCode);
        return r.Out.Trim().Split('\n')[^1].Trim();
    }

    private List<MimeMessage> OutboxMessages() => Directory.Exists(Outbox)
        ? [.. Directory.GetFiles(Outbox, "*.eml").Order().Select(f => MimeMessage.Load(f))]
        : [];

    private static string[] Lines(MimeMessage m) => (m.TextBody ?? "").Replace("\r\n", "\n").Split('\n');

    private void WriteSettings(string json) => File.WriteAllText(Path.Combine(_data.Paths.DataDirectory, "wharf.json"), json);

    [Fact]
    public async Task WithoutSmtpKeyAddedAndRemovedMailsLandInTheOutboxAsEml()
    {
        var fingerprint = await AddAliceKeyAsync();
        Assert.StartsWith("SHA256:", fingerprint);

        var added = Assert.Single(OutboxMessages());
        Assert.Equal("SSH key added", added.Subject);
        Assert.Equal("alice@example.org", Assert.Single(added.To.Mailboxes).Address);
        var lines = Lines(added);
        Assert.Contains("Label: laptop", lines);
        Assert.Contains("Fingerprint: " + fingerprint, lines);
        Assert.Contains("Source address: the command line on the server", lines);
        Assert.Contains(lines, l => l.StartsWith("Time: ", StringComparison.Ordinal) && l.EndsWith(" UTC", StringComparison.Ordinal));

        Assert.Equal(0, (await _data.RunAsync("admin", "key", "remove", "alice", "--label", "laptop")).ExitCode);
        var messages = OutboxMessages();
        Assert.Equal(2, messages.Count);
        var removed = Assert.Single(messages, m => m.Subject == "SSH key removed");
        Assert.Contains("Label: laptop", Lines(removed));
        Assert.Contains("Fingerprint: " + fingerprint, Lines(removed));
        Assert.Contains("Source address: the command line on the server", Lines(removed));
    }

    [Fact]
    public async Task AWebOrApiChangeNamesTheClientAddress()
    {
        await using var services = new ServiceCollection().AddWharf(_data.Paths, _data.Database).BuildServiceProvider();
        await WharfServices.PrepareAsync(services, CancellationToken.None);
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserService>();
        var user = await users.CreateAsync("alice", "alice@example.org", CancellationToken.None, emailVerified: true);
        var added = await scope.ServiceProvider.GetRequiredService<SshKeyService>()
            .AddAsync(user, TestKeys.Ed25519(), "desk", null, new Actor("alice", "203.0.113.7"), CancellationToken.None);

        var message = Assert.Single(OutboxMessages());
        Assert.Contains("Source address: 203.0.113.7", Lines(message));
        Assert.Contains("Fingerprint: " + added.Key.Fingerprint, Lines(message));
    }

    [Fact]
    public async Task ThroughTheApiTheMailNamesTheRequestsRemoteAddress()
    {
        Assert.Equal(0, (await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org")).ExitCode);
        var token = (await _data.RunAsync("admin", "token", "create", "alice")).Out.TrimEnd('\n').Split('\n')[^1];
        await using var serve = await InProcessServe.StartAsync(_data);
        using var http = new HttpClient { BaseAddress = new Uri(serve.HttpBaseUrl) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var created = await http.PostAsync("/2.0/users/alice/ssh-keys", System.Net.Http.Json.JsonContent.Create(new { key = TestKeys.Ed25519(), label = "api key" }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;

        var added = Assert.Single(OutboxMessages());
        Assert.Equal("SSH key added", added.Subject);
        Assert.Contains("Label: api key", Lines(added));
        Assert.Contains("Fingerprint: " + body.GetProperty("fingerprints").GetProperty("sha256").GetString(), Lines(added));
        Assert.Contains("Source address: 127.0.0.1", Lines(added));

        var deleted = await http.DeleteAsync("/2.0/users/alice/ssh-keys/" + body.GetProperty("uuid").GetString());
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var removed = Assert.Single(OutboxMessages(), m => m.Subject == "SSH key removed");
        Assert.Contains("Source address: 127.0.0.1", Lines(removed));
    }

    [Fact]
    public async Task AMailThatCannotBeKeptDoesNotFailTheKeyChange()
    {
        Directory.CreateDirectory(_data.Paths.DataDirectory);
        // A file where the mail directory should be: neither SMTP (none configured) nor the outbox can take the message.
        await File.WriteAllTextAsync(Path.Combine(_data.Paths.DataDirectory, "mail"), "in the way");
        await AddAliceKeyAsync();
        Assert.Equal(1, await _data.CountAsync(db => db.SshKeys));
    }

    [Fact]
    public async Task WhenTheSmtpServerIsDownTheMessageGoesToTheOutbox()
    {
        Directory.CreateDirectory(_data.Paths.DataDirectory);
        WriteSettings($$$"""{"Smtp": {"Host": "127.0.0.1", "Port": {{{FreePort()}}}, "From": "Wharf <wharf@example.org>", "UseTls": false, "Timeout": "00:00:05"}}""");
        var fingerprint = await AddAliceKeyAsync();
        var message = Assert.Single(OutboxMessages());
        Assert.Equal("SSH key added", message.Subject);
        Assert.Contains("Fingerprint: " + fingerprint, Lines(message));
    }

    [Fact]
    public async Task KeyMailIsSentThroughARealSmtpServer()
    {
        var port = FreePort();
        var maildir = Path.Combine(_data.Root, "maildir");
        using var smtp = StartAiosmtpd(port, maildir);
        Directory.CreateDirectory(_data.Paths.DataDirectory);
        WriteSettings($$$"""{"Smtp": {"Host": "127.0.0.1", "Port": {{{port}}}, "From": "Wharf <wharf@example.org>", "UseTls": false}}""");

        var fingerprint = await AddAliceKeyAsync();

        var files = Directory.Exists(Path.Combine(maildir, "new")) ? Directory.GetFiles(Path.Combine(maildir, "new")) : [];
        var received = MimeMessage.Load(Assert.Single(files));
        Assert.Equal("SSH key added", received.Subject);
        Assert.Equal("wharf@example.org", Assert.Single(received.From.Mailboxes).Address);
        Assert.Equal("alice@example.org", Assert.Single(received.To.Mailboxes).Address);
        Assert.Contains("Label: laptop", Lines(received));
        Assert.Contains("Fingerprint: " + fingerprint, Lines(received));
        Assert.Contains("Source address: the command line on the server", Lines(received));
        Assert.Empty(OutboxMessages());
    }

    private string[] Received(string maildir) =>
        Directory.Exists(Path.Combine(maildir, "new")) ? Directory.GetFiles(Path.Combine(maildir, "new")) : [];

    private OutboxSender NewOutboxSender(int port) => new(
        new SmtpSettings { Host = "127.0.0.1", Port = port, From = "Wharf <wharf@example.org>", UseTls = false, Timeout = TimeSpan.FromSeconds(10) },
        new Outbox(_data.Paths, TimeProvider.System), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<OutboxSender>.Instance);

    [Fact]
    public async Task MailQueuedWithoutSmtpIsDeliveredOnceSmtpIsConfiguredAndLeavesTheOutboxOnlyWhenAccepted()
    {
        // Queued while no SMTP server is configured: key added, then removed.
        var fingerprint = await AddAliceKeyAsync();
        Assert.Equal(0, (await _data.RunAsync("admin", "key", "remove", "alice", "--label", "laptop")).ExitCode);
        Assert.Equal(2, OutboxMessages().Count);

        var port = FreePort();
        var sender = NewOutboxSender(port);
        // The server is down: nothing is lost, and the pass says it failed so the next one backs off.
        var down = await sender.RunOnceAsync(CancellationToken.None);
        Assert.Equal(new OutboxSender.PassResult(0, 0, 2, true), down);
        Assert.Equal(2, OutboxMessages().Count);

        var maildir = Path.Combine(_data.Root, "maildir");
        using (StartAiosmtpd(port, maildir))
        {
            var up = await sender.RunOnceAsync(CancellationToken.None);
            Assert.Equal(new OutboxSender.PassResult(2, 0, 0, false), up);
        }

        var received = Received(maildir).Select(f => MimeMessage.Load(f)).OrderBy(m => m.Subject, StringComparer.Ordinal).ToList();
        Assert.Equal(["SSH key added", "SSH key removed"], received.Select(m => m.Subject));
        Assert.All(received, m => Assert.Equal("alice@example.org", Assert.Single(m.To.Mailboxes).Address));
        // Queued under the placeholder sender, sent from Smtp:From.
        Assert.All(received, m => Assert.Equal("wharf@example.org", Assert.Single(m.From.Mailboxes).Address));
        Assert.Contains("Fingerprint: " + fingerprint, Lines(received[0]));
        Assert.Empty(OutboxMessages());
        // Nothing left: a further pass sends nothing twice.
        Assert.Equal(new OutboxSender.PassResult(0, 0, 0, false), await sender.RunOnceAsync(CancellationToken.None));
    }

    [Fact]
    public async Task AMessageTheServerRefusesForGoodIsSetAsideAndDoesNotBlockTheOthers()
    {
        var outbox = new Outbox(_data.Paths, TimeProvider.System);
        foreach (var to in new[] { "reject-me@example.org", "alice@example.org" })
        {
            var m = new MimeMessage { Subject = "for " + to, Body = new TextPart("plain") { Text = "hello" } };
            m.From.Add(MailboxAddress.Parse(SmtpSettings.DefaultFrom));
            m.To.Add(MailboxAddress.Parse(to));
            await outbox.WriteAsync(m, CancellationToken.None);
        }
        // aiosmtpd's Maildir handler, refusing recipients whose address starts with "reject" with 550.
        var handlerDirectory = Path.Combine(_data.Root, "handler");
        Directory.CreateDirectory(handlerDirectory);
        await File.WriteAllTextAsync(Path.Combine(handlerDirectory, "refusing.py"), """
            from aiosmtpd.handlers import Mailbox

            class Refusing(Mailbox):
                async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                    if address.startswith("reject"):
                        return "550 5.1.1 No such user here"
                    envelope.rcpt_tos.append(address)
                    return "250 OK"
            """);
        var port = FreePort();
        var maildir = Path.Combine(_data.Root, "maildir");
        using (StartAiosmtpd(port, maildir, "refusing.Refusing", handlerDirectory))
            Assert.Equal(new OutboxSender.PassResult(1, 1, 0, false), await NewOutboxSender(port).RunOnceAsync(CancellationToken.None));

        Assert.Equal("for alice@example.org", MimeMessage.Load(Assert.Single(Received(maildir))).Subject);
        Assert.Empty(OutboxMessages());
        var rejected = Assert.Single(Directory.GetFiles(outbox.RejectedDirectory, "*.eml"));
        Assert.Equal("for reject-me@example.org", MimeMessage.Load(rejected).Subject);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(6, 32)]
    [InlineData(7, 60)]
    [InlineData(1000, 60)]
    public void FailedPassesBackOffFromOneMinuteToAnHour(int failedPasses, int minutes) =>
        Assert.Equal(TimeSpan.FromMinutes(minutes), OutboxSender.RetryDelay(failedPasses));

    [Fact]
    public async Task WharfServeDeliversTheOutboxAtStartWhenSmtpIsConfigured()
    {
        var fingerprint = await AddAliceKeyAsync();
        Assert.Single(OutboxMessages());
        var port = FreePort();
        var maildir = Path.Combine(_data.Root, "maildir");
        using var smtp = StartAiosmtpd(port, maildir);
        WriteSettings($$$"""{"Smtp": {"Host": "127.0.0.1", "Port": {{{port}}}, "From": "Wharf <wharf@example.org>", "UseTls": false}}""");

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using (var serve = await InProcessServe.StartAsync(_data))
        {
            // The first pass runs as the server starts; wait for its result, however long the machine takes.
            while (Received(maildir).Length == 0 && !serve.HasExited) await Task.Delay(100, stop.Token);
            Assert.False(serve.HasExited, "wharf serve stopped: " + serve.Errors);
        }
        var received = MimeMessage.Load(Assert.Single(Received(maildir)));
        Assert.Equal("SSH key added", received.Subject);
        Assert.Contains("Fingerprint: " + fingerprint, Lines(received));
        Assert.Empty(OutboxMessages());
    }

    [Fact]
    public async Task RemindersAreSentOnceSevenDaysBeforeExpiryAndOnceAtOneYear()
    {
        var time = new FakeTime(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var services = new ServiceCollection().AddSingleton<TimeProvider>(time).AddWharf(_data.Paths, _data.Database).BuildServiceProvider();
        await using var _ = services;
        await WharfServices.PrepareAsync(services, CancellationToken.None);
        services.GetRequiredService<WebAddress>().BaseUrl = "https://wharf.example.org/";
        User alice;
        await using (var scope = services.CreateAsyncScope())
        {
            alice = await scope.ServiceProvider.GetRequiredService<UserService>().CreateAsync("alice", "alice@example.org", CancellationToken.None, emailVerified: true);
            var keys = scope.ServiceProvider.GetRequiredService<SshKeyService>();
            await keys.AddAsync(alice, TestKeys.Ed25519(), "expiring", time.GetUtcNow().AddDays(30), Actor.Cli, CancellationToken.None);
            await keys.AddAsync(alice, TestKeys.Ed25519(), "old", null, Actor.Cli, CancellationToken.None);
        }
        async Task<int> PassAsync(double days)
        {
            time.Now = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero).AddDays(days);
            await using var scope = services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<KeyReminders>().RunOnceAsync(CancellationToken.None);
        }
        int Count(string subject) => OutboxMessages().Count(m => m.Subject == subject);

        Assert.Equal(0, await PassAsync(0));
        Assert.Equal(0, await PassAsync(22.9));
        Assert.Equal(1, await PassAsync(23));
        Assert.Equal(0, await PassAsync(24));
        Assert.Equal(0, await PassAsync(29.9));
        var expiry = Assert.Single(OutboxMessages(), m => m.Subject == KeyMessages.ExpirySubject);
        Assert.Contains("Label: expiring", Lines(expiry));
        Assert.Contains(Lines(expiry), l => l.Contains("expires on 2026-01-31 12:00:00 UTC", StringComparison.Ordinal));
        Assert.Contains("Make a new key (ssh-keygen -t ed25519) and add it at https://wharf.example.org/account/ssh-keys before then " +
            "(the guide there shows every step: https://wharf.example.org/account/ssh-keys/guide).", expiry.TextBody);

        Assert.Equal(0, await PassAsync(364.9));
        Assert.Equal(1, await PassAsync(365));
        Assert.Equal(0, await PassAsync(366));
        Assert.Equal(0, await PassAsync(800));
        var rotation = Assert.Single(OutboxMessages(), m => m.Subject == KeyMessages.RotationSubject);
        Assert.Contains("Label: old", Lines(rotation));
        Assert.Contains(Lines(rotation), l => l.Contains("one year ago", StringComparison.Ordinal));
        Assert.Contains("add it at https://wharf.example.org/account/ssh-keys, then remove the old one there.", rotation.TextBody);
        Assert.Equal(1, Count(KeyMessages.ExpirySubject));
        // Recorded in the owner's audit log, once each.
        Assert.Equal(1, await _data.CountAsync(db => db.AuditLog.Where(a => a.Action == KeyReminders.ExpiryReminderSent)));
        Assert.Equal(1, await _data.CountAsync(db => db.AuditLog.Where(a => a.Action == KeyReminders.RotationReminderSent)));
    }

    [Fact]
    public async Task TheRotationAgeIsASetting()
    {
        var time = new FakeTime(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Directory.CreateDirectory(_data.Paths.DataDirectory);
        WriteSettings("""{"Keys": {"RotationReminderAge": "90"}}""");
        var services = new ServiceCollection().AddSingleton<TimeProvider>(time)
            .AddWharf(_data.Paths, _data.Database, WharfConfiguration.Load(_data.Paths)).BuildServiceProvider();
        await using var _ = services;
        await WharfServices.PrepareAsync(services, CancellationToken.None);
        await using (var scope = services.CreateAsyncScope())
        {
            var alice = await scope.ServiceProvider.GetRequiredService<UserService>().CreateAsync("alice", "alice@example.org", CancellationToken.None, emailVerified: true);
            await scope.ServiceProvider.GetRequiredService<SshKeyService>().AddAsync(alice, TestKeys.Ed25519(), "k", null, Actor.Cli, CancellationToken.None);
        }
        time.Now = time.Now.AddDays(90);
        await using (var scope = services.CreateAsyncScope())
            Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<KeyReminders>().RunOnceAsync(CancellationToken.None));
        Assert.Contains(Lines(Assert.Single(OutboxMessages(), m => m.Subject == KeyMessages.RotationSubject)), l => l.Contains("90 days ago", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"Smtp": {"Host": "smtp.example.org"}}""", "'Smtp:From' is required when 'Smtp:Host' is set (the address messages are sent from).")]
    [InlineData("""{"Smtp": {"Hostname": "smtp.example.org"}}""", "Unknown SMTP setting 'Smtp:Hostname'. Known settings: Host, Port, From, UserName, Password, UseTls, Timeout.")]
    [InlineData("""{"Smtp": {"Port": 70000}}""", "Invalid SMTP setting 'Smtp:Port': 70000 is not a port (1-65535).")]
    [InlineData("""{"Smtp": {"Host": "h", "From": "w@example.org", "UserName": "u"}}""", "'Smtp:UserName' and 'Smtp:Password' are set together or not at all.")]
    [InlineData("""{"Keys": {"RotationReminderAge": "soon"}}""", "Invalid setting 'Keys:RotationReminderAge': 'soon' is not a positive duration (days, or d.hh:mm:ss).")]
    public async Task BadMailSettingsStopTheCommandWithTheirMessage(string json, string message)
    {
        Directory.CreateDirectory(_data.Paths.DataDirectory);
        WriteSettings(json);
        var r = await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(message, r.Error);
    }

    [Fact]
    public void ThePasswordIsNotInTheSettingsText()
    {
        var s = new SmtpSettings { Host = "smtp.example.org", UserName = "wharf", Password = "hunter2-secret" };
        Assert.DoesNotContain("hunter2-secret", s.ToString());
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Debian's aiosmtpd with its Mailbox handler, which stores each message in a Maildir.</summary>
    private static KillOnDispose StartAiosmtpd(int port, string maildir, string handler = "aiosmtpd.handlers.Mailbox", string? pythonPath = null)
    {
        const string python = "/usr/bin/python3";
        var check = Process.Start(new ProcessStartInfo(python, "-c \"import aiosmtpd\"") { RedirectStandardError = true });
        check?.WaitForExit();
        if (check is null || check.ExitCode != 0)
            Assert.Fail("Debian's python3-aiosmtpd is not installed for /usr/bin/python3: scripts/test.sh installs it (apt-get install python3-aiosmtpd).");
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (pythonPath is not null) start.Environment["PYTHONPATH"] = pythonPath;
        foreach (var a in new[] { "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{port}", "-c", handler, maildir })
            start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, port);
                return new KillOnDispose(process);
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(15) && !process.HasExited)
            {
                Thread.Sleep(100);
            }
            catch (SocketException)
            {
                var error = process.HasExited ? process.StandardError.ReadToEnd() : "";
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException("aiosmtpd did not start: " + error);
            }
        }
    }

    private sealed class KillOnDispose(Process process) : IDisposable
    {
        public void Dispose()
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit();
            process.Dispose();
        }
    }

    private sealed class FakeTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
