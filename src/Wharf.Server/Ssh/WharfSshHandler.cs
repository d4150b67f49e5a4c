using System.Net;
using System.Text;
using Wharf.Core.Audit;
using Wharf.Core.Errors;
using Wharf.Core.AccessKeys;
using Wharf.Core.Keys;
using Wharf.Server.Hosting;
using Wharf.Server.Operations;
using Wharf.Ssh.Server;

namespace Wharf.Server.Ssh;

/// <summary>Wharf's answers to the SSH library: who a key belongs to, and what a session runs.</summary>
public sealed partial class WharfSshHandler(
    IServiceScopeFactory scopes, RepositorySessions sessions, TimeProvider time, KeyUsageBuffer usage, KeyStanding standing, LiveSessions live,
    ILogger<WharfSshHandler> logger, UserCertificates certificates)
    : ISshServerHandler
{
    /// <summary>The SSH user name git URLs use (<c>git@host</c>).</summary>
    public const string GitUserName = "git";

    /// <summary>The SSH user name Mercurial URLs use (<c>ssh://hg@host/owner/repo</c>). Both names accept both kinds of command.</summary>
    public const string HgUserName = "hg";

    public async ValueTask<SshPrincipal?> FindPrincipalAsync(SshAuthRequest request, CancellationToken cancellationToken)
    {
        if (request.UserName is not (GitUserName or HgUserName)) return null;
        await using var scope = scopes.CreateAsyncScope();
        // A certificate is judged as a certificate only: a stored key never vouches for a certificate of it.
        if (request.Certificate is { } certificate) return await CertificatePrincipalAsync(request, certificate, scope.ServiceProvider, cancellationToken);
        var fingerprint = request.Key.FingerprintSha256;
        var line = request.Key.ToOpenSshLine(includeComment: false);
        // No try/catch: a database failure must end the login, never turn into "unknown key" (docs/ARCHITECTURE.md, design rule 7).
        var owner = await scope.ServiceProvider.GetRequiredService<ISshKeyStore>().FindByFingerprintAsync(fingerprint, cancellationToken);
        if (owner is null)
        {
            var accessKey = await scope.ServiceProvider.GetRequiredService<IAccessKeyStore>().FindByFingerprintAsync(fingerprint, cancellationToken);
            // The fingerprint is a hash of the key; comparing the key itself costs nothing and removes the question.
            if (accessKey is null || accessKey.PublicKey != line) return null;
            var principal = new AccessKeyPrincipal(accessKey.Id, fingerprint);
            if (!request.SignatureVerified || standing.Refusal(accessKey) is not { } refused) return principal;
            LogAccessKeyRefused(logger, fingerprint);
            request.RefusalBanner = refused;
            return null;
        }
        // The fingerprint is a hash of the key; comparing the key itself costs nothing and removes the question.
        if (owner.PublicKey != line) return null;
        if (standing.LoginRefusal(owner) is { } notForLogin)
        {
            // A signing-only or compromised key is refused like an unknown key: no banner, the same failure the client
            // sees for a key Wharf never heard of. The query is answered yes only so that the client proves it holds
            // the private key, and the audit log can then say why without a mere public key writing to it.
            if (!request.SignatureVerified) return Principal(owner, fingerprint);
            await RecordRefusedAsync(scope.ServiceProvider, owner, request, cancellationToken, notForLogin);
            return null;
        }
        if (certificates.Requires(owner.UserName))
        {
            // As for a refused key below: yes to the query, so that the holder signs and reads why.
            if (!request.SignatureVerified) return Principal(owner, fingerprint);
            LogPlainKeyRefused(logger, owner.UserName, fingerprint);
            request.RefusalBanner = $"The Wharf account {owner.UserName} accepts only SSH certificates; ask your certificate authority to sign your key.\n";
            return null;
        }
        if (standing.Refusal(owner, fingerprint) is { } banner)
        {
            // The query ("would you accept this key?") is answered yes: OpenSSH signs only after a yes, and the
            // library sends a banner only with the refusal of a signed request. Nothing logs in on a query.
            if (!request.SignatureVerified) return Principal(owner, fingerprint);
            // Recorded only once the client proved it holds the private key: a public key alone (they are
            // public) must not be able to write to someone's audit log.
            await RecordRefusedAsync(scope.ServiceProvider, owner, request, cancellationToken);
            request.RefusalBanner = banner;
            return null;
        }
        // Recorded at login, in memory; KeyUsageFlusher writes it. A query is not a use.
        if (request.SignatureVerified) usage.Record(owner.KeyId, time.GetUtcNow(), AddressOf(request.RemoteEndPoint));
        return Principal(owner, fingerprint);
    }

    /// <summary>
    /// A login with an OpenSSH user certificate (docs/OPERATIONS.md, "User certificates"): the checks of
    /// <see cref="UserCertificates.Check"/>, then the first principal that names an existing account is the account;
    /// a disabled account is refused. A query is answered yes (the holder then signs and reads why it is refused);
    /// only the answer to a verified request logs in, is logged and audited.
    /// </summary>
    private async Task<SshPrincipal?> CertificatePrincipalAsync(SshAuthRequest request, Wharf.Ssh.Keys.SshCertificate certificate,
        IServiceProvider services, CancellationToken cancellationToken)
    {
        if (!request.SignatureVerified) return new SshPrincipal("certificate query");
        var client = (request.RemoteEndPoint as IPEndPoint)?.Address;
        var ca = certificate.SignatureKey.FingerprintSha256;
        var keyId = UserCertificates.Clean(certificate.KeyId);
        var refusal = certificates.Check(certificate, client, time.GetUtcNow());
        Wharf.Core.Users.User? account = null;
        if (refusal is null)
        {
            account = await UserCertificates.AccountAsync(services.GetRequiredService<Wharf.Core.Users.IUserStore>(), certificate, cancellationToken);
            refusal = UserCertificates.AccountRefusal(certificate, account);
        }
        if (refusal is not null)
        {
            LogCertificateRefused(logger, AddressOf(request.RemoteEndPoint) ?? "unknown", keyId, certificate.Serial, ca, refusal.Code, refusal.Reason);
            request.RefusalBanner = UserCertificates.RefusalBanner(certificate, refusal.Reason);
            // Audited in the account's log when the certificate, from a trusted authority, names one: once per
            // certificate and reason, as a refused key is, however often the client retries. The log line above is
            // written every time (fail2ban counts those).
            if (refusal.Code != "unknown-ca")
            {
                account ??= await UserCertificates.AccountAsync(services.GetRequiredService<Wharf.Core.Users.IUserStore>(), certificate, cancellationToken);
                if (account is not null)
                    await services.GetRequiredService<IAuditLog>().AddUnlessRecordedAsync(new AuditEntry
                    {
                        UserId = account.Id,
                        Action = AuditActions.CertificateRefused,
                        KeyFingerprint = request.Key.FingerprintSha256,
                        KeyLabel = Limit($"certificate '{keyId}' from {ca}: {refusal.Reason}"),
                        Actor = Actor.System.Name,
                        SourceAddress = AddressOf(request.RemoteEndPoint),
                        At = time.GetUtcNow(),
                    }, cancellationToken);
            }
            return null;
        }
        var login = new CertificateLogin(certificate);
        LogCertificateLogin(logger, account!.Name, keyId, certificate.Serial, ca, UserCertificates.When(certificate.ValidBefore),
            string.Join(",", certificate.Extensions.Select(e => UserCertificates.Clean(e.Name))));
        return new WharfPrincipal(account.Id, account.Name, 0, request.Key.FingerprintSha256, login.Label, account.IsAdmin) { Certificate = login };
    }

    private static string Limit(string text) => text.Length <= SshKeyService.MaxLabelLength ? text : text[..SshKeyService.MaxLabelLength];

    /// <summary>The client's address as people write it (an IPv4 client on a dual-stack socket without the ::ffff: prefix).</summary>
    private static string? AddressOf(EndPoint? endPoint) =>
        endPoint is IPEndPoint { Address: var ip } ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : null;

    private static WharfPrincipal Principal(SshKeyOwner owner, string fingerprint) =>
        new(owner.UserId, owner.UserName, owner.KeyId, fingerprint, owner.Label, owner.IsAdmin);

    private async Task RecordRefusedAsync(IServiceProvider services, SshKeyOwner owner, SshAuthRequest request, CancellationToken cancellationToken,
        string? notForLogin = null)
    {
        var expired = notForLogin is null && owner.ExpiresAt is { } e && e <= time.GetUtcNow();
        var entry = new AuditEntry
        {
            UserId = owner.UserId,
            Action = notForLogin is not null ? AuditActions.KeyLoginRefused : expired ? AuditActions.KeyExpired : AuditActions.KeyRefused,
            Detail = notForLogin,
            KeyFingerprint = request.Key.FingerprintSha256,
            KeyLabel = owner.Label,
            Actor = Actor.System.Name,
            SourceAddress = (request.RemoteEndPoint as IPEndPoint)?.Address.ToString(),
            At = time.GetUtcNow(),
        };
        if (!await services.GetRequiredService<ISshKeyStore>().RecordRefusedOnceAsync(owner, entry, cancellationToken)) return;
        if (notForLogin is not null) LogKeyNotForLogin(logger, owner.UserName, request.Key.FingerprintSha256, notForLogin);
        else if (expired) LogKeyExpired(logger, owner.UserName, request.Key.FingerprintSha256, owner.ExpiresAt!.Value);
        else LogKeyRefused(logger, owner.UserName, request.Key.FingerprintSha256, standing.PolicyRefusal(owner.PublicKey) ?? "");
    }

    public async Task<int> RunSessionAsync(SshSession session, CancellationToken cancellationToken)
    {
        var identity = session.Principal as WharfIdentity
            ?? throw new InvalidOperationException("Session principal was not created by WharfSshHandler.");
        // The key is looked up again for every command: it may have been deleted, expired or fallen out of the key
        // policy, and its owner's admin flag may have changed, since this connection logged in.
        KeyVerdict verdict;
        await using (var scope = scopes.CreateAsyncScope())
            verdict = await standing.CheckAsync(identity, scope.ServiceProvider, cancellationToken);
        if (verdict.Current is not { } current)
        {
            LogRefusedRevoked(logger, identity.Name, identity.KeyFingerprint);
            return await RefuseAsync(session.Error, verdict.Refusal!, cancellationToken);
        }
        var (lease, tooMany) = live.TryStart(current, cancellationToken);
        if (lease is null)
        {
            LogTooManySessions(logger, current.Name, current.KeyFingerprint);
            return await RefuseAsync(session.Error, tooMany!, cancellationToken);
        }
        using (lease)
        {
            // GIT_PROTOCOL is the only variable taken from the client (the runner checks its value).
            session.Environment.TryGetValue("GIT_PROTOCOL", out var gitProtocol);
            try
            {
                // A certificate's force-command runs instead of whatever the client asked for, a shell included (as sshd does);
                // it is parsed as strictly as any command.
                var command = (current as WharfPrincipal)?.Certificate?.ForceCommand ?? session.Command;
                return await sessions.RunAsync(current, command, gitProtocol, (session.RemoteEndPoint as IPEndPoint)?.Address.ToString(),
                    session.Input, session.Output, session.Error, lease.Token, lease);
            }
            catch (OperationCanceledException) when (lease.EndedBecause is { } because && !cancellationToken.IsCancellationRequested)
            {
                // Ended by RevocationSweeper: the channel is still open, so the client reads why.
                return await RefuseAsync(session.Error, because, cancellationToken);
            }
        }
    }

    private static async Task<int> RefuseAsync(Stream error, string message, CancellationToken cancellationToken)
    {
        await error.WriteAsync(SshErrors.Message(message.TrimEnd('\n')), cancellationToken);
        await error.FlushAsync(cancellationToken);
        return SshErrors.ExitStatus(ErrorCategory.PermissionDenied);
    }

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Refused expired SSH key {Fingerprint} of {User} (expired {ExpiresAt:O})")]
    private static partial void LogKeyExpired(ILogger logger, string user, string fingerprint, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 1120, Level = LogLevel.Information, Message = "Refused SSH key {Fingerprint} of {User}: the key policy no longer allows it ({Reason})")]
    private static partial void LogKeyRefused(ILogger logger, string user, string fingerprint, string reason);

    [LoggerMessage(EventId = 1143, Level = LogLevel.Information, Message = "Refused SSH key {Fingerprint} of {User}: {Reason}")]
    private static partial void LogKeyNotForLogin(ILogger logger, string user, string fingerprint, string reason);

    [LoggerMessage(EventId = 1121, Level = LogLevel.Information, Message = "Refused access key {Fingerprint}: the key policy no longer allows it")]
    private static partial void LogAccessKeyRefused(ILogger logger, string fingerprint);

    [LoggerMessage(EventId = 1122, Level = LogLevel.Information, Message = "Refused a command of {User} ({Fingerprint}): the key was revoked since login")]
    private static partial void LogRefusedRevoked(ILogger logger, string user, string fingerprint);

    [LoggerMessage(EventId = 1140, Level = LogLevel.Warning, Message = "Refused SSH certificate '{KeyId}' (serial {Serial}, CA {Authority}) from {RemoteAddress}: {Code}: {Reason}")]
    private static partial void LogCertificateRefused(ILogger logger, string remoteAddress, string keyId, ulong serial, string authority, string code, string reason);

    [LoggerMessage(EventId = 1141, Level = LogLevel.Information, Message = "SSH certificate '{KeyId}' (serial {Serial}, CA {Authority}, valid until {ValidUntil}, extensions {Extensions}) accepted for {User}")]
    private static partial void LogCertificateLogin(ILogger logger, string user, string keyId, ulong serial, string authority, string validUntil, string extensions);

    [LoggerMessage(EventId = 1142, Level = LogLevel.Information, Message = "Refused plain SSH key {Fingerprint} of {User}: Ssh:RequireCertificates requires a certificate")]
    private static partial void LogPlainKeyRefused(ILogger logger, string user, string fingerprint);

    [LoggerMessage(EventId = 1123, Level = LogLevel.Warning, Message = "Refused a command of {User} ({Fingerprint}): too many commands at once")]
    private static partial void LogTooManySessions(ILogger logger, string user, string fingerprint);
}
