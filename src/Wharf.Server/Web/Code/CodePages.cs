using System.Text;
using Microsoft.Net.Http.Headers;
using Wharf.Core.Access;
using Wharf.Core.Browse;
using Wharf.Core.Errors;
using Wharf.Core.Repositories;
using Wharf.Server.Web.Repositories;

namespace Wharf.Server.Web.Code;

/// <summary>What the repository page shows of the code: the default branch's root tree, its README and the refs to choose from.</summary>
public sealed record CodeOverview(IReadOnlyList<RefInfo> Refs, RefPath At, TreeListing Tree, ReadmeView? Readme);

/// <summary>
/// The source pages (Read level): <c>/OWNER/NAME/src/REF/PATH</c> (a directory with its README, or a file with line
/// numbers and highlighting), <c>/OWNER/NAME/raw/REF/PATH</c> (the bytes, never as HTML), and <c>/OWNER/NAME/src</c>,
/// where the ref selector's GET form lands. Every page opens the repository with <see cref="RepositoryPages.OpenAsync"/>,
/// so a missing and a forbidden repository look alike; a missing ref or path is a 404 that names it.
/// </summary>
internal static partial class CodePages
{
    public const string Src = "/src";
    public const string Raw = "/raw";

    public static void Map(RouteGroupBuilder repository)
    {
        repository.MapGet(Src, async (string owner, string repo, string? @ref, string? path, HttpContext http, CodeBrowsers browsers, CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Read, ct);
            var browser = browsers.For(view.Repository);
            var name = @ref;
            if (string.IsNullOrEmpty(name))
            {
                var refs = await browser.RefsAsync(view.Repository, ct);
                name = refs.FirstOrDefault(r => r.IsDefault)?.Name ?? refs.FirstOrDefault(r => r.Kind == RefKind.Branch)?.Name;
                if (name is null) return Results.Redirect(view.Path);
            }
            return Results.Redirect(SourceUrl(view.Path, name, path ?? ""));
        });

