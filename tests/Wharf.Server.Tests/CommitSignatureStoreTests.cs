using System.Text;
using Microsoft.EntityFrameworkCore;
using Wharf.Core.Audit;
using Wharf.Core.Keys;
using Wharf.Core.Signatures;
using Wharf.Data.Stores;

namespace Wharf.Server.Tests;

/// <summary>
/// The verdict table on both providers: the first verdict on an object counts, a compromise report turns the verified
/// verdicts recorded since its date into revoked ones and notes the earlier ones, in one step with its audit entry;
/// and how a raw commit splits into payload and signature.
/// </summary>
public sealed class CommitSignatureStoreTests : IDisposable
{
    private readonly TestData _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task ACompromiseReportRevokesVerdictsFromItsDateAndNotesEarlierOnesAndTheFirstVerdictCounts()
    {
        await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org");
        await _data.RunAsync("admin", "repo", "create", "alice/site");
        var key = TestKeys.Ed25519("alice@laptop");
        Assert.Equal(0, (await _data.PipeAsync(key + "\n", "admin", "key", "add", "alice", "--label", "signer", "--usage", "signing")).ExitCode);
        await using var db = _data.OpenDatabase();
        var repositoryId = await db.Repositories.Select(r => r.Id).SingleAsync();
        var stored = await db.SshKeys.AsNoTracking().SingleAsync();
        var t0 = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        CommitSignature Verdict(string id, DateTimeOffset at, SignatureStatus status = SignatureStatus.Verified) => new()
        {
            RepositoryId = repositoryId, ObjectId = id, Status = status, KeyFingerprint = stored.Fingerprint, KeyLabel = "signer",
            UserId = stored.UserId, Account = "alice", VerifiedAt = at,
        };
        var store = new EfCommitSignatureStore(db);
        await store.AddAsync([Verdict(new string('a', 40), t0), Verdict(new string('b', 40), t0.AddDays(10)), Verdict(new string('c', 40), t0.AddDays(20), SignatureStatus.Unverified)], default);
        // A second verdict on an object already recorded is not kept.
        await store.AddAsync([Verdict(new string('a', 40), t0.AddDays(30), SignatureStatus.Unverified)], default);

        var audit = new AuditEntry { UserId = stored.UserId, Action = AuditActions.KeyCompromised, KeyFingerprint = stored.Fingerprint, KeyLabel = "signer", Actor = "alice", At = t0.AddDays(40) };
        await new EfSshKeyStore(db).MarkCompromisedAsync(stored, t0.AddDays(5), SignatureReasons.Revoked("2026-03-06"), SignatureReasons.CompromisedLater("2026-03-06"), audit, default);

        var rows = await db.CommitSignatures.AsNoTracking().OrderBy(c => c.ObjectId).Select(c => new { c.Status, c.Reason }).ToListAsync();
        Assert.Equal(
            [
                new { Status = SignatureStatus.Verified, Reason = (string?)"Verified when pushed; the key was reported compromised on 2026-03-06, after this signature was recorded" },
                new { Status = SignatureStatus.Revoked, Reason = (string?)"Revoked: key reported compromised on 2026-03-06" },
                new { Status = SignatureStatus.Unverified, Reason = (string?)null },
            ], rows);
        Assert.Equal(t0.AddDays(5), (await db.SshKeys.AsNoTracking().SingleAsync()).CompromisedSince);
        Assert.Equal(1, await db.AuditLog.CountAsync(a => a.Action == AuditActions.KeyCompromised));
    }

    [Fact]
    public void ACommitsGpgsigHeaderIsTakenOutOfThePayloadWithItsContinuationLines()
    {
        const string raw = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n" +
            "author A <a@example.org> 1700000000 +0000\n" +
            "committer A <A@Example.org> 1700000000 +0000\n" +
            "gpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n -----END SSH SIGNATURE-----\n" +
            "\nmessage\n";
        var parsed = CommitSignatures.Parse("commit", Encoding.UTF8.GetBytes(raw));
        Assert.Equal("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n", parsed.Signature);
        Assert.Equal("A@Example.org", parsed.SignerEmail);
        Assert.Equal(raw.Replace("gpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n -----END SSH SIGNATURE-----\n", ""), Encoding.UTF8.GetString(parsed.Payload));

        const string tag = "object 4b825dc642cb6eb9a060e54bf8d69288fbee4904\ntype commit\ntag v1\ntagger T <t@example.org> 1700000000 +0000\n\nrelease\n";
        var signedTag = CommitSignatures.Parse("tag", Encoding.UTF8.GetBytes(tag + "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n"));
        Assert.Equal((tag, "t@example.org"), (Encoding.UTF8.GetString(signedTag.Payload), signedTag.SignerEmail));
        Assert.Null(CommitSignatures.Parse("tag", Encoding.UTF8.GetBytes(tag)).Signature);
    }

    [Fact]
    public void TheApisSignatureObjectHasTheIssuesShape()
    {
        var verdict = new CommitSignature
        {
            ObjectId = new string('a', 40), Status = SignatureStatus.Revoked, Reason = "Revoked: key reported compromised on 2026-03-06",
            KeyFingerprint = "SHA256:abc", KeyLabel = "signer", Account = "alice", VerifiedAt = new DateTimeOffset(2026, 3, 7, 8, 9, 10, TimeSpan.Zero),
        };
        var json = System.Text.Json.JsonSerializer.Serialize(Web.Api.SignatureDto.From(verdict),
            new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower });
        Assert.Equal("""{"status":"revoked","reason":"Revoked: key reported compromised on 2026-03-06","key":{"label":"signer","fingerprint":"SHA256:abc"},"account":"alice","verified_at":"2026-03-07T08:09:10+00:00"}""", json);
        var unsigned = Web.Api.SignatureDto.From(new CommitSignature { ObjectId = "b", Status = SignatureStatus.Unsigned, Reason = SignatureReasons.NoSignature });
        Assert.Equal(("unsigned", null, null), (unsigned.Status, unsigned.Key, unsigned.Account));
    }
}
