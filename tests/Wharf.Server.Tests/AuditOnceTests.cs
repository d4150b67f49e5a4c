using Microsoft.EntityFrameworkCore;
using Wharf.Core.Audit;
using Wharf.Data.Stores;

namespace Wharf.Server.Tests;

/// <summary>
/// Things recorded "once" stay once when several nodes do them at the same moment: each node has its own
/// connection, and the database decides. The count holds however the attempts interleave.
/// </summary>
public sealed class AuditOnceTests : IDisposable
{
    private const int Nodes = 8;
    private readonly TestData _data = new();
    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task AnExpiredKeyRefusedByManyNodesAtOnceIsInTheAuditLogOnce()
    {
        Assert.Equal(0, (await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org")).ExitCode);
        var key = TestKeys.Ed25519();
        Assert.Equal(0, (await _data.PipeAsync(key, "admin", "key", "add", "alice", "--label", "old")).ExitCode);
        Core.Keys.SshKeyOwner owner;
        await using (var db = _data.OpenDatabase())
            owner = (await new EfSshKeyStore(db).FindByFingerprintAsync(TestKeys.Fingerprint(key), CancellationToken.None))!;

        var recorded = await Task.WhenAll(Enumerable.Range(0, Nodes).Select(async node =>
        {
            await using var db = _data.OpenDatabase();
            var entry = new AuditEntry
            {
                UserId = owner.UserId, Action = AuditActions.KeyExpired, KeyFingerprint = TestKeys.Fingerprint(key),
                KeyLabel = "old", Actor = "system", SourceAddress = $"192.0.2.{node + 1}", At = DateTimeOffset.UtcNow,
            };
            return await new EfSshKeyStore(db).RecordRefusedOnceAsync(owner, entry, CancellationToken.None);
        }));

        Assert.Single(recorded, r => r);
        Assert.Equal(1, await _data.CountAsync(db => db.AuditLog.Where(a => a.Action == AuditActions.KeyExpired)));
    }
}
