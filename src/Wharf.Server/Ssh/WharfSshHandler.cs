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
    IServiceScopeFactory scopes, RepositorySessions sessions, TimeProvider time, WebAddress web, KeyUsageBuffer usage, ILogger<WharfSshHandler> logger)
    : ISshServerHandler
{
    /// <summary>The SSH user name git URLs use (<c>git@host</c>).</summary>
    public const string GitUserName = "git";

    /// <summary>The SSH user name Mercurial URLs use (<c>ssh://hg@host/owner/repo</c>). Both names accept both kinds of command.</summary>
    public const string HgUserName = "hg";

    public static string Greeting(string userName) => RepositorySessions.Greeting(userName);

    public async ValueTask<SshPrincipal?> FindPrincipalAsync(SshAuthRequest request, CancellationToken cancellationToken)
    {
        if (request.UserName is not (GitUserName or HgUserName)) return null;
        await using var scope = scopes.CreateAsyncScope();
        var fingerprint = request.Key.FingerprintSha256;
        var line = request.Key.ToOpenSshLine(includeComment: false);
        // No try/catch: a database failure must end the login, never turn into "unknown key" (docs/ARCHITECTURE.md, design rule 7).
        var owner = await scope.ServiceProvider.GetRequiredService<ISshKeyStore>().FindByFingerprintAsync(fingerprint, cancellationToken);
        if (owner is null)
        {
            var accessKey = await scope.ServiceProvider.GetRequiredService<IAccessKeyStore>().FindByFingerprintAsync(fingerprint, cancellationToken);
            // The fingerprint is a hash of the key; comparing the key itself costs nothing and removes the question.
            return accessKey is not null && accessKey.PublicKey == line ? new AccessKeyPrincipal(accessKey.Id, fingerprint) : null;
        }
        // The fingerprint is a hash of the key; comparing the key itself costs nothing and removes the question.
        if (owner.PublicKey != line) return null;
        if (owner.ExpiresAt is { } expiresAt && expiresAt <= time.GetUtcNow())
        {
            // The query ("would you accept this key?") is answered yes: OpenSSH signs only after a yes, and the
            // library sends a banner only with the refusal of a signed request. Nothing logs in on a query.
            if (!request.SignatureVerified) return Principal(owner, fingerprint);
            // Recorded only once the client proved it holds the private key: a public key alone (they are
            // public) must not be able to write to someone's audit log.
            await RecordExpiredAsync(scope.ServiceProvider, owner, request, cancellationToken);
            request.RefusalBanner = ExpiredBanner(owner.Label, request.Key.FingerprintSha256, expiresAt, web.SshKeysPage);
            return null;
        }
        // Recorded at login, in memory; KeyUsageFlusher writes it. A query is not a use.
        if (request.SignatureVerified) usage.Record(owner.KeyId, time.GetUtcNow());
        return Principal(owner, fingerprint);
    }

    private static WharfPrincipal Principal(SshKeyOwner owner, string fingerprint) =>
        new(owner.UserId, owner.UserName, owner.KeyId, fingerprint, owner.Label, owner.IsAdmin);

    public static string ExpiredBanner(string label, string fingerprint, DateTimeOffset expiresAt, string keysPage) =>
        $"Your SSH key '{label}' ({fingerprint}) expired on {expiresAt.UtcDateTime:yyyy-MM-dd}. Add a new key at {keysPage}\n";

    private async Task RecordExpiredAsync(IServiceProvider services, SshKeyOwner owner, SshAuthRequest request, CancellationToken cancellationToken)
    {
        var entry = new AuditEntry
        {
            UserId = owner.UserId,
            Action = AuditActions.KeyExpired,
            KeyFingerprint = request.Key.FingerprintSha256,
            KeyLabel = owner.Label,
            Actor = Actor.System.Name,
            SourceAddress = (request.RemoteEndPoint as IPEndPoint)?.Address.ToString(),
            At = time.GetUtcNow(),
        };
        if (await services.GetRequiredService<ISshKeyStore>().RecordExpiredOnceAsync(owner, entry, cancellationToken))
            LogKeyExpired(logger, owner.UserName, request.Key.FingerprintSha256, owner.ExpiresAt!.Value);
    }

    public Task<int> RunSessionAsync(SshSession session, CancellationToken cancellationToken)
    {
        var identity = session.Principal as WharfIdentity
            ?? throw new InvalidOperationException("Session principal was not created by WharfSshHandler.");
        // GIT_PROTOCOL is the only variable taken from the client (the runner checks its value).
        session.Environment.TryGetValue("GIT_PROTOCOL", out var gitProtocol);
        return sessions.RunAsync(identity, session.Command, gitProtocol, (session.RemoteEndPoint as IPEndPoint)?.Address.ToString(),
            session.Input, session.Output, session.Error, cancellationToken);
    }

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Refused expired SSH key {Fingerprint} of {User} (expired {ExpiresAt:O})")]
    private static partial void LogKeyExpired(ILogger logger, string user, string fingerprint, DateTimeOffset expiresAt);
}
