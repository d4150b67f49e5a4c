using Wharf.Core.Access;
using Wharf.Core.Browse;
using Wharf.Server.Web.Repositories;

namespace Wharf.Server.Web.Code;

/// <summary>One ref as the branches and tags pages list it: the ref, its target commit (when it could be read), and for a branch how it stands against the default branch.</summary>
public sealed record RefRow(RefInfo Ref, CommitDetail? Commit, AheadBehind? Counts);

/// <summary>
/// <c>/OWNER/NAME/branches</c> and <c>/OWNER/NAME/tags</c> (Read level), a page of <see cref="PageSize"/> at a time:
/// branches (and Mercurial bookmarks) with the default one first and marked, each with its last commit and date and,
/// for the others, the commits ahead of and behind the default branch; tags newest first with their target commit,
/// date and (annotated tags) message. Only the refs on the page shown are looked up further, so a repository with
/// thousands of branches costs one page's worth of git calls.
/// </summary>
public static class BranchPages
{
    public const int PageSize = 30;
    public const string Branches = "/branches";
    public const string Tags = "/tags";

    public static void Map(RouteGroupBuilder repository)
    {
        repository.MapGet(Branches, async (string owner, string repo, int? page, HttpContext http, CodeBrowsers browsers, CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Read, ct);
            var browser = browsers.For(view.Repository);
            var refs = await browser.RefsAsync(view.Repository, ct);
            var all = refs.Where(r => r.Kind is RefKind.Branch or RefKind.Bookmark)
                .OrderByDescending(r => r.IsDefault).ThenByDescending(r => r.When).ThenBy(r => r.Name, StringComparer.Ordinal).ToList();
            var main = all.FirstOrDefault(r => r.IsDefault);
            var number = Math.Max(page ?? 1, 1);
            var rows = new List<RefRow>();
            foreach (var r in Slice(all, number))
            {
                var commit = await browser.CommitAsync(view.Repository, r.Target, ct);
                var counts = r.Ahead is { } ahead && r.Behind is { } behind ? new AheadBehind(ahead, behind)
                    : main is null || r.IsDefault || r.Kind != RefKind.Branch ? null
                    : await browser.AheadBehindAsync(view.Repository, r.Target, main.Target, ct);
                rows.Add(new RefRow(r, commit, counts));
            }
            return WebPage.Render<BranchesView>(http, new { View = view, Rows = rows, Default = main, Page = number, HasMore = (long)number * PageSize < all.Count });
        });

        repository.MapGet(Tags, async (string owner, string repo, int? page, HttpContext http, CodeBrowsers browsers, CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Read, ct);
            var browser = browsers.For(view.Repository);
            var all = (await browser.RefsAsync(view.Repository, ct)).Where(r => r.Kind == RefKind.Tag)
                .OrderByDescending(r => r.When).ThenBy(r => r.Name, StringComparer.Ordinal).ToList();
            var number = Math.Max(page ?? 1, 1);
            var rows = new List<RefRow>();
            foreach (var r in Slice(all, number)) rows.Add(new RefRow(r, await browser.CommitAsync(view.Repository, r.Target, ct), null));
            return WebPage.Render<TagsView>(http, new { View = view, Rows = rows, Page = number, HasMore = (long)number * PageSize < all.Count });
        });
    }

    private static IEnumerable<RefInfo> Slice(List<RefInfo> all, int page) =>
        all.Skip((int)Math.Min((long)(page - 1) * PageSize, int.MaxValue)).Take(PageSize);

    /// <summary>The address of one page of a list.</summary>
    public static string PagePath(RepositoryView view, string list, int page) =>
        view.Path + list + (page > 1 ? "?page=" + page.ToString(System.Globalization.CultureInfo.InvariantCulture) : "");
}
