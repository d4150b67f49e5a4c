using System.Text.RegularExpressions;
using Wharf.Core.Access;
using Wharf.Core.Browse;
using Wharf.Core.Errors;
using Wharf.Core.Git;
using Wharf.Core.Repositories;
using Wharf.Core.Signatures;
using Wharf.Server.Web.Repositories;

namespace Wharf.Server.Web.Code;

/// <summary>
/// The history pages (Read level), in Bitbucket's URL shape: <c>/OWNER/NAME/commits</c> (the default branch),
/// <c>/OWNER/NAME/commits/branch/BRANCH</c> (names may hold '/'), both with <c>?path=</c> for one path's history and
/// <c>?page=N</c>; <c>/OWNER/NAME/commits/HASH</c> (one commit with its diff) and <c>/OWNER/NAME/commits/HASH/patch</c>
/// (the raw patch as text/plain). The branches and tags pages are in <see cref="BranchPages"/>. Every page opens the
/// repository through <see cref="RepositoryPages.OpenAsync"/>, so a missing and a forbidden repository look alike.
/// </summary>
public static partial class CommitPages
{
    public const int PageSize = 30;
    public const string Commits = "/commits";

    public static void Map(RouteGroupBuilder repository)
    {
        repository.MapGet(Commits, (string owner, string repo, string? path, int? page, HttpContext http, CodeBrowsers browsers,
            CommitSignatures signatures, CancellationToken ct) => ListAsync(http, browsers, signatures, owner, repo, null, path, page, ct));

        repository.MapGet(Commits + "/branch/{**branch}", (string owner, string repo, string branch, string? path, int? page, HttpContext http,
            CodeBrowsers browsers, CommitSignatures signatures, CancellationToken ct) => ListAsync(http, browsers, signatures, owner, repo, branch, path, page, ct));

        repository.MapGet(Commits + "/{hash}", async (string owner, string repo, string hash, HttpContext http, CodeBrowsers browsers,
            CommitSignatures signatures, CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Read, ct);
            var browser = browsers.For(view.Repository);
            if (!IsCommitId(hash)) throw NoCommit(hash, view);
            // The commit and its diff are two git processes that need nothing from each other: run side by side.
            var reading = browser.CommitAsync(view.Repository, hash, ct);
            var diffing = browser.DiffAsync(view.Repository, null, hash, ct);
            await Task.WhenAll(reading, diffing);
            var commit = await reading ?? throw NoCommit(hash, view);
            var diff = await diffing ?? throw NoCommit(hash, view);
            var verdicts = await SignaturesAsync(signatures, view.Repository, [commit.Id], ct);
            return WebPage.Render<CommitView>(http, new { View = view, Commit = commit, Diff = diff, Signature = verdicts?.GetValueOrDefault(commit.Id) });
        });

