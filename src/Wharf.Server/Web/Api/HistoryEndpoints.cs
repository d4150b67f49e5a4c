using System.Security.Claims;
using Wharf.Core.Access;
using Wharf.Core.Browse;
using Wharf.Core.Errors;
using Wharf.Core.Repositories;
using Wharf.Core.Signatures;
using Wharf.Core.Users;

namespace Wharf.Server.Web.Api;

/// <summary>
/// Refs, commits and diffs under <c>/2.0/repositories/{workspace}/{slug}</c>, in Bitbucket Cloud's shape: <c>/refs</c>,
/// <c>/refs/branches</c>, <c>/refs/tags</c>, <c>/commits</c> (the default branch), <c>/commits/{revision}</c>,
/// <c>/commit/{node}</c> (commit objects carry their <c>signature</c> verdict in a git repository), <c>/diff/{spec}</c> and <c>/patch/{spec}</c> (text/plain),
/// <c>/diffstat/{spec}</c>, and one ref: <c>/refs/branches/{name}</c>, <c>/refs/tags/{name}</c>. A spec is one commit (against its
/// first parent) or <c>SOURCE..DESTINATION</c>, Bitbucket's order: the change from DESTINATION to SOURCE. Every request
/// opens the repository at Read level through <see cref="RepositoryAccess"/>, so a repository the caller cannot read
/// answers exactly as one that does not exist.
/// </summary>
public static class HistoryEndpoints
{
    public const int DefaultCommitPageLength = 30;

    public static IEndpointRouteBuilder MapHistoryApi(this IEndpointRouteBuilder app)
    {
        var repo = app.MapGroup("/2.0/repositories/{workspace}/{repoSlug}").RequireAuthorization().WithApiErrors().WithTokenScopes(repository: true);

        repo.MapGet("/refs", (string workspace, string repoSlug, int? page, int? pagelen, HttpContext http, ClaimsPrincipal me, IUserStore users,
            RepositoryAccess access, CodeBrowsers browsers, CommitSignatures signatures, CancellationToken ct) =>
            RefsAsync(workspace, repoSlug, page, pagelen, http, me, users, access, browsers, signatures, _ => true, ct));

        repo.MapGet("/refs/branches", (string workspace, string repoSlug, int? page, int? pagelen, HttpContext http, ClaimsPrincipal me, IUserStore users,
            RepositoryAccess access, CodeBrowsers browsers, CommitSignatures signatures, CancellationToken ct) =>
            RefsAsync(workspace, repoSlug, page, pagelen, http, me, users, access, browsers, signatures, r => r.Kind is RefKind.Branch or RefKind.Bookmark, ct));

        repo.MapGet("/refs/tags", (string workspace, string repoSlug, int? page, int? pagelen, HttpContext http, ClaimsPrincipal me, IUserStore users,
            RepositoryAccess access, CodeBrowsers browsers, CommitSignatures signatures, CancellationToken ct) =>
            RefsAsync(workspace, repoSlug, page, pagelen, http, me, users, access, browsers, signatures, r => r.Kind == RefKind.Tag, ct));

        // One branch (a Mercurial branch or bookmark) or tag, as in the lists; a name may hold '/' (feature/x).
        repo.MapGet("/refs/branches/{**name}", (string workspace, string repoSlug, string name, HttpContext http, ClaimsPrincipal me, IUserStore users,
            RepositoryAccess access, CodeBrowsers browsers, CommitSignatures signatures, CancellationToken ct) =>
            RefAsync(workspace, repoSlug, name, false, http, me, users, access, browsers, signatures, ct));

        repo.MapGet("/refs/tags/{**name}", (string workspace, string repoSlug, string name, HttpContext http, ClaimsPrincipal me, IUserStore users,
            RepositoryAccess access, CodeBrowsers browsers, CommitSignatures signatures, CancellationToken ct) =>
            RefAsync(workspace, repoSlug, name, true, http, me, users, access, browsers, signatures, ct));

        repo.MapGet("/commits", (string workspace, string repoSlug, string? path, int? page, int? pagelen, HttpContext http, ClaimsPrincipal me,
            IUserStore users, RepositoryAccess access, CodeBrowsers browsers, CommitSignatures signatures, CancellationToken ct) =>
            CommitsAsync(workspace, repoSlug, null, path, page, pagelen, http, me, users, access, browsers, signatures, ct));

        repo.MapGet("/commits/{**revision}", (string workspace, string repoSlug, string revision, string? path, int? page, int? pagelen, HttpContext http,
            ClaimsPrincipal me, IUserStore users, RepositoryAccess access, CodeBrowsers browsers, CommitSignatures signatures, CancellationToken ct) =>
            CommitsAsync(workspace, repoSlug, revision, path, page, pagelen, http, me, users, access, browsers, signatures, ct));

        repo.MapGet("/commit/{node}", async (string workspace, string repoSlug, string node, HttpContext http, ClaimsPrincipal me, IUserStore users,
            RepositoryAccess access, CodeBrowsers browsers, CommitSignatures signatures, CancellationToken ct) =>
        {
            var (r, _) = await RepositoryEndpoints.OpenAsync(workspace, repoSlug, AccessLevel.Read, me, users, access, ct);
            var commit = await browsers.For(r).CommitAsync(r, node, ct) ?? throw NoRevision(node, r);
            var verdicts = await Code.CommitPages.SignaturesAsync(signatures, r, [commit.Id], ct);
            return TypedResults.Ok(CommitDto.From(commit, r, ApiPaging.BaseUrl(http.Request), verdicts));
        });

        // /patch is Bitbucket's raw patch of the same spec; both are the text of `git diff` / `hg diff` (text/plain).
        repo.MapGet("/diff/{**spec}", PatchAsync);
        repo.MapGet("/patch/{**spec}", PatchAsync);

        repo.MapGet("/diffstat/{**spec}", async (string workspace, string repoSlug, string spec, int? page, int? pagelen, HttpContext http,
            ClaimsPrincipal me, IUserStore users, RepositoryAccess access, CodeBrowsers browsers, CancellationToken ct) =>
        {
            var (r, _) = await RepositoryEndpoints.OpenAsync(workspace, repoSlug, AccessLevel.Read, me, users, access, ct);
            var (from, to) = Spec(spec);
            var browser = browsers.For(r);
            var target = await browser.CommitAsync(r, to, ct) ?? throw NoRevision(to, r);
            var source = from is null ? null : await browser.CommitAsync(r, from, ct) ?? throw NoRevision(from, r);
            var diff = await browser.DiffAsync(r, source?.Id, target.Id, ct) ?? throw NoRevision(spec, r);
            var oldSide = source?.Id ?? target.Parents.FirstOrDefault();
            var baseUrl = ApiPaging.BaseUrl(http.Request);
            var values = diff.Files.Select(f => DiffstatDto.From(f, oldSide, target.Id, r, baseUrl)).ToList();
            // size counts every changed file; the values stop at the diff's file cap (Browse:MaxDiffFiles).
            return TypedResults.Ok(ApiPaging.Page(values, page, pagelen, http.Request) with { Size = values.Count + diff.FilesOmitted });
        });

        return app;
    }

