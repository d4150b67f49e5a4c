using System.Text.Json;
using Wharf.Core.Repositories;

namespace Wharf.Core.Browse.Hg;

public sealed partial class HgCodeBrowser
{
    /// <summary>Mercurial's default branch: always the named branch "default".</summary>
    public const string DefaultBranch = "default";

    /// <summary>A head, bookmarked or tagged changeset, as one <c>hg log</c> line describes it.</summary>
    private sealed record Labelled(int Rev, string Node, string Branch, bool Closed, IReadOnlyList<string> Bookmarks,
        IReadOnlyList<string> Tags, DateTimeOffset? When, int? Ahead, int? Behind);

    public async Task<IReadOnlyList<RefInfo>> RefsAsync(RepositoryInfo repository, CancellationToken cancellationToken) =>
        RefList(await LabelledAsync(repository, withCounts: true, cancellationToken), withCounts: true);

    /// <summary>
    /// The changeset a ref name stands for, as Mercurial looks names up: a bookmark, a tag (<c>tip</c>, the newest
    /// changeset, included: Mercurial keeps it among the tags, though the lists leave it out), then a branch's tip.
    /// </summary>
    private static string? NamedNode(IReadOnlyList<Labelled> labelled, IReadOnlyList<RefInfo> refs, string name)
    {
        if (Named(refs, name) is { } named) return named.Target;
        // hg refuses a bookmark, tag or branch called "tip", so nothing else can answer to it.
        return name == Tip ? labelled.Where(c => c.Tags.Contains(Tip)).Select(c => c.Node).FirstOrDefault() : null;
    }

    /// <summary>The labelled changesets and the refs, read without ahead/behind counts, which resolving a name does not need.</summary>
    private async Task<(IReadOnlyList<Labelled> Labelled, IReadOnlyList<RefInfo> Refs)> NamesAsync(RepositoryInfo repository, CancellationToken cancellationToken)
    {
        var labelled = await LabelledAsync(repository, withCounts: false, cancellationToken);
        return (labelled, RefList(labelled, withCounts: false));
    }

    /// <summary>Mercurial's name for the newest changeset.</summary>
    public const string Tip = "tip";

    private static List<RefInfo> RefList(IReadOnlyList<Labelled> labelled, bool withCounts)
    {
        var refs = new List<RefInfo>();
        var tips = BranchTips(labelled);
        // Counts need a default branch to count against.
        withCounts &= tips.ContainsKey(DefaultBranch);
        foreach (var (name, tip) in tips.OrderBy(b => b.Key, StringComparer.Ordinal))
            refs.Add(new RefInfo(name, RefKind.Branch, tip.Node, tip.When, name == DefaultBranch)
            {
                Ahead = withCounts ? tip.Ahead ?? 0 : null,
                Behind = withCounts ? tip.Behind ?? 0 : null,
            });
        refs.AddRange(labelled.SelectMany(c => c.Bookmarks.Select(b => new RefInfo(b, RefKind.Bookmark, c.Node, c.When, false)))
            .OrderBy(r => r.Name, StringComparer.Ordinal));
        // "tip" is Mercurial's name for the newest changeset, not a tag anyone made.
        refs.AddRange(labelled.SelectMany(c => c.Tags.Where(t => t != Tip).Select(t => new RefInfo(t, RefKind.Tag, c.Node, c.When, false)))
            .OrderBy(r => r.Name, StringComparer.Ordinal));
        return refs;
    }

    /// <summary>
    /// Each named branch's tip as Mercurial picks it: its newest head that is not closed, or its newest head when
    /// all are closed; a branch whose heads are all closed is left out, as <c>hg branches</c> leaves it out.
    /// </summary>
    private static Dictionary<string, Labelled> BranchTips(IReadOnlyList<Labelled> labelled) =>
        labelled.Where(c => !c.Closed).GroupBy(c => c.Branch, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.MaxBy(c => c.Rev)!, StringComparer.Ordinal);

