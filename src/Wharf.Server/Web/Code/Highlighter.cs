using ColorCode;
using ColorCode.Parsing;

namespace Wharf.Server.Web.Code;

/// <summary>One run of text in a highlighted line, with the CSS class of its kind (keyword, string, comment ...) or null.</summary>
public sealed record CodeToken(string Text, string? Class);

/// <summary>
/// Syntax highlighting by file type with ColorCode's language rules. ColorCode only classifies the text here; the page
/// renders the tokens itself (one Razor element per line and token), so no HTML is put together from strings and
/// the CSS classes come from <c>wharf.css</c>, as the Content-Security-Policy (no inline style) needs.
/// </summary>
public static class Highlighter
{
    private static readonly Dictionary<string, string> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".cs"] = "c#", [".csx"] = "c#", [".js"] = "javascript", [".mjs"] = "javascript", [".cjs"] = "javascript",
        [".ts"] = "typescript", [".tsx"] = "typescript", [".py"] = "python", [".java"] = "java", [".c"] = "cpp", [".h"] = "cpp",
        [".cc"] = "cpp", [".cpp"] = "cpp", [".hpp"] = "cpp", [".cxx"] = "cpp", [".sql"] = "sql", [".xml"] = "xml",
        [".csproj"] = "xml", [".props"] = "xml", [".targets"] = "xml", [".svg"] = "xml", [".xaml"] = "xml", [".html"] = "html",
        [".htm"] = "html", [".css"] = "css", [".php"] = "php", [".ps1"] = "powershell", [".psm1"] = "powershell",
        [".fs"] = "f#", [".fsx"] = "f#", [".hs"] = "haskell", [".md"] = "markdown", [".markdown"] = "markdown",
        [".vb"] = "vb.net", [".f90"] = "fortran", [".m"] = "matlab", [".kk"] = "koka", [".razor"] = "aspx(c#)",
    };

    /// <summary>The language a file's name says it is in, or null (shown as plain text).</summary>
    public static ILanguage? LanguageOf(string path) =>
        ByExtension.TryGetValue(Path.GetExtension(path), out var id) ? Languages.FindById(id) : null;

    /// <summary>Largest text whose highlighted lines are kept by blob id.</summary>
    public const int MaxKeptChars = 64 * 1024;

    private static readonly Wharf.Core.Browse.BoundedCache<(string, string), IReadOnlyList<IReadOnlyList<CodeToken>>> Kept = new(64);

    /// <summary>
    /// <see cref="Lines(string, string)"/> for a blob: a blob id names the same text for ever, so the lines of a file up
    /// to <see cref="MaxKeptChars"/> are kept (64 files at most) and a repeated view skips the highlighter.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<CodeToken>> Lines(string? objectId, string path, string text)
    {
        if (objectId is null || text.Length > MaxKeptChars) return Lines(path, text);
        var key = (objectId, LanguageOf(path)?.Id ?? "");
        if (Kept.TryGet(key, out var lines)) return lines;
        lines = Lines(path, text);
        Kept.Add(key, lines);
        return lines;
    }

    /// <summary>The text as lines of tokens; plain text (one token per line) when the type is not known.</summary>
    public static IReadOnlyList<IReadOnlyList<CodeToken>> Lines(string path, string text)
    {
        if (text.EndsWith('\n')) text = text[..^1];
        var language = LanguageOf(path);
        if (language is null) return text.Split('\n').Select(l => (IReadOnlyList<CodeToken>)[new CodeToken(l.TrimEnd('\r'), null)]).ToList();
        var tokens = new TokenCollector();
        tokens.Run(text, language);
        return tokens.Lines();
    }

    private sealed class TokenCollector() : CodeColorizerBase(null, null)
    {
        private readonly List<List<CodeToken>> _lines = [[]];

        public void Run(string text, ILanguage language) => languageParser.Parse(text, language, Write);

        public IReadOnlyList<IReadOnlyList<CodeToken>> Lines() => _lines;

        protected override void Write(string parsedSourceCode, IList<Scope> scopes)
        {
            // The innermost scope covering each character names its class.
            var classes = new string?[parsedSourceCode.Length];
            void Mark(Scope scope)
            {
                var name = ClassOf(scope.Name);
                for (var i = scope.Index; i < scope.Index + scope.Length && i < classes.Length; i++) classes[i] = name;
                foreach (var child in scope.Children) Mark(child);
            }
            foreach (var scope in scopes) Mark(scope);
            var start = 0;
            for (var i = 1; i <= parsedSourceCode.Length; i++)
            {
                if (i < parsedSourceCode.Length && classes[i] == classes[start] && parsedSourceCode[i] != '\n' && parsedSourceCode[i - 1] != '\n') continue;
                Add(parsedSourceCode[start..i], classes[start]);
                start = i;
            }
        }

        private void Add(string text, string? cls)
        {
            if (text == "\n") { _lines.Add([]); return; }
            if (text.EndsWith('\n'))
            {
                Add(text[..^1], cls);
                _lines.Add([]);
                return;
            }
            text = text.TrimEnd('\r');
            if (text.Length > 0) _lines[^1].Add(new CodeToken(text, cls));
        }

        private static string? ClassOf(string scope) => scope.Length == 0 ? null
            : "hl-" + new string(scope.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
    }
}
