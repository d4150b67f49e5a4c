using Microsoft.EntityFrameworkCore;
using Wharf.Core;
using Wharf.Core.Audit;
using Wharf.Data;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// Issue 4 point 7 with the real OpenSSH client: a key past its expiry date stops working at once, ssh shows
/// the person why (the SSH banner names the key, its fingerprint, the date and where to add a new key), and
/// the owner's audit log records the refusal once.
/// </summary>
public sealed class ExpiredKeyTests(WharfServer server) : IClassFixture<WharfServer>
{
    [Fact]
    public async Task AnExpiredKeyIsToldWhyOverSshExitsWith255AndIsAuditedOnce()
    {
        var carol = await server.CreateUserAsync("carol", "ed25519");
        var key = carol.Key;
        Expect.Succeeded(await server.SshAsync(key, ["-T"]), server, "ssh -T with carol's key before it expires");

        // The only way to have an expired key without waiting: the API and the CLI refuse an expiry in the past,
        // so the test moves the stored date back, as the passing of time would.
        var expiresAt = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(-3), TimeSpan.Zero);
        await using (var db = WharfDatabase.OpenSqlite(new WharfPaths(server.DataDirectory)))
        {
            var changed = await db.SshKeys.Where(k => k.Fingerprint == key.Fingerprint)
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.ExpiresAt, expiresAt));
            Assert.Equal(1, changed);
        }

        var banner = $"Your SSH key 'laptop-ed25519' ({key.Fingerprint}) expired on {expiresAt:yyyy-MM-dd}. " +
            $"Add a new key at {server.HttpBaseUrl}/account/ssh-keys";
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var run = await server.SshAsync(key, ["-T"]);
            Expect.ExitCode(255, run, server, $"ssh -T with carol's expired key (attempt {attempt})");
            Expect.StderrContains(banner, run, server, $"ssh -T with carol's expired key (attempt {attempt})");
            Expect.StderrContains("Permission denied (publickey).", run, server, $"ssh -T with carol's expired key (attempt {attempt})");
            Expect.StdoutIs("", run, server, "an expired key must not see the greeting");
        }

        await using (var db = WharfDatabase.OpenSqlite(new WharfPaths(server.DataDirectory)))
        {
            var carolId = await db.Users.Where(u => u.LowerName == "carol").Select(u => u.Id).SingleAsync();
            var expired = await db.AuditLog.Where(a => a.UserId == carolId && a.Action == AuditActions.KeyExpired).ToListAsync();
            var entry = Assert.Single(expired);
            Assert.Equal(key.Fingerprint, entry.KeyFingerprint);
            Assert.Equal("laptop-ed25519", entry.KeyLabel);
            Assert.Equal("system", entry.Actor);
            Assert.Equal("127.0.0.1", entry.SourceAddress);
        }
    }
}