    private static async Task<IResult> RefsAsync(string workspace, string repoSlug, int? page, int? pagelen, HttpContext http, ClaimsPrincipal me,
        IUserStore users, RepositoryAccess access, CodeBrowsers browsers, CommitSignatures signatures, Func<RefInfo, bool> which, CancellationToken ct)
    {
        var (r, _) = await RepositoryEndpoints.OpenAsync(workspace, repoSlug, AccessLevel.Read, me, users, access, ct);
        var browser = browsers.For(r);
        var refs = (await browser.RefsAsync(r, ct)).Where(which).OrderBy(x => x.Name, StringComparer.Ordinal).ToList();
        var slice = ApiPaging.Page(refs, page, pagelen, http.Request);
        var baseUrl = ApiPaging.BaseUrl(http.Request);
        // Only the refs on this page have their commits read, and their signature verdicts (as /commits gives them) in one query.
        var verdicts = await Code.CommitPages.SignaturesAsync(signatures, r, slice.Values.Select(v => v.Target).Distinct().ToList(), ct);
        var values = new List<RefDto>();
        foreach (var info in slice.Values) values.Add(RefDto.From(info, await browser.CommitAsync(r, info.Target, ct), r, baseUrl, verdicts));
        return TypedResults.Ok(new PageDto<RefDto>(values, slice.Page, slice.Pagelen, slice.Size, slice.Next));
    }

    private static async Task<IResult> RefAsync(string workspace, string repoSlug, string name, bool tag, HttpContext http, ClaimsPrincipal me,
        IUserStore users, RepositoryAccess access, CodeBrowsers browsers, CommitSignatures signatures, CancellationToken ct)
    {
        var (r, _) = await RepositoryEndpoints.OpenAsync(workspace, repoSlug, AccessLevel.Read, me, users, access, ct);
        // Routing leaves an escaped '/' (%2F) as it came: a name is found whether its slashes were escaped or not.
        name = name.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        var browser = browsers.For(r);
        // A Mercurial branch before a bookmark of the same name, as the list orders them.
        var info = (await browser.RefsAsync(r, ct))
            .Where(x => string.Equals(x.Name, name, StringComparison.Ordinal) && (tag ? x.Kind == RefKind.Tag : x.Kind is RefKind.Branch or RefKind.Bookmark))
            .OrderBy(x => x.Kind).FirstOrDefault()
            ?? throw WharfException.NotFound($"There is no {(tag ? "tag" : "branch")} '{Display.Printable(name)}' in {r.FullName}.", "ref-not-found");
        var verdicts = await Code.CommitPages.SignaturesAsync(signatures, r, [info.Target], ct);
        return TypedResults.Ok(RefDto.From(info, await browser.CommitAsync(r, info.Target, ct), r, ApiPaging.BaseUrl(http.Request), verdicts));
    }

