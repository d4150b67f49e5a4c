using System.Diagnostics;
using System.Globalization;
using System.Text;
using Wharf.Core.Errors;
using Wharf.Core.Git;
using Wharf.Core.Repositories;

namespace Wharf.Core.Browse.Git;

/// <summary>
/// History and diffs: one git process per call (<c>git log</c>, <c>git diff-tree</c>, <c>git rev-list</c>), started
/// with an argument list (never a shell), <c>--end-of-options</c> before revisions and <c>--</c> before paths, and
/// stopped at <see cref="BrowseLimits.Timeout"/>. Revisions are checked first (<see cref="IsSafeRevision"/>), so
/// nothing a URL carries reaches git as an option, a range or a path.
/// </summary>
public sealed partial class GitCodeBrowser
{
    public async Task<CommitList> CommitsAsync(RepositoryInfo repository, string revision, string? path, int skip, int take, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        ArgumentOutOfRangeException.ThrowIfLessThan(take, 1);
        if (!IsSafeRevision(revision)) return new CommitList([], false);
        var pathspec = HistoryText.Pathspec(path);
        // NUL between fields and after each commit (-z): a subject may hold any other byte, and the subject is the last field.
        List<string> arguments =
        [
            "log", "-z", "--date=raw", "--format=%H%x00%an%x00%ad%x00%s",
            "--skip=" + skip.ToString(CultureInfo.InvariantCulture), "-n", (take + 1).ToString(CultureInfo.InvariantCulture),
            "--end-of-options", revision, "--",
        ];
        if (pathspec is not null) arguments.Add(pathspec);
        // A commit id fixes its history: a list read once for the commit a branch points at is kept, and the next view
        // of the branch (still at that commit) starts no process. The branch is resolved through the kept ref listing.
        var tip = await TipAsync(repository, revision, cancellationToken);
        var key = (repository.Id, repository.Path, tip ?? "", pathspec, skip, take);
        if (tip is not null && _commitLists.TryGet(key, out var kept)) return kept;
        if (tip is not null) arguments[arguments.IndexOf("--end-of-options") + 1] = tip;
        var run = await HistoryProcess.RunAsync(Git, Limits, repository, arguments, cancellationToken);
        if (run.ExitCode != 0) return new CommitList([], false);
        var fields = run.Stdout.Split('\0');
        var commits = new List<CommitSummary>();
        for (var i = 0; i + 3 < fields.Length; i += 4)
        {
            var id = fields[i].TrimStart('\n');
            commits.Add(new CommitSummary(id, fields[i + 1], RepositoryHistory.GitDate(fields[i + 2]), fields[i + 2], fields[i + 3]));
        }
        var hasMore = commits.Count > take;
        var list = new CommitList(hasMore ? commits[..take] : commits, hasMore);
        if (tip is not null) _commitLists.Add(key, list);
        return list;
    }

    /// <summary>Commit lists by repository, tip commit, path, skip and take (<see cref="CommitsAsync"/>).</summary>
    private readonly BoundedCache<(long, string, string, string?, int, int), CommitList> _commitLists = new(512);

    /// <summary>
    /// The commit a revision names when that needs no process: a full object id as it is, <c>HEAD</c> (its branch) and
    /// <c>refs/heads/NAME</c> through <see cref="RefsAsync"/>; null for anything else (git resolves it).
    /// </summary>
    private async Task<string?> TipAsync(RepositoryInfo repository, string revision, CancellationToken cancellationToken)
    {
        if (IsObjectId(revision)) return revision;
        var branch = revision == "HEAD" ? GitBinary.HeadBranch(repository.Path)
            : revision.StartsWith(BranchPrefix, StringComparison.Ordinal) ? revision[BranchPrefix.Length..] : null;
        if (branch is null) return null;
        foreach (var r in await RefsAsync(repository, cancellationToken))
            if (r.Kind == RefKind.Branch && r.Name == branch && IsObjectId(r.Target)) return r.Target;
        return null;
    }