        repository.MapGet(Src + "/{**rest}", async (string owner, string repo, string rest, HttpContext http, CodeBrowsers browsers, CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Read, ct);
            var browser = browsers.For(view.Repository);
            var at = await ResolveAsync(browser, view, rest, ct);
            var refs = await browser.RefsAsync(view.Repository, ct);
            if (await browser.TreeAsync(view.Repository, at.Commit, at.Path, ct) is { } tree)
            {
                var readme = await ReadmeAsync(browser, view, at, tree, ct);
                return WebPage.Render<SourcePage>(http, new { View = view, Refs = refs, At = at, Tree = tree, Readme = readme });
            }
            var file = await browser.FileAsync(view.Repository, at.Commit, at.Path, ct) ?? throw NoPath(view, at);
            return WebPage.Render<SourcePage>(http, new { View = view, Refs = refs, At = at, File = file });
        });

        repository.MapGet(Raw + "/{**rest}", async (string owner, string repo, string rest, HttpContext http, CodeBrowsers browsers,
            CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Read, ct);
            var browser = browsers.For(view.Repository);
            var at = await ResolveAsync(browser, view, rest, ct);
            var file = await browser.FileAsync(view.Repository, at.Commit, at.Path, ct);
            if (file is null || file.Kind == EntryKind.Submodule) throw NoPath(view, at);
            await WriteRawAsync(http, browser, view.Repository, at, file, http.Request.Query.ContainsKey("download"), ct);
            return Results.Empty;
        });
    }

    /// <summary>
    /// Sends a file's bytes, streamed: text as <c>text/plain</c> (so HTML or SVG from a repository never runs on this
    /// origin), anything else (binary, too large to look at, or asked for with <c>?download</c>) as an attachment;
    /// always with <c>nosniff</c> and a sandboxing Content-Security-Policy.
    /// </summary>
    internal static async Task WriteRawAsync(HttpContext http, ICodeBrowser browser, RepositoryInfo repository, RefPath at, FileContent file,
        bool download, CancellationToken ct)
    {
        var response = http.Response;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        response.Headers.CacheControl = "no-store";
        var text = !file.IsBinary && !file.TooLarge;
        response.ContentType = text ? "text/plain; charset=utf-8" : "application/octet-stream";
        if (download || !text)
        {
            var disposition = new ContentDispositionHeaderValue("attachment");
            disposition.SetHttpFileName(file.Path.Split('/')[^1]);
            response.Headers.ContentDisposition = disposition.ToString();
        }
        response.ContentLength = file.Size;
        await browser.CopyFileAsync(repository, at.Commit, at.Path, response.Body, ct);
    }

    /// <summary>The repository page's code part; null for an empty repository (the page then says how to push).</summary>
    internal static async Task<CodeOverview?> OverviewAsync(RepositoryView view, CodeBrowsers browsers, CancellationToken ct)
    {
        var browser = browsers.For(view.Repository);
        var refs = await browser.RefsAsync(view.Repository, ct);
        var start = refs.FirstOrDefault(r => r.IsDefault) ?? refs.FirstOrDefault(r => r.Kind == RefKind.Branch);
        if (start is null) return null;
        var at = new RefPath(start.Name, start.Target, "");
        if (await browser.TreeAsync(view.Repository, at.Commit, "", ct) is not { } tree) return null;
        return new CodeOverview(refs, at, tree, await ReadmeAsync(browser, view, at, tree, ct));
    }

    private static async Task<ReadmeView?> ReadmeAsync(ICodeBrowser browser, RepositoryView view, RefPath at, TreeListing tree, CancellationToken ct)
    {
        if (Readme.Find(tree) is not { } entry) return null;
        if (Readme.Kept(entry, view.Path, at.Ref) is { } kept) return kept;
        if (await browser.FileAsync(view.Repository, at.Commit, entry.Path, ct) is not { Kind: EntryKind.File } file) return null;
        return Readme.View(file, view.Path, at.Ref);
    }

    private static async Task<RefPath> ResolveAsync(ICodeBrowser browser, RepositoryView view, string rest, CancellationToken ct) =>
        await browser.ResolveAsync(view.Repository, rest, ct)
            ?? throw WharfException.NotFound($"{view.Repository.FullName} has no branch, tag or commit '{rest.Split('/')[0]}'.", "no-such-ref");

    private static WharfException NoPath(RepositoryView view, RefPath at) =>
        WharfException.NotFound($"{view.Repository.FullName} has no '{at.Path}' at {at.Ref}.", "no-such-path");

    /// <summary>Each segment escaped, the slashes kept.</summary>
    internal static string Escape(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    public static string SourceUrl(string repositoryPath, string reference, string path) =>
        repositoryPath + Src + "/" + Escape(reference) + "/" + (path.Length == 0 ? "" : Escape(path));

    public static string RawUrl(string repositoryPath, string reference, string path) =>
        repositoryPath + Raw + "/" + Escape(reference) + "/" + (path.Length == 0 ? "" : Escape(path));

    /// <summary>A size as people read it: "512 bytes", "1.5 KiB", "100.0 MiB".</summary>
    public static string Size(long bytes) => bytes switch
    {
        1 => "1 byte",
        < 1024 => $"{bytes} bytes",
        < 1024 * 1024 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        < 1024L * 1024 * 1024 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
        _ => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.0} GiB"),
    };

    /// <summary>The parent directories of a path as (name, path) pairs, for the breadcrumb.</summary>
    public static IEnumerable<(string Name, string Path)> Crumbs(string path)
    {
        if (path.Length == 0) yield break;
        var parts = path.Split('/');
        var sb = new StringBuilder();
        foreach (var p in parts)
        {
            if (sb.Length > 0) sb.Append('/');
            sb.Append(p);
            yield return (p, sb.ToString());
        }
    }
}
