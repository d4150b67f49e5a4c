using Wharf.Core.Access;
using Wharf.Core.AccessKeys;
using Wharf.Core.Errors;
using Wharf.Core.Keys;
using Wharf.Ssh.Server;

namespace Wharf.Server.Ssh;

/// <summary>
/// Every <see cref="SessionSettings.RevocationCheckInterval"/> (5 s by default), checks the keys of this node's
/// logged-in SSH connections against the database, and closes those whose key was deleted (or its account), has
/// expired or is no longer allowed by the key policy, or whose access key was removed; and checks each running
/// command's repository access, ending those whose grant or access-key link was taken away. Nodes share only the
/// database, so each checks its own connections: a change made on any node, or with the CLI, reaches every node
/// within one interval (docs/OPERATIONS.md). The node that served the request making the change checks at once
/// (<see cref="Wake"/>).
/// </summary>
public sealed partial class RevocationSweeper(
    SshHostedService ssh, LiveSessions live, KeyStanding standing, IServiceScopeFactory scopes, SessionSettings settings, TimeProvider time,
    ILogger<RevocationSweeper> logger) : BackgroundService
{
    // Woken sweeps are at least this far apart, so a burst of requests costs one sweep a second at most.
    private static readonly TimeSpan MinimumGap = TimeSpan.FromSeconds(1);
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>
    /// Asks for a sweep now rather than at the next interval: called after every successful state-changing web or
    /// API request on this node (a key, access key or grant may have been removed), so this node acts at once; the
    /// other nodes, and changes made with the CLI, wait for their next interval.
    /// </summary>
    public void Wake()
    {
        if (_wake.CurrentCount > 0) return;
        try { _wake.Release(); }
        catch (SemaphoreFullException) { } // woken by someone else meanwhile
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                bool wasWoken;
                // Whichever comes first, the interval or a wake-up; the other wait is cancelled, so nothing is left pending.
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
                {
                    var woken = _wake.WaitAsync(wait.Token);
                    await Task.WhenAny(Task.Delay(settings.RevocationCheckInterval, time, wait.Token), woken);
                    await wait.CancelAsync();
                    await woken.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    wasWoken = woken.IsCompletedSuccessfully;
                }
                stoppingToken.ThrowIfCancellationRequested();
                try
                {
                    await SweepAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The database may be away for a moment; the next tick tries again. Logins fail meanwhile anyway.
                    LogSweepFailed(logger, e);
                }
                if (wasWoken) await Task.Delay(MinimumGap, time, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    /// <summary>One check of every live connection and running command on this node.</summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        var server = ssh.Server;
        var connections = server?.AuthenticatedPrincipals().OfType<WharfIdentity>().ToList() ?? [];
        var commands = live.WithRepository();
        if (connections.Count == 0 && commands.Count == 0) return;

        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var identities = connections.Concat(commands.Select(c => c.Identity)).ToList();
        var owners = (await services.GetRequiredService<ISshKeyStore>().FindByIdsAsync(
            identities.OfType<WharfPrincipal>().Select(p => p.KeyId).ToHashSet(), cancellationToken)).ToDictionary(o => o.KeyId);
        var accessKeys = (await services.GetRequiredService<IAccessKeyStore>().FindByIdsAsync(
            identities.OfType<AccessKeyPrincipal>().Select(p => p.AccessKeyId).ToHashSet(), cancellationToken)).ToDictionary(k => k.Id);

        // Certificate logins have no stored key: their account is looked up (there are few; one query each).
        var certificateAccounts = new Dictionary<long, Wharf.Core.Users.User?>();
        foreach (var id in identities.OfType<WharfPrincipal>().Where(p => p.Certificate is not null).Select(p => p.UserId).Distinct())
            certificateAccounts[id] = await services.GetRequiredService<Wharf.Core.Users.IUserStore>().FindByIdAsync(id, cancellationToken);

        KeyVerdict Judge(WharfIdentity identity) => identity switch
        {
            WharfPrincipal { Certificate: not null } user => standing.JudgeCertificate(user, certificateAccounts.GetValueOrDefault(user.UserId)),
            WharfPrincipal user => standing.Judge(user, owners.GetValueOrDefault(user.KeyId)),
            AccessKeyPrincipal key => standing.Judge(key, accessKeys.GetValueOrDefault(key.AccessKeyId)),
            _ => throw new InvalidOperationException("Unknown identity."),
        };

        var lookedUp = identities.ToHashSet();
        server?.CloseConnections(principal =>
        {
            if (ReasonToClose(principal, lookedUp, Judge) is not { } reason) return null;
            var identity = (WharfIdentity)principal;
            LogClosing(logger, identity.Name, identity.KeyFingerprint, reason);
            return reason;
        });

        // A command keeps the access it was opened with only while the grant (or the access key's link) lasts.
        var access = services.GetRequiredService<RepositoryAccess>();
        var decided = new Dictionary<(AccessSubject, string, AccessLevel), string?>();
        foreach (var command in commands)
        {
            if (command.Repository is not { } repository) continue;
            var verdict = Judge(command.Identity);
            string? why;
            if (verdict.Current is not { } current)
            {
                why = verdict.Refusal!.TrimEnd('\n');
            }
            else
            {
                var question = (current.Subject, repository.ToString(), command.Needed);
                if (!decided.TryGetValue(question, out why))
                {
                    try
                    {
                        await access.OpenAsync(current.Subject, repository, command.Needed, cancellationToken);
                        why = null;
                    }
                    catch (WharfException e) when (e.Category is ErrorCategory.NotFound or ErrorCategory.PermissionDenied)
                    {
                        why = e.Message + " The command was ended.";
                    }
                    decided[question] = why;
                }
            }
            if (why is null) continue;
            LogEnding(logger, command.Identity.Name, repository.ToString(), why);
            command.End(why);
        }
    }

    /// <summary>
    /// Why one connection found at the end of a sweep is to be closed, or null to keep it. Only connections that were
    /// logged in when the sweep read the database are judged (<paramref name="lookedUp"/>): one that logged in while
    /// the sweep waited for its queries was checked against the database at its login, and judging it by lookups that
    /// did not include its key would read that key as deleted ("This key is no longer registered on Wharf") and close a
    /// good login. The next sweep checks it.
    /// </summary>
    internal static string? ReasonToClose(SshPrincipal principal, IReadOnlySet<WharfIdentity> lookedUp, Func<WharfIdentity, KeyVerdict> judge) =>
        principal is WharfIdentity identity && lookedUp.Contains(identity) && judge(identity).Refusal is { } why ? DisconnectReason(why) : null;

    /// <summary>Wakes the sweeper after every successful state-changing request (see <see cref="Wake"/>).</summary>
    public static void UseRevocationWake(WebApplication app)
    {
        var sweeper = app.Services.GetServices<IHostedService>().OfType<RevocationSweeper>().Single();
        app.Use(async (context, next) =>
        {
            await next(context);
            if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && context.Response.StatusCode < 400)
                sweeper.Wake();
        });
    }

    /// <summary>One line for SSH_MSG_DISCONNECT, which OpenSSH prints after "Received disconnect from ...".</summary>
    public static string DisconnectReason(string refusal)
    {
        var line = refusal.ReplaceLineEndings(" ").Trim();
        return line.Length == 0 ? line : char.ToUpperInvariant(line[0]) + line[1..];
    }

    [LoggerMessage(EventId = 1124, Level = LogLevel.Information, Message = "Closing the SSH connection of {User} ({Fingerprint}): {Reason}")]
    private static partial void LogClosing(ILogger logger, string user, string fingerprint, string reason);

    [LoggerMessage(EventId = 1125, Level = LogLevel.Information, Message = "Ending {User}'s command on {Repository}: {Reason}")]
    private static partial void LogEnding(ILogger logger, string user, string repository, string reason);

    [LoggerMessage(EventId = 1126, Level = LogLevel.Warning, Message = "Could not check the keys of live SSH connections; trying again at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