    /// <summary>
    /// Every branch head, bookmarked and tagged changeset in one <c>hg log</c>; <paramref name="withCounts"/> adds to
    /// each head its changesets not on the default branch's tip and the other way round.
    /// </summary>
    private async Task<IReadOnlyList<Labelled>> LabelledAsync(RepositoryInfo repository, bool withCounts, CancellationToken cancellationToken)
    {
        // Kept while the files that hold changesets, bookmarks, local tags, phases and obsolescence are unchanged, as the
        // git browser keeps its ref listing (RefListingCache): a page resolves its ref and lists the refs without hg.
        var key = (repository.Id, repository.Path, withCounts);
        var before = Stamp(repository.Path);
        if (before is { } b && _labelled.TryGet(key, out var kept) && kept.Stamp == b.Text) return kept.Labelled;
        var labelled = await ListLabelledAsync(repository, withCounts, cancellationToken);
        if (before is { } stamp && DateTime.UtcNow - stamp.Newest > Git.RefListingCache.Settle && Stamp(repository.Path)?.Text == stamp.Text)
            _labelled.Add(key, (stamp.Text, labelled));
        return labelled;
    }

    private readonly BoundedCache<(long, string, bool), (string Stamp, IReadOnlyList<Labelled> Labelled)> _labelled = new(256);

