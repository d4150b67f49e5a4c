using System.Net;
using System.Text;
using Wharf.Core.Audit;
using Wharf.Core.Errors;
using Wharf.Core.Git;
using Wharf.Core.Keys;
using Wharf.Server.Hosting;
using Wharf.Server.Operations;
using Wharf.Ssh.Server;

namespace Wharf.Server.Ssh;

/// <summary>Wharf's answers to the SSH library: who a key belongs to, and what a session runs.</summary>
public sealed partial class WharfSshHandler(
    IServiceScopeFactory scopes, GitProcessRunner runner, TimeProvider time, WebAddress web, KeyUsageBuffer usage, WharfMetrics metrics,
    ILogger<WharfSshHandler> logger) : ISshServerHandler
{
    /// <summary>The SSH user name git URLs use (<c>git@host</c>). "hg" joins when Mercurial does.</summary>
    public const string GitUserName = "git";

    public static string Greeting(string userName) =>
        $"logged in as {userName}.\n\nYou can use git or hg to connect to Wharf. Shell access is disabled.\n";

    public async ValueTask<SshPrincipal?> FindPrincipalAsync(SshAuthRequest request, CancellationToken cancellationToken)
    {
        if (request.UserName != GitUserName) return null;
        await using var scope = scopes.CreateAsyncScope();
        // No try/catch: a database failure must end the login, never turn into "unknown key" (CONVENTIONS §15).
        var owner = await scope.ServiceProvider.GetRequiredService<ISshKeyStore>()
            .FindByFingerprintAsync(request.Key.FingerprintSha256, cancellationToken);
        if (owner is null) return null;
        // The fingerprint is a hash of the key; comparing the key itself costs nothing and removes the question.
        if (owner.PublicKey != request.Key.ToOpenSshLine(includeComment: false)) return null;
        if (owner.ExpiresAt is { } expiresAt && expiresAt <= time.GetUtcNow())
        {
            // The query ("would you accept this key?") is answered yes: OpenSSH signs only after a yes, and the
            // library sends a banner only with the refusal of a signed request. Nothing logs in on a query.
            if (!request.SignatureVerified) return new WharfPrincipal(owner.UserId, owner.UserName, owner.KeyId);
            // Recorded only once the client proved it holds the private key: a public key alone (they are
            // public) must not be able to write to someone's audit log.
            await RecordExpiredAsync(scope.ServiceProvider, owner, request, cancellationToken);
            request.RefusalBanner = ExpiredBanner(owner.Label, request.Key.FingerprintSha256, expiresAt, web.SshKeysPage);
            return null;
        }
        // Recorded at login, in memory; KeyUsageFlusher writes it. A query is not a use.
        if (request.SignatureVerified) usage.Record(owner.KeyId, time.GetUtcNow());
        return new WharfPrincipal(owner.UserId, owner.UserName, owner.KeyId);
    }

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

    public async Task<int> RunSessionAsync(SshSession session, CancellationToken cancellationToken)
    {
        var principal = session.Principal as WharfPrincipal
            ?? throw new InvalidOperationException("Session principal was not created by WharfSshHandler.");

        if (session.Command is null)
        {
            await session.Output.WriteAsync(Encoding.UTF8.GetBytes(Greeting(principal.Name)), cancellationToken);
            await session.Output.FlushAsync(cancellationToken);
            return 0;
        }

        var started = time.GetTimestamp();
        var service = "invalid";
        try
        {
            var command = GitCommand.Parse(session.Command);
            service = command.Service.Subcommand();
            await using var scope = scopes.CreateAsyncScope();
            var repository = await scope.ServiceProvider.GetRequiredService<GitRequestAuthorizer>()
                .AuthorizeAsync(principal.UserId, command, cancellationToken);

            LogGitStarted(logger, principal.Name, command.Service.Subcommand(), repository.FullName);
            session.Environment.TryGetValue("GIT_PROTOCOL", out var gitProtocol);
            var status = await runner.RunAsync(command.Service, repository.Path, gitProtocol,
                session.Input, session.Output, session.Error, cancellationToken);
            LogGitFinished(logger, principal.Name, command.Service.Subcommand(), repository.FullName, status);
            metrics.GitOperation(service, status.ToString(System.Globalization.CultureInfo.InvariantCulture), time.GetElapsedTime(started));
            return status;
        }
        catch (WharfException e)
        {
            metrics.GitOperation(service, "refused", time.GetElapsedTime(started));
            LogRefused(logger, principal.Name, e.Category, e.Message);
            return await SshErrors.WriteAsync(session.Error, e, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogSessionFailed(logger, e, principal.Name);
            metrics.GitOperation(service, "error", time.GetElapsedTime(started));
            await session.Error.WriteAsync(SshErrors.Message(SshErrors.InternalError), cancellationToken);
            await session.Error.FlushAsync(cancellationToken);
            return SshErrors.InternalErrorStatus;
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "{User} runs git {Service} on {Repository}")]
    private static partial void LogGitStarted(ILogger logger, string user, string service, string repository);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "{User}'s git {Service} on {Repository} exited with {ExitStatus}")]
    private static partial void LogGitFinished(ILogger logger, string user, string service, string repository, int exitStatus);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "Refused SSH command of {User} ({Category}): {Reason}")]
    private static partial void LogRefused(ILogger logger, string user, ErrorCategory category, string reason);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Refused expired SSH key {Fingerprint} of {User} (expired {ExpiresAt:O})")]
    private static partial void LogKeyExpired(ILogger logger, string user, string fingerprint, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Error, Message = "SSH session of {User} failed")]
    private static partial void LogSessionFailed(ILogger logger, Exception exception, string user);
}