        repository.MapGet(Commits + "/{hash}/patch", async (string owner, string repo, string hash, HttpContext http, CodeBrowsers browsers, CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Read, ct);
            var browser = browsers.For(view.Repository);
            var commit = (IsCommitId(hash) ? await browser.CommitAsync(view.Repository, hash, ct) : null) ?? throw NoCommit(hash, view);
            return new PatchResult(browser, view.Repository, null, commit.Id, $"{commit.ShortId}.patch");
        });

        BranchPages.Map(repository);
    }

    /// <summary>The address of a commit's page.</summary>
    public static string CommitPath(RepositoryView view, string id) => CommitPath(view.Path, id);

    /// <summary>The address of a commit's page, from the repository's address (<c>/OWNER/NAME</c>).</summary>
    public static string CommitPath(string repositoryPath, string id) => repositoryPath + Commits + "/" + id;

    /// <summary>The address of a branch's history (each segment escaped, the '/' between them kept), with an optional path and page.</summary>
    public static string BranchPath(RepositoryView view, string? branch, string? path = null, int page = 1)
    {
        var address = branch is null ? view.Path + Commits : view.Path + Commits + "/branch/" + EscapeSegments(branch);
        var query = new List<string>();
        if (!string.IsNullOrEmpty(path)) query.Add("path=" + Uri.EscapeDataString(path));
        if (page > 1) query.Add("page=" + page.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return query.Count == 0 ? address : address + "?" + string.Join('&', query);
    }

    public static string EscapeSegments(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    /// <summary>A full or abbreviated commit id (git: SHA-1 or SHA-256; Mercurial: 40 hex digits), at least 4 digits.</summary>
    public static bool IsCommitId(string text) => CommitId().IsMatch(text);

    [GeneratedRegex("^[0-9a-f]{4,64}$")]
    private static partial Regex CommitId();

    private static WharfException NoCommit(string hash, RepositoryView view) =>
        WharfException.NotFound($"There is no commit '{Display.Printable(hash)}' in {view.Repository.FullName}.");

    /// <summary>
    /// The signature verdicts of a page's commits (git only: Mercurial changesets have none), read in one query; commits
    /// never seen by a push are checked now and recorded (<see cref="CommitSignatures.ForAsync"/>).
    /// </summary>
    internal static async Task<IReadOnlyDictionary<string, CommitSignature>?> SignaturesAsync(CommitSignatures signatures, RepositoryInfo r,
        IReadOnlyCollection<string> ids, CancellationToken ct) =>
        r.Scm == Scm.Git ? await signatures.ForAsync(r, ids, ct) : null;

    private static async Task<IResult> ListAsync(HttpContext http, CodeBrowsers browsers, CommitSignatures signatures, string owner, string repo, string? branch, string? path,
        int? page, CancellationToken ct)
    {
        var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Read, ct);
        var r = view.Repository;
        var browser = browsers.For(r);
        var number = Math.Max(page ?? 1, 1);
        path = path?.Trim('/');
        if (string.IsNullOrEmpty(path)) path = null;
        if (branch is not null && (r.Scm == Scm.Git ? !GitBranchName.IsValid(branch) : branch.Length == 0 || branch.Length > 255 || branch[0] == '-'))
            throw NoBranch(branch, view);
        var shown = branch ?? DefaultBranchName(r);
        // git: the exact branch ref, so a tag of the same name never stands in for it; Mercurial: the branch or bookmark name.
        var revision = r.Scm == Scm.Git ? (branch is null ? "HEAD" : "refs/heads/" + branch) : shown ?? "default";
        var skip = (int)Math.Min((long)(number - 1) * PageSize, int.MaxValue);
        // One git process on the common path; only an empty answer asks whether the branch exists at all.
        var list = await browser.CommitsAsync(r, revision, path, skip, PageSize, ct);
        var empty = false;
        if (list.Commits.Count == 0 && await browser.CommitAsync(r, revision, ct) is null)
        {
            if (branch is not null) throw NoBranch(branch, view);
            empty = true;
        }
        var verdicts = await SignaturesAsync(signatures, r, list.Commits.Select(c => c.Id).ToList(), ct);
        return WebPage.Render<CommitListView>(http, new
        {
            View = view, Branch = branch, Shown = shown, Path = path, Page = number, List = list, Empty = empty, Signatures = verdicts,
        });
    }

    private static WharfException NoBranch(string branch, RepositoryView view) =>
        WharfException.NotFound($"There is no branch '{Display.Printable(branch)}' in {view.Repository.FullName}.");

    /// <summary>The branch the default history follows: HEAD's branch (git), "default" (Mercurial).</summary>
    internal static string? DefaultBranchName(RepositoryInfo r) => r.Scm == Scm.Hg ? "default" : GitBinary.HeadBranch(r.Path);

    /// <summary>
    /// The raw patch, streamed from git as it is written: text/plain with nosniff, so a browser never renders what a
    /// repository holds as a page of this origin.
    /// </summary>
    internal sealed class PatchResult(ICodeBrowser browser, RepositoryInfo repository, string? from, string to, string? fileName) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            var response = http.Response;
            response.ContentType = "text/plain; charset=utf-8";
            response.Headers.XContentTypeOptions = "nosniff";
            response.Headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
            response.Headers.CacheControl = "no-store";
            if (fileName is not null) response.Headers.ContentDisposition = $"inline; filename=\"{fileName}\"";
            // Buffered into a pipe-sized window by Kestrel; the body starts only once git has written something.
            try
            {
                if (!await browser.CopyPatchAsync(repository, from, to, response.Body, http.RequestAborted))
                    response.StatusCode = StatusCodes.Status404NotFound;
            }
            catch (WharfException e) when (e.Code == BrowseErrors.TimeoutCode && !response.HasStarted)
            {
                // Run after the endpoint's filters, so the page or the API's JSON error is chosen here.
                var answer = http.Request.Path.StartsWithSegments("/2.0") ? Api.ApiErrors.Result(e) : PageErrors.TooSlow(http, e);
                response.Clear();
                await answer.ExecuteAsync(http);
            }
        }
    }
}