    /// <summary>
    /// The files whose change can change a ref listing: the changelog (new changesets, and with them .hgtags, branch
    /// heads and closed heads), bookmarks, local tags, phase roots and obsolescence markers (hidden changesets), each as
    /// name, modification time and length; with the newest time. Null when they cannot be read.
    /// </summary>
    internal static (string Text, DateTime Newest)? Stamp(string repository)
    {
        try
        {
            // A shared repository keeps its store elsewhere: listed by hg every time.
            if (File.Exists(Path.Combine(repository, ".hg", "sharedpath"))) return null;
            var stamp = new System.Text.StringBuilder();
            var newest = DateTime.MinValue;
            foreach (var file in StampFiles)
            {
                var info = new FileInfo(Path.Combine(repository, file));
                if (!info.Exists) { stamp.Append(file).Append(" -\n"); continue; }
                stamp.Append(file).Append(' ').Append(info.LastWriteTimeUtc.Ticks).Append(' ').Append(info.Length).Append('\n');
                if (info.LastWriteTimeUtc > newest) newest = info.LastWriteTimeUtc;
            }
            return (stamp.ToString(), newest);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static readonly string[] StampFiles =
    [
        ".hg/requires", ".hg/store/requires", ".hg/store/00changelog.i", ".hg/store/00changelog.d", ".hg/store/00changelog.n",
        ".hg/bookmarks", ".hg/store/bookmarks", ".hg/localtags", ".hg/store/phaseroots", ".hg/store/obsstore",
    ];

    private async Task<IReadOnlyList<Labelled>> ListLabelledAsync(RepositoryInfo repository, bool withCounts, CancellationToken cancellationToken)
    {
        const string defaultTip = "\"max(head() and not closed() and branch('literal:" + DefaultBranch + "'))\"";
        var counts = !withCounts ? ""
            : $", ahead=ifcontains(rev, revset('head()'), revset('only(%s, %r)', node, {defaultTip})|count)"
              + $", behind=ifcontains(rev, revset('head()'), revset('only(%r, %s)', {defaultTip}, node)|count)";
        var template = "{dict(rev, node, branch, bookmarks, tags, date, closed=ifcontains(rev, revset('closed()'), 'y', 'n')"
            + counts + ")|json}\n";
        var run = await RunBytesAsync(repository, ["log", "-r", "head() or bookmark() or tag()", "-T", template], cancellationToken);
        if (run.ExitCode != 0 || run.Value.Truncated)
            throw new InvalidOperationException($"hg log in {repository.FullName} failed with exit code {run.ExitCode}: {run.Stderr.Trim()}");
        var labelled = new List<Labelled>();
        foreach (var line in Records(run.Value.Bytes, (byte)'\n'))
        {
            using var json = JsonDocument.Parse(Text(line));
            var c = json.RootElement;
            var node = c.GetProperty("node").GetString() ?? "";
            if (!FullNode().IsMatch(node) || node is NullNode) continue;
            labelled.Add(new Labelled(c.GetProperty("rev").GetInt32(), node, c.GetProperty("branch").GetString() ?? "",
                c.GetProperty("closed").GetString() == "y",
                Strings(c.GetProperty("bookmarks")), Strings(c.GetProperty("tags")),
                RepositoryHistory.HgDate(c.GetProperty("date")), Count(c, "ahead"), Count(c, "behind")));
        }
        return labelled;
    }

    private static List<string> Strings(JsonElement list) =>
        list.ValueKind == JsonValueKind.Array ? list.EnumerateArray().Select(e => e.GetString() ?? "").ToList() : [];

    private static int? Count(JsonElement changeset, string name) =>
        changeset.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    public async Task<RefPath?> ResolveAsync(RepositoryInfo repository, string refAndPath, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(refAndPath)) return null;
        var segments = refAndPath.Split('/');
        var (labelled, refs) = await NamesAsync(repository, cancellationToken);
        for (var take = segments.Length; take >= 1; take--)
        {
            var name = string.Join('/', segments[..take]);
            if (name.Length > 0 && NamedNode(labelled, refs, name) is { } target)
                return new RefPath(name, target, string.Join('/', segments[take..]));
        }
        return await NodeOfHexAsync(repository, segments[0], cancellationToken) is { } node
            ? new RefPath(segments[0], node, string.Join('/', segments[1..]))
            : null;
    }

    /// <summary>A ref by exact name, in Mercurial's own order of lookup: bookmarks, then tags, then branches.</summary>
    private static RefInfo? Named(IReadOnlyList<RefInfo> refs, string name) =>
        refs.FirstOrDefault(r => r.Kind == RefKind.Bookmark && r.Name == name)
        ?? refs.FirstOrDefault(r => r.Kind == RefKind.Tag && r.Name == name)
        ?? refs.FirstOrDefault(r => r.Kind == RefKind.Branch && r.Name == name);

    /// <summary>
    /// The full hash of a revision given as a full hash, a ref name or a hexadecimal prefix (at least 4 digits);
    /// null when it names nothing (or more than one changeset). A full hash costs no lookup: the command that uses it
    /// finds out whether it exists.
    /// </summary>
    private async Task<string?> NodeAsync(RepositoryInfo repository, string revision, CancellationToken cancellationToken)
    {
        if (FullNode().IsMatch(revision)) return revision is NullNode or WorkingDirectoryNode ? null : revision;
        var (labelled, refs) = await NamesAsync(repository, cancellationToken);
        if (NamedNode(labelled, refs, revision) is { } named) return named;
        return await NodeOfHexAsync(repository, revision, cancellationToken);
    }

    /// <summary>The changeset a hexadecimal prefix names; null for anything else, an unknown or ambiguous prefix, and Mercurial's pseudo-revisions.</summary>
    private async Task<string?> NodeOfHexAsync(RepositoryInfo repository, string hex, CancellationToken cancellationToken)
    {
        if (!HexPrefix().IsMatch(hex)) return null;
        var run = await RunBytesAsync(repository, ["log", "-r", $"id({hex.ToLowerInvariant()})", "-T", "{rev} {node}\n"], cancellationToken, 4096);
        if (run.ExitCode != 0) return null;
        var lines = Text(run.Value.Bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length != 1 || lines[0].Split(' ') is not [var rev, var node]) return null;
        // id() also names the null revision (-1) and the working directory (2147483647): neither is a changeset.
        return int.TryParse(rev, out var r) && r >= 0 && r < int.MaxValue && FullNode().IsMatch(node) ? node : null;
    }
}