    public async Task<CommitDetail?> CommitAsync(RepositoryInfo repository, string revision, CancellationToken cancellationToken)
    {
        if (!IsSafeRevision(revision)) return null;
        // A commit id is read as an object through a kept reader (no process). Anything else goes to git log: names,
        // tags (peeled there), commits that are not plain UTF-8, and hex that names no object (it may be a ref's name).
        if (IsObjectId(revision, minLength: 4))
        {
            // A full id names the same commit for ever: a commit read by it is kept (small ones; the message may be long).
            var key = (repository.Id, repository.Path, revision);
            if (_commits.TryGet(key, out var kept)) return kept;
            await using var reader = OpenReader(repository, cancellationToken);
            if (await reader.ReadAsync(revision, MaxCommitObjectBytes) is { Info.Type: "commit", Content: { } content } read
                && ParseCommit(read.Info.Id, content) is { } parsed)
            {
                if (IsObjectId(revision) && content.Length <= MaxKeptCommitBytes) _commits.Add(key, parsed);
                return parsed;
            }
        }
        // The message (%B) is last: it may hold anything but NUL.
        var run = await HistoryProcess.RunAsync(Git, Limits, repository,
            ["log", "-1", "-z", "--date=raw", "--format=%H%x00%P%x00%an%x00%ae%x00%ad%x00%cn%x00%ce%x00%cd%x00%B", "--end-of-options", revision, "--"], cancellationToken);
        if (run.ExitCode != 0) return null;
        var f = run.Stdout.Split('\0', 9);
        if (f.Length < 9 || f[0].Length == 0) return null;
        var parents = f[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new CommitDetail(f[0], parents,
            new Person(f[2], f[3], RepositoryHistory.GitDate(f[4]), f[4]),
            new Person(f[5], f[6], RepositoryHistory.GitDate(f[7]), f[7]),
            f[8].TrimEnd('\0').TrimEnd('\n'));
    }

    /// <summary>Commits read by full id (<see cref="CommitAsync"/>), each at most <see cref="MaxKeptCommitBytes"/> as an object.</summary>
    private readonly BoundedCache<(long, string, string), CommitDetail> _commits = new(1024);

    private const int MaxKeptCommitBytes = 16 * 1024;

    /// <summary>Largest commit object parsed from the reader; a larger one (a huge message) is left to git log.</summary>
    private const int MaxCommitObjectBytes = 256 * 1024;

    /// <summary>
    /// A raw commit object (gitformat-commit: header lines, a blank line, the message) as git log shows it with
    /// <c>%an %ae %ad</c> and <c>--date=raw</c>; null for one git log should read: a declared encoding other than UTF-8
    /// (git log re-encodes it), or a header it cannot take apart.
    /// </summary>
    internal static CommitDetail? ParseCommit(string id, byte[] content)
    {
        var end = content.AsSpan().IndexOf("\n\n"u8);
        var header = Encoding.UTF8.GetString(content, 0, end < 0 ? content.Length : end);
        var message = end < 0 ? "" : Encoding.UTF8.GetString(content, end + 2, content.Length - end - 2);
        var parents = new List<string>();
        Person? author = null, committer = null;
        foreach (var line in header.Split('\n'))
        {
            if (line.StartsWith("parent ", StringComparison.Ordinal)) parents.Add(line[7..]);
            else if (line.StartsWith("author ", StringComparison.Ordinal)) author = Ident(line[7..]);
            else if (line.StartsWith("committer ", StringComparison.Ordinal)) committer = Ident(line[10..]);
            else if (line.StartsWith("encoding ", StringComparison.Ordinal) && !line[9..].Trim().Equals("utf-8", StringComparison.OrdinalIgnoreCase)
                && !line[9..].Trim().Equals("utf8", StringComparison.OrdinalIgnoreCase)) return null;
        }
        if (author is null || committer is null) return null;
        return new CommitDetail(id, parents, author, committer, message.TrimEnd('\n'));
    }

    /// <summary>"NAME &lt;EMAIL&gt; SECONDS ZONE" as in a commit header; null when it has no "&lt;...&gt;".</summary>
    private static Person? Ident(string text)
    {
        var open = text.IndexOf('<');
        var close = text.LastIndexOf('>');
        if (open < 0 || close < open) return null;
        var raw = text[(close + 1)..].Trim();
        return new Person(text[..open].TrimEnd(), text[(open + 1)..close], RepositoryHistory.GitDate(raw), raw);
    }

    public async Task<Diff?> DiffAsync(RepositoryInfo repository, string? from, string to, CancellationToken cancellationToken)
    {
        if (!IsSafeRevision(to) || (from is not null && !IsSafeRevision(from))) return null;
        // A commit's own diff, asked for by its full id, never changes: a small one is kept (the commit page's next view
        // starts no process). Abbreviated ids are not kept: a later object may make them ambiguous.
        var key = (repository.Id, repository.Path, to);
        var keep = from is null && IsObjectId(to);
        if (keep && _diffs.TryGet(key, out var kept)) return kept;
        var diff = await HistoryProcess.WithProcessAsync(Git, Limits, repository, DiffArguments(from, to, raw: true), async (process, stderr, ct) =>
        {
            var parser = new DiffParser(Limits);
            var complete = await parser.ReadAsync(process.StandardOutput.BaseStream, ct);
            if (!complete)
            {
                // Past a cap: what follows is not read, and git is stopped instead of writing it into a full pipe.
                BrowseProcess.Kill(process);
                await process.WaitForExitAsync(CancellationToken.None);
            }
            else
            {
                await process.WaitForExitAsync(ct);
                if (process.ExitCode != 0) return null; // an unknown revision, or one that is not a commit
            }
            await stderr;
            return parser.Result(from, to);
        }, cancellationToken);
        if (keep && diff is { Keepable: true }) _diffs.Add(key, diff);
        return diff;
    }

    /// <summary>Commits' own diffs by repository and full commit id (<see cref="DiffAsync"/>), small ones (<see cref="Diff.Keepable"/>).</summary>
    private readonly BoundedCache<(long, string, string), Diff> _diffs = new(64);

    public async Task<bool> CopyPatchAsync(RepositoryInfo repository, string? from, string to, Stream destination, CancellationToken cancellationToken)
    {
        if (!IsSafeRevision(to) || (from is not null && !IsSafeRevision(from))) return false;
        // Both revisions must name commits before the first byte goes out: after it, the answer can no longer be "not found".
        List<string> verify = ["rev-parse", "--verify", "--quiet", "--end-of-options", to + "^{commit}"];
        var check = await HistoryProcess.RunAsync(Git, Limits, repository, verify, cancellationToken);
        if (check.ExitCode != 0) return false;
        if (from is not null)
        {
            check = await HistoryProcess.RunAsync(Git, Limits, repository, ["rev-parse", "--verify", "--quiet", "--end-of-options", from + "^{commit}"], cancellationToken);
            if (check.ExitCode != 0) return false;
        }
        return await HistoryProcess.WithProcessAsync(Git, Limits, repository, DiffArguments(from, to, raw: false), async (process, stderr, ct) =>
        {
            await process.StandardOutput.BaseStream.CopyToAsync(destination, ct);
            await process.WaitForExitAsync(ct);
            await stderr;
            return true;
        }, cancellationToken);
    }

    public async Task<AheadBehind?> AheadBehindAsync(RepositoryInfo repository, string commit, string baseCommit, CancellationToken cancellationToken)
    {
        if (!IsSafeRevision(commit) || !IsSafeRevision(baseCommit)) return null;
        // Checked one by one above, so the symmetric range is made here and only here.
        var run = await HistoryProcess.RunAsync(Git, Limits, repository,
            ["rev-list", "--left-right", "--count", "--end-of-options", commit + "..." + baseCommit], cancellationToken);
        if (run.ExitCode != 0) return null;
        var counts = run.Stdout.Trim().Split('\t');
        return counts.Length == 2 && int.TryParse(counts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ahead)
            && int.TryParse(counts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var behind)
            ? new AheadBehind(ahead, behind) : null;
    }

    /// <summary>The longest revision accepted; object ids and ref names are far shorter.</summary>
    public const int MaxRevisionLength = 300;

    /// <summary>
    /// Whether <paramref name="revision"/> may be passed to git as one revision: not empty, no leading '-' (an option),
    /// no "..", so no range, no ':' (a path inside a tree, or a search through messages), no spaces or control
    /// characters. Ref names with '/', '~N', '^N' and '^{commit}' pass.
    /// </summary>
    public static bool IsSafeRevision(string? revision)
    {
        if (string.IsNullOrEmpty(revision) || revision.Length > MaxRevisionLength || revision[0] == '-') return false;
        if (revision.Contains("..", StringComparison.Ordinal)) return false;
        foreach (var c in revision)
            if (char.IsControl(c) || char.IsWhiteSpace(c) || c is ':' or '\\' or '*' or '?' or '[') return false;
        return true;
    }

    /// <summary>
    /// <c>git diff-tree</c> (plumbing: no external diff, no textconv from the repository's attributes) with renames and
    /// copies; a single commit is compared with its first parent, a root commit with the empty tree.
    /// </summary>
    private static List<string> DiffArguments(string? from, string to, bool raw)
    {
        List<string> arguments = ["diff-tree", "-r", "-M", "-C", "--no-commit-id"];
        if (raw) arguments.AddRange(["-z", "--raw", "--numstat"]);
        arguments.Add("-p");
        if (from is null) arguments.AddRange(["--root", "-m", "--first-parent", "--end-of-options", to]);
        else arguments.AddRange(["--end-of-options", from, to]);
        return arguments;
    }

    /// <summary>
    /// Reads <c>git diff-tree -z --raw --numstat -p</c> as it arrives: the raw entries (status and paths, NUL-separated),
    /// the numstat entries (line counts, "-" for binary files), a NUL, then the patch. Only the first
    /// <see cref="BrowseLimits.MaxDiffFiles"/> entries are kept (the rest are counted), and the patch is read only up to
    /// <see cref="BrowseLimits.MaxDiffLines"/> lines and <see cref="MaxDiffTextBytes"/> of text.
    /// </summary>
    private sealed class DiffParser(BrowseLimits limits)
    {
        private sealed class Entry(FileChange change, string? oldPath, string? newPath)
        {
            public FileChange Change { get; } = change;
            public string? OldPath { get; } = oldPath;
            public string? NewPath { get; } = newPath;
            public int Additions { get; set; }
            public int Deletions { get; set; }
            public bool Binary { get; set; }
            public bool LinesOmitted { get; set; }
            public List<DiffHunk> Hunks { get; } = [];
        }

        private readonly List<Entry> _entries = [];
        private int _total;
        private int _lines;
        private long _bytes;

        public Diff Result(string? from, string to)
        {
            var files = _entries.Select(e => new FileDiff(e.OldPath, e.NewPath, e.Change, e.Additions, e.Deletions, e.Binary, e.Hunks)
            {
                LinesOmitted = e.LinesOmitted,
            }).ToList();
            return new Diff(from, to, files, _total - _entries.Count);
        }

        /// <summary>True when the whole output was read; false when reading stopped at a cap.</summary>
        public async Task<bool> ReadAsync(Stream output, CancellationToken cancellationToken)
        {
            var reader = new DelimitedReader(output);
            var numstat = 0;
            // The raw and numstat entries.
            while (true)
            {
                var token = await reader.ReadAsync(0, MaxPathBytes, cancellationToken);
                if (token is null) return true; // no changes at all
                if (token.Length == 0) break; // the NUL before the patch
                if (token[0] == ':')
                {
                    var status = token[(token.LastIndexOf(' ') + 1)..];
                    var two = status.Length > 0 && status[0] is 'R' or 'C';
                    var first = await reader.ReadAsync(0, MaxPathBytes, cancellationToken) ?? "";
                    var second = two ? await reader.ReadAsync(0, MaxPathBytes, cancellationToken) ?? "" : null;
                    _total++;
                    if (_entries.Count < limits.MaxDiffFiles) _entries.Add(FromRaw(status, first, second));
                    continue;
                }
                // numstat: "ADDED\tDELETED\tPATH", or "ADDED\tDELETED\t" followed by the old and the new path for a rename or copy.
                var parts = token.Split('\t', 3);
                if (parts.Length == 3 && parts[2].Length == 0)
                {
                    await reader.ReadAsync(0, MaxPathBytes, cancellationToken);
                    await reader.ReadAsync(0, MaxPathBytes, cancellationToken);
                }
                if (numstat < _entries.Count && parts.Length == 3)
                {
                    var entry = _entries[numstat];
                    entry.Binary = parts[0] == "-";
                    entry.Additions = Count(parts[0]);
                    entry.Deletions = Count(parts[1]);
                }
                numstat++;
            }
            return await ReadPatchAsync(reader, cancellationToken);
        }

        private async Task<bool> ReadPatchAsync(DelimitedReader reader, CancellationToken cancellationToken)
        {
            var index = -1;
            var sections = 0;
            List<DiffLine>? lines = null;
            string? header = null;
            int oldLine = 0, newLine = 0, oldLeft = 0, newLeft = 0;
            Entry? current = null;

            void EndHunk()
            {
                if (current is not null && header is not null && lines is not null) current.Hunks.Add(new DiffHunk(header, lines));
                header = null;
                lines = null;
                oldLeft = newLeft = 0;
            }

            bool Stop()
            {
                // Past the line cap: every kept file after the one being read is listed without its lines.
                EndHunk();
                for (var i = index + 1; i < _entries.Count; i++)
                    if (!_entries[i].Binary && (_entries[i].Additions > 0 || _entries[i].Deletions > 0)) _entries[i].LinesOmitted = true;
                return false;
            }

            while (await reader.ReadAsync((byte)'\n', MaxLineBytes, cancellationToken) is { } line)
            {
                if (header is not null && (oldLeft > 0 || newLeft > 0))
                {
                    var kind = line.Length == 0 ? ' ' : line[0];
                    if (kind == '\\') continue; // "\ No newline at end of file"
                    DiffLine diffLine;
                    switch (kind)
                    {
                        case '+': diffLine = new DiffLine(DiffLineKind.Added, null, newLine++, line[1..]); newLeft--; break;
                        case '-': diffLine = new DiffLine(DiffLineKind.Deleted, oldLine++, null, line[1..]); oldLeft--; break;
                        default: diffLine = new DiffLine(DiffLineKind.Context, oldLine++, newLine++, line.Length == 0 ? "" : line[1..]); oldLeft--; newLeft--; break;
                    }
                    _lines++;
                    _bytes += line.Length;
                    if (_lines > limits.MaxDiffLines || _bytes > MaxDiffTextBytes)
                    {
                        if (current is not null) current.LinesOmitted = true;
                        return Stop();
                    }
                    lines!.Add(diffLine);
                    continue;
                }
                if (line.StartsWith("diff --git ", StringComparison.Ordinal))
                {
                    EndHunk();
                    // A type change (a file becoming a symlink) is written as a deletion and then an addition.
                    if (current is { Change: FileChange.TypeChanged } && sections == 1) sections = 2;
                    else { index++; sections = 1; }
                    if (index >= _entries.Count) return false; // past the file cap
                    current = _entries[index];
                    continue;
                }
                if (line.StartsWith("@@ ", StringComparison.Ordinal) && current is not null)
                {
                    EndHunk();
                    if (!HunkHeader(line, out oldLine, out var oldCount, out newLine, out var newCount)) continue;
                    header = line;
                    lines = [];
                    oldLeft = oldCount;
                    newLeft = newCount;
                    if (oldLeft == 0 && newLeft == 0) EndHunk();
                }
                else if (header is not null) EndHunk();
            }
            EndHunk();
            return true;
        }

        private static Entry FromRaw(string status, string first, string? second) => status.Length == 0 ? new Entry(FileChange.Modified, first, first) : status[0] switch
        {
            'A' => new Entry(FileChange.Added, null, first),
            'D' => new Entry(FileChange.Deleted, first, null),
            'R' => new Entry(FileChange.Renamed, first, second),
            'C' => new Entry(FileChange.Copied, first, second),
            'T' => new Entry(FileChange.TypeChanged, first, first),
            _ => new Entry(FileChange.Modified, first, first),
        };

        private static int Count(string text) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

        /// <summary>"@@ -a[,b] +c[,d] @@ ..."; a missing count is 1.</summary>
        private static bool HunkHeader(string line, out int oldStart, out int oldCount, out int newStart, out int newCount)
        {
            oldStart = oldCount = newStart = newCount = 0;
            var parts = line.Split(' ', 4);
            return parts.Length >= 3 && Range(parts[1], '-', out oldStart, out oldCount) && Range(parts[2], '+', out newStart, out newCount);
        }

        private static bool Range(string text, char sign, out int start, out int count)
        {
            start = 0;
            count = 1;
            if (text.Length < 2 || text[0] != sign) return false;
            var comma = text.IndexOf(',');
            var startText = comma < 0 ? text[1..] : text[1..comma];
            if (!int.TryParse(startText, NumberStyles.None, CultureInfo.InvariantCulture, out start)) return false;
            return comma < 0 || int.TryParse(text[(comma + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out count);
        }
    }

    /// <summary>Longest path kept from git's output (longer ones are cut; Linux allows 4096 bytes).</summary>
    private const int MaxPathBytes = 8192;

    /// <summary>Longest diff line kept; the rest of a longer line is skipped, not held.</summary>
    private const int MaxLineBytes = 4096;

    /// <summary>Most diff text held for one diff, whatever the line count (20,000 very long lines would otherwise be 80 MB).</summary>
    public const long MaxDiffTextBytes = 8 * 1024 * 1024;

    /// <summary>
    /// Reads a byte stream in pieces ending at a delimiter (NUL or newline), decoding each as UTF-8 (invalid bytes become
    /// U+FFFD) and keeping at most a given number of bytes of each piece, so one enormous line costs no memory.
    /// </summary>
    private sealed class DelimitedReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;
        private readonly MemoryStream _piece = new();

        /// <summary>The next piece without its delimiter; null at the end of the stream.</summary>
        public async Task<string?> ReadAsync(byte delimiter, int maxBytes, CancellationToken cancellationToken)
        {
            _piece.SetLength(0);
            var any = false;
            while (true)
            {
                if (_start == _end)
                {
                    _start = 0;
                    _end = await stream.ReadAsync(_buffer, cancellationToken);
                    if (_end == 0) return any ? Decode() : null;
                }
                any = true;
                var at = Array.IndexOf(_buffer, delimiter, _start, _end - _start);
                var stop = at < 0 ? _end : at;
                var keep = (int)Math.Min(stop - _start, Math.Max(0, maxBytes - _piece.Length));
                if (keep > 0) _piece.Write(_buffer, _start, keep);
                if (at < 0)
                {
                    _start = _end;
                    continue;
                }
                _start = at + 1;
                return Decode();
            }
        }

        private string Decode() => Encoding.UTF8.GetString(_piece.GetBuffer(), 0, (int)_piece.Length);
    }
}

/// <summary>Running the short history commands with the browse timeout; local to this file so the tree half keeps its own names.</summary>
file static class HistoryProcess
{
    public static ProcessStartInfo StartInfo(Wharf.Core.Git.GitBinary git, RepositoryInfo repository, IEnumerable<string> arguments)
    {
        // --literal-pathspecs: a path is a path, never pathspec magic such as ":(glob)" or ":!".
        var psi = git.StartInfo(["--git-dir", repository.Path, "--literal-pathspecs", .. arguments]);
        psi.RedirectStandardInput = false;
        psi.StandardOutputEncoding = new UTF8Encoding(false);
        psi.StandardErrorEncoding = new UTF8Encoding(false);
        return psi;
    }

    /// <summary>git ARGUMENTS run to the end under <see cref="BrowseLimits.Timeout"/>, both outputs read.</summary>
    public static Task<ProcessOutput> RunAsync(Wharf.Core.Git.GitBinary git, BrowseLimits limits, RepositoryInfo repository,
        IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        WithProcessAsync(git, limits, repository, arguments, async (process, stderr, ct) =>
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            return new ProcessOutput(process.ExitCode, await stdout, await stderr);
        }, cancellationToken);

    /// <summary>
    /// Starts git ARGUMENTS, drains its stderr, and hands the process to <paramref name="read"/> with a token that
    /// ends at <see cref="BrowseLimits.Timeout"/>, through <see cref="BrowseProcess.RunAsync"/> (running out of time is
    /// <see cref="BrowseErrors.TooSlow"/>, the caller's own cancellation stays a cancellation).
    /// </summary>
    public static Task<T> WithProcessAsync<T>(Wharf.Core.Git.GitBinary git, BrowseLimits limits, RepositoryInfo repository,
        IEnumerable<string> arguments, Func<Process, Task<string>, CancellationToken, Task<T>> read, CancellationToken cancellationToken) =>
        BrowseProcess.RunAsync(() => git.Start(StartInfo(git, repository, arguments)), limits.Timeout,
            (process, ct) => read(process, DrainAsync(process.StandardError, ct), ct), cancellationToken);

    /// <summary>Reads stderr so git never blocks on a full pipe; keeps the first 4 KiB.</summary>
    public static async Task<string> DrainAsync(StreamReader stderr, CancellationToken cancellationToken)
    {
        var kept = new StringBuilder();
        var buffer = new char[4096];
        int n;
        while ((n = await stderr.ReadAsync(buffer, cancellationToken)) > 0)
            if (kept.Length < 4096) kept.Append(buffer, 0, Math.Min(n, 4096 - kept.Length));
        return kept.ToString();
    }
}

file static class HistoryText
{
    /// <summary>A repository-relative path as git takes it after "--": '/'-separated, no leading or trailing '/'; null for the root.</summary>
    public static string? Pathspec(string? path)
    {
        var trimmed = path?.Trim('/');
        return string.IsNullOrEmpty(trimmed) ? null : trimmed;
    }
}
