using Wharf.Core;
using Wharf.Data;

namespace Wharf.Server.Operations;

/// <summary>
/// Whether this node can serve: the database answers, the repositories root takes a new file, git is on the PATH,
/// and the server is not shutting down. A load balancer stops sending new work to a node whose <c>/readyz</c> is
/// 503. Nobody needs to sign in to read it, so it says only which check failed, in fixed words; what went wrong
/// (host names, paths, the exception) goes to the log.
/// </summary>
public sealed partial class ReadinessCheck(WharfPaths paths, IHostApplicationLifetime lifetime, RequiredTools tools, ILogger<ReadinessCheck> logger)
{
    public sealed record Result(bool Ready, IReadOnlyDictionary<string, string> Checks)
    {
        public IEnumerable<string> Failed => Checks.Where(c => c.Value != "ok").Select(c => c.Key);
    }

    public async Task<Result> RunAsync(WharfDbContext db, CancellationToken cancellationToken)
    {
        var checks = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["database"] = await DatabaseAsync(db, cancellationToken),
            ["repositories"] = Repositories(),
            ["git"] = tools.HasGit ? "ok" : "not found",
        };
        // Not a failure of the node, but new pushes would be refused: take it out of rotation first.
        if (lifetime.ApplicationStopping.IsCancellationRequested) checks["shutdown"] = "shutting down";
        return new Result(checks.Values.All(v => v == "ok"), checks);
    }

    private async Task<string> DatabaseAsync(WharfDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            return await db.Database.CanConnectAsync(cancellationToken) ? "ok" : "unreachable";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCheckFailed("database", e);
            return "unreachable";
        }
    }

    // A real create and delete, because permissions, a read-only mount and a full disk all show up only then.
    private string Repositories()
    {
        try
        {
            Directory.CreateDirectory(paths.Repositories);
            var probe = Path.Combine(paths.Repositories, ".readyz-" + Guid.NewGuid().ToString("N"));
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
            return "ok";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogCheckFailed("repositories", e);
            return "not writable";
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Readiness check {Check} failed")]
    private partial void LogCheckFailed(string check, Exception exception);
}