    private static async Task<IResult> PatchAsync(string workspace, string repoSlug, string spec, HttpContext http, ClaimsPrincipal me, IUserStore users,
        RepositoryAccess access, CodeBrowsers browsers, CancellationToken ct)
    {
        var (r, _) = await RepositoryEndpoints.OpenAsync(workspace, repoSlug, AccessLevel.Read, me, users, access, ct);
        var (from, to) = Spec(spec);
        var browser = browsers.For(r);
        // Checked before the first byte: once the patch streams, the answer can no longer become a 404.
        var target = await browser.CommitAsync(r, to, ct) ?? throw NoRevision(to, r);
        var source = from is null ? null : await browser.CommitAsync(r, from, ct) ?? throw NoRevision(from, r);
        return new Code.CommitPages.PatchResult(browser, r, source?.Id, target.Id, null);
    }

    private static async Task<IResult> CommitsAsync(string workspace, string repoSlug, string? revision, string? path, int? page, int? pagelen,
        HttpContext http, ClaimsPrincipal me, IUserStore users, RepositoryAccess access, CodeBrowsers browsers, CommitSignatures signatures,
        CancellationToken ct)
    {
        var (r, _) = await RepositoryEndpoints.OpenAsync(workspace, repoSlug, AccessLevel.Read, me, users, access, ct);
        var size = pagelen ?? DefaultCommitPageLength;
        var number = page ?? 1;
        if (size is < 1 or > ApiPaging.MaxPageLength || number < 1)
            throw WharfException.InvalidArgument($"page must be 1 or more and pagelen 1 to {ApiPaging.MaxPageLength}.", "invalid-page");
        var browser = browsers.For(r);
        var baseUrl = ApiPaging.BaseUrl(http.Request);
        var start = revision ?? (r.Scm == Scm.Hg ? "default" : "HEAD");
        var tip = await browser.CommitAsync(r, start, ct);
        if (tip is null)
        {
            if (revision is not null) throw NoRevision(revision, r);
            return TypedResults.Ok(new CommitPageDto([], number, size, null)); // nothing pushed yet
        }
        var skip = (int)Math.Min((long)(number - 1) * size, int.MaxValue);
        var list = await browser.CommitsAsync(r, tip.Id, path, skip, size, ct);
        var values = new List<CommitDto>();
        // The signature verdicts of the page's commits in one query (a commit never seen by a push is checked now).
        var verdicts = await Code.CommitPages.SignaturesAsync(signatures, r, list.Commits.Select(c => c.Id).ToList(), ct);
        // The list gives summaries; the API's commit objects carry parents and both people, read per commit of the page.
        foreach (var c in list.Commits)
            if (await browser.CommitAsync(r, c.Id, ct) is { } detail) values.Add(CommitDto.From(detail, r, baseUrl, verdicts));
        var request = http.Request;
        string? next = null;
        if (list.HasMore)
        {
            var query = $"page={number + 1}&pagelen={size}" + (path is null ? "" : "&path=" + Uri.EscapeDataString(path));
            next = $"{baseUrl}{request.Path}?{query}";
        }
        return TypedResults.Ok(new CommitPageDto(values, number, size, next));
    }

    /// <summary>"A" (one commit, against its first parent) or "A..B" (the change from B to A, Bitbucket's source..destination).</summary>
    private static (string? From, string To) Spec(string spec)
    {
        var at = spec.IndexOf("..", StringComparison.Ordinal);
        if (at < 0) return (null, spec);
        var source = spec[..at];
        var destination = spec[(at + 2)..];
        if (source.Length == 0 || destination.Length == 0 || destination.Contains("..", StringComparison.Ordinal) || destination.StartsWith('.'))
            throw WharfException.InvalidArgument($"'{Display.Printable(spec)}' is not a diff spec: use COMMIT or SOURCE..DESTINATION.", "invalid-spec");
        return (destination, source);
    }

    private static WharfException NoRevision(string revision, RepositoryInfo r) =>
        WharfException.NotFound($"There is no commit or ref '{Display.Printable(revision)}' in {r.FullName}.", "revision-not-found");
}
