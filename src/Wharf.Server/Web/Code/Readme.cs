using Ganss.Xss;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using Wharf.Core.Browse;

namespace Wharf.Server.Web.Code;

/// <summary>A directory's README as the page shows it: Markdown rendered and sanitised, or the text as it is.</summary>
/// <param name="Html">Sanitised HTML (Markdown only); null when <see cref="Text"/> is shown as plain text.</param>
public sealed record ReadmeView(string Name, string Path, string? Html, string? Text, bool TooLarge);

/// <summary>
/// Finds and renders a README. Markdown goes through Markdig (CommonMark with GitHub's pipe tables, task lists,
/// autolinks and heading ids), relative links and images are pointed inside the repository at the same ref, and
/// the HTML then goes through HtmlSanitizer: no script, event handler attribute, <c>javascript:</c> URL, iframe or
/// style survives (a column's alignment becomes an <c>align-*</c> class; a code block keeps its <c>language-*</c> class). Heading ids get a <c>readme-</c> prefix (and <c>#</c> links with them) so they never clash
/// with the page's own ids.
/// </summary>
public static partial class Readme
{
    /// <summary>The names looked for, in order of preference (case-insensitive).</summary>
    public static readonly IReadOnlyList<string> Names = ["README.md", "README.markdown", "README.rst", "README.txt", "README"];

    private const string IdPrefix = "readme-";

    private static readonly Wharf.Core.Browse.BoundedCache<(string, string, string, string), string> Rendered = new(256);

    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables().UseTaskLists().UseAutoLinks().UseAutoIdentifiers(Markdig.Extensions.AutoIdentifiers.AutoIdentifierOptions.GitHub)
        .UseEmphasisExtras().UseFootnotes().Build();

    public static TreeEntry? Find(TreeListing tree) =>
        Names.Select(n => tree.Entries.FirstOrDefault(e => e.Kind is EntryKind.File or EntryKind.Symlink && string.Equals(e.Name, n, StringComparison.OrdinalIgnoreCase)))
            .FirstOrDefault(e => e is not null);

    /// <summary>The README already rendered for this blob at this ref, without reading the blob again; null when not kept.</summary>
    public static ReadmeView? Kept(TreeEntry entry, string repositoryPath, string reference)
    {
        if (entry.Kind != EntryKind.File || entry.ObjectId is null) return null;
        var name = entry.Path.Split('/')[^1];
        return Rendered.TryGet((repositoryPath, reference, entry.ObjectId, entry.Path), out var html) ? new ReadmeView(name, entry.Path, html, null, false) : null;
    }

    public static ReadmeView View(FileContent file, string repositoryPath, string reference)
    {
        var name = file.Path.Split('/')[^1];
        if (file.Text is not { } text) return new ReadmeView(name, file.Path, null, null, true);
        var extension = System.IO.Path.GetExtension(name);
        if (!extension.Equals(".md", StringComparison.OrdinalIgnoreCase) && !extension.Equals(".markdown", StringComparison.OrdinalIgnoreCase))
            return new ReadmeView(name, file.Path, null, text, false);
        // The same blob at the same ref renders the same: repeated views skip Markdig and the sanitiser.
        var key = (repositoryPath, reference, file.ObjectId ?? "", file.Path);
        if (!Rendered.TryGet(key, out var html))
        {
            html = Render(text, repositoryPath, reference, file.Path);
            if (file.ObjectId is not null) Rendered.Add(key, html);
        }
        return new ReadmeView(name, file.Path, html, null, false);
    }

