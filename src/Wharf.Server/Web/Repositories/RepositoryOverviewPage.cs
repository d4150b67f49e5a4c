using Wharf.Core.Access;
using Wharf.Core.Audit;
using Wharf.Core.Repositories;
using Wharf.Server.Hosting;

namespace Wharf.Server.Web.Repositories;

/// <summary>
/// <c>/OWNER/NAME</c> (Read level): what the repository is, its SSH (and for git HTTPS) clone URLs with Copy buttons
///  and the commands that use it, the latest commits or changesets read from
/// the repository itself (or how to push the first ones), and the recent pushes from the audit log.
/// </summary>
internal static partial class RepositoryOverviewPage
{
    public const int RecentPushes = 10;

    public static void Map(RouteGroupBuilder repository)
    {
        repository.MapGet("/", async (string owner, string repo, HttpContext http, RepositoryHistory history, IAuditLog audit,
            RepositoryService service, WebAddress address, Core.Browse.CodeBrowsers browsers, ILoggerFactory loggers, CancellationToken ct) =>
        {
            // A clone URL's path pasted into the address bar: the page is at the name without ".git". Answered before
            // any lookup, so it says nothing about whether the repository exists.
            if (repo.EndsWith(".git", StringComparison.OrdinalIgnoreCase) && Core.Names.IsValidUserName(owner) && Core.Names.IsValidRepositoryName(repo[..^4]))
                return Results.Redirect($"/{owner}/{repo[..^4]}");
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Read, ct);
            var log = await history.LatestAsync(view.Repository, RepositoryHistory.DefaultCount, ct);
            if (log.Failure is { } failure) LogHistoryUnreadable(loggers.CreateLogger(typeof(RepositoryOverviewPage)), view.Repository.FullName, failure);
            DefaultBranch? branch = null;
            try { branch = await service.DefaultBranchAsync(view.Repository, ct); }
            catch (InvalidOperationException e) { LogBranchUnreadable(loggers.CreateLogger(typeof(RepositoryOverviewPage)), e, view.Repository.FullName); }
            var pushes = (await audit.ListForRepositoryAsync(view.Repository.Id, RecentPushes, ct)).Where(a => a.Action == AuditActions.Push).ToList();
            var url = CloneUrls.Ssh(view.Repository, address, http.Request);
            Code.CodeOverview? code = null;
            if (log.Failure is null && log.Commits.Count > 0)
            {
                try { code = await Code.CodePages.OverviewAsync(view, browsers, ct); }
                catch (Exception e) when (e is InvalidOperationException or Core.Errors.WharfException { Category: Core.Errors.ErrorCategory.Unavailable })
                {
                    // The page still shows what it can (clone URL, history, pushes) when the files cannot be read.
                    LogCodeUnreadable(loggers.CreateLogger(typeof(RepositoryOverviewPage)), e, view.Repository.FullName);
                }
            }
            return WebPage.Render<RepositoryOverviewView>(http, new { View = view, Url = url, HttpsUrl = CloneUrls.Https(view.Repository, http.RequestServices.GetRequiredService<WebAddress>(), http.Request), Log = log, Branch = branch, Pushes = pushes, Code = code });
        });
    }

    /// <summary>The default branch as the facts list shows it, with a note while it does not exist yet.</summary>
    internal static string DescribeBranch(DefaultBranch branch) =>
        branch.Name + (branch.Exists ? "" : branch.Branches.Count == 0
            ? " (nothing pushed yet: the first branch pushed becomes the default branch if this one is not pushed)"
            : " (no such branch: choose another in the settings)");

    [LoggerMessage(EventId = 1153, Level = LogLevel.Error, Message = "Could not read the history of {Repository}: {Failure}")]
    private static partial void LogHistoryUnreadable(ILogger logger, string repository, string failure);

    [LoggerMessage(EventId = 1170, Level = LogLevel.Error, Message = "Could not read the files of {Repository}")]
    private static partial void LogCodeUnreadable(ILogger logger, Exception exception, string repository);

    [LoggerMessage(EventId = 1154, Level = LogLevel.Error, Message = "Could not read the default branch of {Repository}")]
    private static partial void LogBranchUnreadable(ILogger logger, Exception exception, string repository);
}
