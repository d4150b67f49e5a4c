using Wharf.Core.Repositories;

namespace Wharf.Core.Browse;

/// <summary>
/// Reading what was pushed, for the code pages and the API: refs, trees, files, history and diffs. One
/// implementation per version control system (<see cref="Scm"/>); <see cref="CodeBrowsers"/> picks it. Every
/// method reads the repository at <see cref="RepositoryInfo.Path"/> and nothing outside it, takes paths as
/// repository-relative names (never joined to a directory on disk), and answers null for a ref, commit or path
/// that does not exist. Sizes and counts are capped by <see cref="BrowseLimits"/>, so a hostile repository gives a
/// "too large" answer in bounded time and memory instead of a hung worker.
/// </summary>
public interface ICodeBrowser
{
    Scm Scm { get; }

    /// <summary>Branches, tags and (Mercurial) bookmarks, the default branch marked, each with its target commit.</summary>
    Task<IReadOnlyList<RefInfo>> RefsAsync(RepositoryInfo repository, CancellationToken cancellationToken);

    /// <summary>
    /// Splits <c>REF/PATH</c> as the URLs carry it: the longest leading run of segments that names a branch, tag or
    /// bookmark (names may hold '/'), else a full or abbreviated commit id as the first segment. Null when nothing
    /// matches.
    /// </summary>
    Task<RefPath?> ResolveAsync(RepositoryInfo repository, string refAndPath, CancellationToken cancellationToken);

    /// <summary>A directory at a commit ("" for the root); null when the path is missing or not a directory.</summary>
    Task<TreeListing?> TreeAsync(RepositoryInfo repository, string commit, string path, CancellationToken cancellationToken);

    /// <summary>
    /// A file at a commit with at most <see cref="BrowseLimits.MaxFileBytes"/> of its content (none when larger or
    /// binary); null when the path is missing or not a file.
    /// </summary>
    Task<FileContent?> FileAsync(RepositoryInfo repository, string commit, string path, CancellationToken cancellationToken);

    /// <summary>Streams a file's bytes at a commit into <paramref name="destination"/>; false when it is not a file.</summary>
    Task<bool> CopyFileAsync(RepositoryInfo repository, string commit, string path, Stream destination, CancellationToken cancellationToken);

    /// <summary>Commits reachable from <paramref name="revision"/>, newest first, optionally touching <paramref name="path"/>.</summary>
    Task<CommitList> CommitsAsync(RepositoryInfo repository, string revision, string? path, int skip, int take, CancellationToken cancellationToken);

    /// <summary>One commit (changeset) with its message and parents; null when unknown.</summary>
    Task<CommitDetail?> CommitAsync(RepositoryInfo repository, string revision, CancellationToken cancellationToken);

    /// <summary>
    /// The change from <paramref name="from"/> (null: the first parent, or the empty tree for a root commit) to
    /// <paramref name="to"/>, per file, capped by <see cref="BrowseLimits.MaxDiffFiles"/> and
    /// <see cref="BrowseLimits.MaxDiffLines"/>; null when either revision is unknown.
    /// </summary>
    Task<Diff?> DiffAsync(RepositoryInfo repository, string? from, string to, CancellationToken cancellationToken);

    /// <summary>The raw patch text (<c>git diff</c> / <c>hg diff</c> format), streamed; false when a revision is unknown.</summary>
    Task<bool> CopyPatchAsync(RepositoryInfo repository, string? from, string to, Stream destination, CancellationToken cancellationToken);

    /// <summary>Commits reachable from <paramref name="commit"/> and not from <paramref name="baseCommit"/>, and the other way round.</summary>
    Task<AheadBehind?> AheadBehindAsync(RepositoryInfo repository, string commit, string baseCommit, CancellationToken cancellationToken);
}

public sealed record AheadBehind(int Ahead, int Behind);

/// <summary>The browser for a repository's version control system.</summary>
public sealed class CodeBrowsers(IEnumerable<ICodeBrowser> browsers)
{
    private readonly Dictionary<Scm, ICodeBrowser> _byScm = browsers.ToDictionary(b => b.Scm);

    public ICodeBrowser For(RepositoryInfo repository) =>
        _byScm.TryGetValue(repository.Scm, out var browser) ? browser
            : throw new InvalidOperationException($"No code browser for {repository.Scm}.");
}

/// <summary>
/// The caps that keep one request bounded. Bound from the <c>Browse</c> section; the defaults are documented in
/// docs/OPERATIONS.md.
/// </summary>
public sealed class BrowseLimits
{
    /// <summary>Largest file shown on a page (bigger ones say "too large" and offer the download).</summary>
    public long MaxFileBytes { get; set; } = 1024 * 1024;

    /// <summary>Most entries listed for one directory; the listing says how many were left out.</summary>
    public int MaxTreeEntries { get; set; } = 1000;

    /// <summary>Most files in one diff; the rest are counted, not shown.</summary>
    public int MaxDiffFiles { get; set; } = 300;

    /// <summary>Most diff lines over all files of one diff; past it files are listed without their lines.</summary>
    public int MaxDiffLines { get; set; } = 20000;

