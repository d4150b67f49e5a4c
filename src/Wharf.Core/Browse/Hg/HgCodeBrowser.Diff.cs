using System.Globalization;
using System.Text.RegularExpressions;
using Wharf.Core.Repositories;

namespace Wharf.Core.Browse.Hg;

public sealed partial class HgCodeBrowser
{
    /// <summary>A diff line longer than this is cut (a minified file's one line must not fill the memory).</summary>
    private const int MaxDiffLineBytes = 64 * 1024;

    public async Task<Diff?> DiffAsync(RepositoryInfo repository, string? from, string to, CancellationToken cancellationToken)
    {
        if (await DiffNodesAsync(repository, from, to, cancellationToken) is not var (fromNode, toNode)) return null;
        // A changeset's own diff never changes: a small one is kept by hash.
        var key = (repository.Id, repository.Path, toNode);
        if (fromNode is null && _diffs.TryGet(key, out var kept)) return kept;
        var parser = new DiffParser(Limits.MaxDiffFiles, Limits.MaxDiffLines);
        var run = await RunAsync(repository, DiffArguments(fromNode, toNode),
            (stdout, ct) => ReadRecordsAsync(stdout, (byte)'\n', MaxDiffLineBytes, parser.Line, ct), cancellationToken);
        if (run.ExitCode != 0) return null;
        var diff = new Diff(fromNode, toNode, parser.Finish(), parser.FilesOmitted);
        if (fromNode is null && diff.Keepable) _diffs.Add(key, diff);
        return diff;
    }

    private readonly BoundedCache<(long, string, string), Diff> _diffs = new(64);

    public async Task<bool> CopyPatchAsync(RepositoryInfo repository, string? from, string to, Stream destination, CancellationToken cancellationToken)
    {
        if (await DiffNodesAsync(repository, from, to, cancellationToken) is not var (fromNode, toNode)) return false;
        var run = await RunAsync(repository, DiffArguments(fromNode, toNode),
            async (stdout, ct) => { await stdout.CopyToAsync(destination, ct); return true; }, cancellationToken);
        return run.ExitCode == 0;
    }

    private async Task<(string? From, string To)?> DiffNodesAsync(RepositoryInfo repository, string? from, string to, CancellationToken cancellationToken)
    {
        if (await NodeAsync(repository, to, cancellationToken) is not { } toNode) return null;
        if (from is null) return (null, toNode);
        return await NodeAsync(repository, from, cancellationToken) is { } fromNode ? (fromNode, toNode) : null;
    }

    /// <summary>
    /// Git's extended format: renames, copies, mode changes and binary files are marked. <c>-c</c> diffs a changeset
    /// against its first parent (the empty tree for a root changeset).
    /// </summary>
    private static string[] DiffArguments(string? from, string to) =>
        from is null ? ["diff", "--git", "-c", Id(to)] : ["diff", "--git", "-r", Id(from), "-r", Id(to)];

    [GeneratedRegex(@"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")]
    private static partial Regex HunkHeader();

    /// <summary>Reads <c>hg diff --git</c> output line by line into <see cref="FileDiff"/>s, within the caps.</summary>
    private sealed class DiffParser(int maxFiles, int maxLines)
    {
        private sealed class File
        {
            public string? OldPath, NewPath, OldMode, NewMode;
            public FileChange Change = FileChange.Modified;
            public int Additions, Deletions;
            public bool IsBinary, LinesOmitted;
            public readonly List<DiffHunk> Hunks = [];
        }

        private readonly List<FileDiff> _files = [];
        private File? _file;
        private int _seen, _lines;
        private bool _linesSpent;
        private List<DiffLine>? _hunk;
        private int _oldLeft, _newLeft, _oldLine, _newLine;

        public int FilesOmitted { get; private set; }

