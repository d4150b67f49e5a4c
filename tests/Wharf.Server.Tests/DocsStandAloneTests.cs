using System.Text.RegularExpressions;

namespace Wharf.Server.Tests;

/// <summary>
/// The repository's docs and comments cite only what the repository holds (its own files, RFCs, public
/// specifications and sources): no note kept outside it, and no section of its own docs that does not exist.
/// </summary>
public sealed partial class DocsStandAloneTests
{
    // Spelled in two parts so that this file does not cite them itself.
    private static readonly string[] OutsideNotes = ["SSH-" + "NOTES", "CONVEN" + "TIONS"];

    private static readonly string[] TextExtensions =
        [".cs", ".md", ".sh", ".py", ".c", ".js", ".css", ".html", ".json", ".csproj", ".props", ".slnx", ".txt", ".yml", ".yaml"];

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Wharf.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Wharf.slnx not found above " + AppContext.BaseDirectory);
    }

    /// <summary>README.md and every text file under src/, tests/, docs/, bench/ and scripts/, build output left out.</summary>
    private static IEnumerable<string> Files()
    {
        var root = Root();
        yield return Path.Combine(root, "README.md");
        foreach (var top in new[] { "src", "tests", "docs", "bench", "scripts" })
        {
            var dir = Path.Combine(root, top);
            if (!Directory.Exists(dir)) continue;
            foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(root, file).Split(Path.DirectorySeparatorChar);
                if (relative.Any(part => part is "bin" or "obj" or "TestResults" or "node_modules" or "BenchmarkDotNet.Artifacts")) continue;
                if (TextExtensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase)) yield return file;
            }
        }
    }

    [Fact]
    public void NoFileCitesANoteKeptOutsideTheRepository()
    {
        var root = Root();
        var hits = Files()
            .SelectMany(file => File.ReadLines(file).Select((line, i) => (file, line, number: i + 1)))
            .Where(l => OutsideNotes.Any(n => l.line.Contains(n, StringComparison.Ordinal)))
            .Select(l => $"{Path.GetRelativePath(root, l.file)}:{l.number}: {l.line.Trim()}")
            .ToList();
        Assert.True(hits.Count == 0, "cite the repository's own docs (docs/SSH-INTEROP.md, docs/ARCHITECTURE.md) instead:\n" + string.Join('\n', hits));
    }

    [GeneratedRegex(@"docs/SSH-INTEROP\.md §(\d+)")]
    private static partial Regex InteropCitation();

    [GeneratedRegex(@"docs/ARCHITECTURE\.md, design rule (\d+)")]
    private static partial Regex DesignRuleCitation();

    [Fact]
    public void EverySectionACommentCitesExists()
    {
        var root = Root();
        var interop = File.ReadAllText(Path.Combine(root, "docs", "SSH-INTEROP.md"));
        var architecture = File.ReadAllText(Path.Combine(root, "docs", "ARCHITECTURE.md"));
        var rules = architecture[architecture.IndexOf("## Design rules", StringComparison.Ordinal)..];
        var missing = new List<string>();
        var citations = 0;
        foreach (var file in Files())
        {
            var text = File.ReadAllText(file);
            citations += InteropCitation().Count(text) + DesignRuleCitation().Count(text);
            foreach (Match m in InteropCitation().Matches(text))
                if (!interop.Contains($"\n## {m.Groups[1].Value}. ", StringComparison.Ordinal)) missing.Add($"{Path.GetRelativePath(root, file)}: {m.Value}");
            foreach (Match m in DesignRuleCitation().Matches(text))
                if (!rules.Contains($"\n{m.Groups[1].Value}. **", StringComparison.Ordinal)) missing.Add($"{Path.GetRelativePath(root, file)}: {m.Value}");
        }
        Assert.True(missing.Count == 0, "cited sections that do not exist:\n" + string.Join('\n', missing));
        Assert.True(citations > 0, "no citation found: the patterns above no longer match how the code cites the docs");
    }
}