    /// <summary>Longest a single read may run before it is stopped and the page says so.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

public enum RefKind { Branch, Tag, Bookmark }

/// <param name="Target">The commit the ref points at (a tag's peeled commit).</param>
/// <param name="When">The target commit's committer date; for an annotated tag, the tag's own date.</param>
public sealed record RefInfo(string Name, RefKind Kind, string Target, DateTimeOffset? When, bool IsDefault)
{
    /// <summary>Commits on this branch not on the default branch, and the other way round (branches only; null otherwise).</summary>
    public int? Ahead { get; init; }
    public int? Behind { get; init; }
    /// <summary>An annotated tag's message (first line), when there is one.</summary>
    public string? Message { get; init; }
}

/// <summary><paramref name="Ref"/> as named in the URL (a ref name or a commit id), the commit it resolves to, and the rest of the path.</summary>
public sealed record RefPath(string Ref, string Commit, string Path);

public enum EntryKind { File, Directory, Symlink, Submodule }

/// <param name="Path">Repository-relative, '/'-separated.</param>
/// <param name="Target">A symlink's target text or a submodule's URL (from .gitmodules / .hgsub) when known.</param>
/// <param name="ObjectId">The blob or tree id (git), or the submodule's commit.</param>
public sealed record TreeEntry(string Name, string Path, EntryKind Kind, long? Size, string? Target, string? ObjectId)
{
    /// <summary>The last commit that touched this entry, when it was looked up (directories listed on a page).</summary>
    public CommitSummary? LastCommit { get; init; }
    /// <summary>True when <see cref="Name"/> had bytes that are not UTF-8 (shown with replacement characters).</summary>
    public bool NameNotUtf8 { get; init; }
}

/// <param name="Omitted">Entries left out past <see cref="BrowseLimits.MaxTreeEntries"/>.</param>
public sealed record TreeListing(string Commit, string Path, IReadOnlyList<TreeEntry> Entries, int Omitted);

/// <param name="Text">The content as UTF-8 text; null when binary or too large.</param>
public sealed record FileContent(string Path, long Size, bool IsBinary, bool TooLarge, string? Text, string? ObjectId)
{
    /// <summary><see cref="EntryKind.File"/>, or a symlink (its target text in <see cref="Target"/>) or a submodule (its URL, when known).</summary>
    public EntryKind Kind { get; init; } = EntryKind.File;
    public string? Target { get; init; }
}

public sealed record CommitList(IReadOnlyList<CommitSummary> Commits, bool HasMore);

public sealed record Person(string Name, string Email, DateTimeOffset? When, string RawDate);

public sealed record CommitDetail(string Id, IReadOnlyList<string> Parents, Person Author, Person Committer, string Message)
{
    public string ShortId => Id.Length > 12 ? Id[..12] : Id;
    public string Subject => Message.Split('\n', 2)[0];
    /// <summary>Mercurial: the changeset's branch and local revision number.</summary>
    public string? Branch { get; init; }
}

public enum FileChange { Added, Deleted, Modified, Renamed, Copied, TypeChanged }

public enum DiffLineKind { Context, Added, Deleted }

/// <param name="OldLine">Line number in the old file (null for an added line).</param>
public sealed record DiffLine(DiffLineKind Kind, int? OldLine, int? NewLine, string Text);

/// <param name="Header">The hunk's <c>@@ -a,b +c,d @@</c> line.</param>
public sealed record DiffHunk(string Header, IReadOnlyList<DiffLine> Lines);

/// <param name="Hunks">Empty for binary files and for files past the line cap (<see cref="LinesOmitted"/>).</param>
public sealed record FileDiff(string? OldPath, string? NewPath, FileChange Change, int Additions, int Deletions, bool IsBinary,
    IReadOnlyList<DiffHunk> Hunks)
{
    public bool LinesOmitted { get; init; }
    public string Path => NewPath ?? OldPath ?? "";
}

/// <param name="FilesOmitted">Files past <see cref="BrowseLimits.MaxDiffFiles"/>, counted but not shown.</param>
public sealed record Diff(string? From, string To, IReadOnlyList<FileDiff> Files, int FilesOmitted)
{
    /// <summary>Largest diff the browsers keep in memory for the next view, counted as <see cref="LineTextSize"/>.</summary>
    internal const long MaxKeptSize = 64 * 1024;

    /// <summary>The text of its hunk headers and lines (and 16 for each line's own record): what keeping it costs.</summary>
    internal long LineTextSize => Files.Sum(f => f.Hunks.Sum(h => h.Header.Length + h.Lines.Sum(l => (long)l.Text.Length + 16)));

    /// <summary>Whether the browsers keep it: whole (within the caps) and at most <see cref="MaxKeptSize"/>.</summary>
    internal bool Keepable => FilesOmitted == 0 && !Files.Any(f => f.LinesOmitted) && LineTextSize <= MaxKeptSize;

    public int Additions => Files.Sum(f => f.Additions);
    public int Deletions => Files.Sum(f => f.Deletions);
}