    /// <summary>Markdown to sanitised HTML, links relative to <paramref name="readmePath"/> resolved at <paramref name="reference"/>.</summary>
    public static string Render(string markdown, string repositoryPath, string reference, string readmePath)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        var directory = readmePath.Contains('/') ? readmePath[..readmePath.LastIndexOf('/')] : "";
        // The page has its own h1 (and h2 for the README's name): the README's headings sit one level below.
        foreach (var heading in document.Descendants<HeadingBlock>()) heading.Level = Math.Min(6, heading.Level + 1);
        foreach (var link in document.Descendants<LinkInline>())
        {
            if (link.Url is not { } url || !IsRelative(url)) continue;
            link.Url = (link.IsImage ? CodePages.RawUrl(repositoryPath, reference, "") : CodePages.SourceUrl(repositoryPath, reference, ""))
                + Resolve(directory, url);
        }
        using var writer = new StringWriter();
        var renderer = new Markdig.Renderers.HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        renderer.Render(document);
        return Sanitizer().Sanitize(writer.ToString());
    }

    private static HtmlSanitizer Sanitizer()
    {
        var sanitizer = new HtmlSanitizer();
        sanitizer.AllowedAttributes.Add("id");
        // Only the classes ClassAllowed lets through (a code block's language, a table column's alignment), so a
        // README can never borrow the site's own classes.
        sanitizer.AllowedAttributes.Add("class");
        sanitizer.AllowedAttributes.Remove("style");
        sanitizer.AllowedTags.Remove("style");
        sanitizer.AllowedTags.Remove("form");
        sanitizer.AllowedTags.Remove("button");
        sanitizer.AllowedSchemes.Clear();
        sanitizer.AllowedSchemes.Add("http");
        sanitizer.AllowedSchemes.Add("https");
        sanitizer.AllowedSchemes.Add("mailto");
        // Markdig aligns a table column with style="text-align: ..."; the CSP allows no inline style, so the
        // alignment becomes a class the site's stylesheet defines (align-left, align-center, align-right).
        sanitizer.RemovingAttribute += (_, e) =>
        {
            if (e.Attribute.Name == "style" && e.Tag.LocalName is "th" or "td" && TextAlign().Match(e.Attribute.Value) is { Success: true } m)
                e.Tag.ClassList.Add("align-" + m.Groups[1].Value.ToLowerInvariant());
        };
        sanitizer.PostProcessNode += (_, e) =>
        {
            if (e.Node is not AngleSharp.Dom.IElement element) return;
            if (element.GetAttribute("class") is { } classes)
            {
                var kept = classes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(c => ClassAllowed(element.LocalName, c)).Distinct().ToList();
                if (kept.Count == 0) element.RemoveAttribute("class");
                else element.SetAttribute("class", string.Join(' ', kept));
            }
            if (element.GetAttribute("id") is { Length: > 0 } id) element.SetAttribute("id", IdPrefix + id);
            // A task list's checkbox gets a name, as screen readers need one.
            if (element.LocalName == "input" && element.GetAttribute("type") == "checkbox")
                element.SetAttribute("aria-label", element.HasAttribute("checked") ? "done" : "not done");
            if (element.GetAttribute("href") is { } href && href.StartsWith('#') && href.Length > 1) element.SetAttribute("href", "#" + IdPrefix + href[1..]);
        };
        return sanitizer;
    }

    /// <summary>The classes a README keeps: a fenced code block's <c>language-NAME</c>, a table cell's alignment.</summary>
    internal static bool ClassAllowed(string element, string name) => element switch
    {
        "code" => LanguageClass().IsMatch(name),
        "th" or "td" => name is "align-left" or "align-center" or "align-right",
        _ => false,
    };

    [System.Text.RegularExpressions.GeneratedRegex(@"^language-[A-Za-z0-9_+#.-]{1,40}$")]
    private static partial System.Text.RegularExpressions.Regex LanguageClass();

    [System.Text.RegularExpressions.GeneratedRegex(@"^\s*text-align\s*:\s*(left|center|right)\s*;?\s*$", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex TextAlign();

    private static bool IsRelative(string url) =>
        url.Length > 0 && url[0] is not ('#' or '/' or '?') && !url.Contains(':', StringComparison.Ordinal) && !url.StartsWith("//", StringComparison.Ordinal);

    /// <summary>A relative URL against the README's directory, <c>..</c> stopping at the repository's root; the query and fragment kept.</summary>
    internal static string Resolve(string directory, string url)
    {
        var cut = url.IndexOfAny(['?', '#']);
        var (path, tail) = cut < 0 ? (url, "") : (url[..cut], url[cut..]);
        var parts = directory.Length == 0 ? new List<string>() : [.. directory.Split('/')];
        foreach (var segment in path.Split('/'))
        {
            if (segment is "" or ".") continue;
            if (segment == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(segment);
        }
        return string.Join('/', parts) + tail;
    }
}
