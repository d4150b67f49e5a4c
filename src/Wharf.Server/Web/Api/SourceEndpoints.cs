using System.Security.Claims;
using Wharf.Core.Access;
using Wharf.Core.Browse;
using Wharf.Core.Errors;
using Wharf.Core.Repositories;
using Wharf.Core.Users;
using Wharf.Server.Web.Code;

namespace Wharf.Server.Web.Api;

public sealed record SourceCommitDto(string Type, string Hash, SourceCommitLinksDto Links);

public sealed record SourceCommitLinksDto(HrefDto Self, HrefDto Html);

public sealed record SourceEntryLinksDto(HrefDto Self, HrefDto Meta);

/// <summary>
/// One entry of a directory as Bitbucket's <c>commit_file</c> or <c>commit_directory</c>: <c>path</c>, the
/// <c>commit</c>, and for files <c>size</c> and <c>attributes</c> (<c>link</c> for a symlink, <c>subrepository</c> for
/// a submodule, <c>binary</c> is not computed for listings).
/// </summary>
public sealed record SourceEntryDto(string Path, string Type, long? Size, IReadOnlyList<string>? Attributes, string EscapedPath,
    SourceCommitDto Commit, SourceEntryLinksDto Links);

/// <summary>
/// <c>GET /2.0/repositories/{workspace}/{slug}/src</c> (redirects to the default branch's commit, as Bitbucket does)
/// and <c>.../src/{commit}/{path}</c>: a file's bytes (as the raw page sends them: text as <c>text/plain</c>, the rest
/// as an attachment; <c>?format=meta</c> for its <c>commit_file</c>), or a directory as a paginated list of
/// <c>commit_file</c> / <c>commit_directory</c> values (at most <c>Browse:MaxTreeEntries</c> of them). A missing and a
/// forbidden repository answer alike.
/// </summary>
public static class SourceEndpoints
{
    public static void Map(RouteGroupBuilder repo)
    {
        repo.MapGet("/src", async (string workspace, string repoSlug, HttpContext http, ClaimsPrincipal me, IUserStore users,
            RepositoryAccess access, CodeBrowsers browsers, CancellationToken ct) =>
        {
            var (r, _) = await RepositoryEndpoints.OpenAsync(workspace, repoSlug, AccessLevel.Read, me, users, access, ct);
            var refs = await browsers.For(r).RefsAsync(r, ct);
            var start = refs.FirstOrDefault(x => x.IsDefault) ?? refs.FirstOrDefault(x => x.Kind == RefKind.Branch)
                ?? throw WharfException.NotFound($"{r.FullName} is empty: nothing has been pushed to it yet.", "empty-repository");
            return Results.Redirect($"{ApiPaging.BaseUrl(http.Request)}/2.0/repositories/{r.FullName}/src/{start.Target}/");
        });

        repo.MapGet("/src/{commit}/{**path}", async (string workspace, string repoSlug, string commit, string? path, string? format, int? page, int? pagelen,
            HttpContext http, ClaimsPrincipal me, IUserStore users, RepositoryAccess access, CodeBrowsers browsers, CancellationToken ct) =>
        {
            var (r, _) = await RepositoryEndpoints.OpenAsync(workspace, repoSlug, AccessLevel.Read, me, users, access, ct);
            var browser = browsers.For(r);
            path = (path ?? "").TrimEnd('/');
            var asked = path.Length == 0 ? commit : commit + "/" + path;
            var at = await browser.ResolveAsync(r, asked, ct)
                ?? throw WharfException.NotFound($"{r.FullName} has no commit or path '{Display.Printable(asked)}'.", "no-such-path");
            var baseUrl = ApiPaging.BaseUrl(http.Request);
            if (await browser.TreeAsync(r, at.Commit, at.Path, ct) is { } tree)
            {
                var values = tree.Entries.Select(e => Entry(r, at.Commit, e, baseUrl)).ToList();
                return Results.Ok(ApiPaging.Page(values, page, pagelen, http.Request));
            }
            var file = await browser.FileAsync(r, at.Commit, at.Path, ct);
            if (file is null || (file.Kind == EntryKind.Submodule && format != "meta"))
                throw WharfException.NotFound($"{r.FullName} has no file '{at.Path}' at {commit}.", "no-such-path");
            if (format == "meta")
            {
                var entry = new TreeEntry(at.Path.Split('/')[^1], at.Path, file.Kind, file.Size, file.Target, file.ObjectId);
                return Results.Ok(Entry(r, at.Commit, entry, baseUrl) with
                {
                    Attributes = [.. Attributes(entry), .. file.IsBinary ? new[] { "binary" } : []],
                });
            }
            await CodePages.WriteRawAsync(http, browser, r, at, file, download: false, ct);
            return Results.Empty;
        });
    }

    private static SourceEntryDto Entry(RepositoryInfo r, string commit, TreeEntry e, string baseUrl)
    {
        var escaped = CodePages.Escape(e.Path);
        var self = $"{baseUrl}/2.0/repositories/{r.FullName}/src/{commit}/{escaped}";
        var commitDto = new SourceCommitDto("commit", commit, new SourceCommitLinksDto(
            new HrefDto($"{baseUrl}/2.0/repositories/{r.FullName}/commit/{commit}"), new HrefDto($"{baseUrl}/{r.FullName}/commits/{commit}")));
        var directory = e.Kind == EntryKind.Directory;
        return new SourceEntryDto(e.Path, directory ? "commit_directory" : "commit_file", directory ? null : e.Size ?? 0,
            directory ? null : Attributes(e), escaped, commitDto,
            new SourceEntryLinksDto(new HrefDto(directory ? self + "/" : self), new HrefDto(self + (directory ? "/" : "") + "?format=meta")));
    }

    private static IReadOnlyList<string> Attributes(TreeEntry e) => e.Kind switch
    {
        EntryKind.Symlink => ["link"],
        EntryKind.Submodule => ["subrepository"],
        _ => [],
    };
}