        public void Line(ReadOnlySpan<byte> bytes)
        {
            if ((_oldLeft > 0 || _newLeft > 0) && bytes.Length > 0 && bytes[0] is (byte)' ' or (byte)'+' or (byte)'-')
            {
                Content((char)bytes[0], Text(bytes[1..]));
                return;
            }
            _oldLeft = _newLeft = 0;
            if (bytes.Length > 0 && bytes[0] == '\\') return; // "\ No newline at end of file"
            var line = Text(bytes);
            if (line.StartsWith("diff --git ", StringComparison.Ordinal))
            {
                Close();
                if (++_seen > maxFiles) { FilesOmitted++; return; }
                _file = new File();
                (_file.OldPath, _file.NewPath) = GitHeaderPaths(line["diff --git ".Length..]);
                return;
            }
            if (_file is null) return;
            if (Value(line, "new file mode ") is { } added) { _file.Change = FileChange.Added; _file.NewMode = added; }
            else if (Value(line, "deleted file mode ") is { } deleted) { _file.Change = FileChange.Deleted; _file.OldMode = deleted; }
            else if (Value(line, "old mode ") is { } oldMode) _file.OldMode = oldMode;
            else if (Value(line, "new mode ") is { } newMode) _file.NewMode = newMode;
            else if (Value(line, "rename from ") is { } renameFrom) { _file.Change = FileChange.Renamed; _file.OldPath = renameFrom; }
            else if (Value(line, "rename to ") is { } renameTo) { _file.Change = FileChange.Renamed; _file.NewPath = renameTo; }
            else if (Value(line, "copy from ") is { } copyFrom) { _file.Change = FileChange.Copied; _file.OldPath = copyFrom; }
            else if (Value(line, "copy to ") is { } copyTo) { _file.Change = FileChange.Copied; _file.NewPath = copyTo; }
            else if (line == "GIT binary patch" || line.StartsWith("Binary file", StringComparison.Ordinal)) _file.IsBinary = true;
            else if (HunkHeader().Match(line) is { Success: true } hunk)
            {
                _oldLine = int.Parse(hunk.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
                _oldLeft = hunk.Groups[2].Success ? int.Parse(hunk.Groups[2].ValueSpan, CultureInfo.InvariantCulture) : 1;
                _newLine = int.Parse(hunk.Groups[3].ValueSpan, CultureInfo.InvariantCulture);
                _newLeft = hunk.Groups[4].Success ? int.Parse(hunk.Groups[4].ValueSpan, CultureInfo.InvariantCulture) : 1;
                _hunk = null;
                if (!_linesSpent) { _hunk = []; _file.Hunks.Add(new DiffHunk(line, _hunk)); }
                else _file.LinesOmitted = true;
            }
        }

        private static string? Value(string line, string prefix) =>
            line.StartsWith(prefix, StringComparison.Ordinal) ? line[prefix.Length..] : null;

        /// <summary>"a/OLD b/NEW" (hg writes no quotes; a name with spaces is split where both halves agree).</summary>
        private static (string?, string?) GitHeaderPaths(string rest)
        {
            if (rest.Length >= 5 && (rest.Length - 5) % 2 == 0)
            {
                var half = rest.Substring(2, (rest.Length - 5) / 2);
                if (rest == $"a/{half} b/{half}") return (half, half);
            }
            var split = rest.IndexOf(" b/", StringComparison.Ordinal);
            return rest.StartsWith("a/", StringComparison.Ordinal) && split > 1 ? (rest[2..split], rest[(split + 3)..]) : (null, null);
        }

        private void Content(char kind, string text)
        {
            var file = _file!;
            DiffLine line;
            switch (kind)
            {
                case '+': file.Additions++; _newLeft--; line = new DiffLine(DiffLineKind.Added, null, _newLine++, text); break;
                case '-': file.Deletions++; _oldLeft--; line = new DiffLine(DiffLineKind.Deleted, _oldLine++, null, text); break;
                default: _oldLeft--; _newLeft--; line = new DiffLine(DiffLineKind.Context, _oldLine++, _newLine++, text); break;
            }
            if (_hunk is null) return;
            if (++_lines > maxLines)
            {
                // Past the cap a file is listed with its counts only, never with part of its lines.
                _linesSpent = true;
                _hunk = null;
                file.Hunks.Clear();
                file.LinesOmitted = true;
                return;
            }
            _hunk.Add(line);
        }

        private void Close()
        {
            if (_file is not { } f) return;
            _file = null;
            _hunk = null;
            if (f.Change == FileChange.Added) f.OldPath = null;
            if (f.Change == FileChange.Deleted) f.NewPath = null;
            // A symlink (mode 120000) that became a file or the other way round.
            if (f.Change == FileChange.Modified && f.OldMode is not null && f.NewMode is not null && (f.OldMode == "120000") != (f.NewMode == "120000"))
                f.Change = FileChange.TypeChanged;
            _files.Add(new FileDiff(f.OldPath, f.NewPath, f.Change, f.Additions, f.Deletions, f.IsBinary, f.Hunks) { LinesOmitted = f.LinesOmitted });
        }

        public List<FileDiff> Finish()
        {
            Close();
            return _files;
        }
    }
}
