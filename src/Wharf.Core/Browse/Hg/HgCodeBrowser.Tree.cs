using System.Text;
using Wharf.Core.Repositories;

namespace Wharf.Core.Browse.Hg;

public sealed partial class HgCodeBrowser
{
    private const int MaxPathBytes = 64 * 1024;

    /// <summary>One name directly inside the directory being listed.</summary>
    private sealed record Child(string Name, bool NameNotUtf8, string Flags);

    public async Task<TreeListing?> TreeAsync(RepositoryInfo repository, string commit, string path, CancellationToken cancellationToken)
    {
        if (CleanPath(path) is not { } dir || await NodeAsync(repository, commit, cancellationToken) is not { } node) return null;
        // A changeset fixes its directories and their entries' last changes: a listing is kept by hash and path.
        // "Not a directory" is kept too (a file page asks first), but not "no such changeset": it may be pushed later.
        var key = (repository.Id, repository.Path, node, dir);
        if (_trees.TryGet(key, out var kept)) return kept;
        var (listing, changesetFound) = await ListTreeAsync(repository, node, dir, cancellationToken);
        if (changesetFound) _trees.Add(key, listing);
        return listing;
    }

    private readonly BoundedCache<(long, string, string, string), TreeListing?> _trees = new(64);

    private async Task<(TreeListing? Listing, bool ChangesetFound)> ListTreeAsync(RepositoryInfo repository, string node, string dir,
        CancellationToken cancellationToken)
    {
        var textPrefix = dir.Length == 0 ? "" : dir + "/";
        var prefix = Encoding.UTF8.GetBytes(textPrefix);

        // Mercurial keeps no directories: they are the prefixes of the manifest's file names. One pass over the
        // files below the directory finds its subdirectories and files (and whether the changeset has subrepositories).
        var directories = new Dictionary<string, bool>(StringComparer.Ordinal);
        var files = new Dictionary<string, Child>(StringComparer.Ordinal);
        var hasSubrepositories = false;
        string? flags = null;
        List<string> patterns = dir.Length == 0 ? [] : ["--", PathPattern(dir), "path:.hgsub", "path:.hgsubstate"];
        var run = await RunAsync(repository, ["files", "-r", Id(node), "-T", "{flags}\\0{path}\\0", .. patterns],
            (stdout, ct) => ReadRecordsAsync(stdout, 0, MaxPathBytes, record =>
            {
                if (flags is null) { flags = Encoding.ASCII.GetString(record); return; }
                var fileFlags = flags;
                flags = null;
                if (record.SequenceEqual(".hgsub"u8)) hasSubrepositories = true;
                if (!record.StartsWith(prefix)) return;
                var rest = record[prefix.Length..];
                var slash = rest.IndexOf((byte)'/');
                var (name, valid) = Name(slash < 0 ? rest : rest[..slash]);
                if (slash >= 0) directories.TryAdd(name, !valid);
                else files.TryAdd(name, new Child(name, !valid, fileFlags));
            }, ct), cancellationToken);
        // 1: no file matched (a missing directory, or an empty changeset); 255: no such changeset.
        if (run.ExitCode is not (0 or 1)) return (null, false);

        // Subrepositories are not in the manifest: one directly here is an entry, a deeper one makes a directory.
        var entries = new List<TreeEntry>();
        var subrepositories = hasSubrepositories ? await SubrepositoriesAsync(repository, node, cancellationToken) : [];
        foreach (var (sub, (source, state)) in subrepositories)
        {
            if (!sub.StartsWith(textPrefix, StringComparison.Ordinal)) continue;
            var rest = sub[textPrefix.Length..];
            if (rest.IndexOf('/') is var slash and >= 0) { directories.TryAdd(rest[..slash], false); continue; }
            directories.Remove(rest);
            files.Remove(rest);
            entries.Add(new TreeEntry(rest, sub, EntryKind.Submodule, null, source, state));
        }
        // A path that names a file, or nothing, is not a directory (the root always is, even of an empty changeset).
        if (dir.Length > 0 && directories.Count == 0 && files.Count == 0 && entries.Count == 0) return (null, true);

        var sizes = files.Count == 0 ? [] : await SizesAsync(repository, node, dir, cancellationToken);
        entries.AddRange(directories.Select(d => new TreeEntry(d.Key, Join(dir, d.Key), EntryKind.Directory, null, null, null) { NameNotUtf8 = d.Value }));
        entries.AddRange(files.Values.Select(f => new TreeEntry(f.Name, Join(dir, f.Name), f.Flags.Contains('l') ? EntryKind.Symlink : EntryKind.File,
            sizes.TryGetValue(f.Name, out var size) ? size : null, null, null) { NameNotUtf8 = f.NameNotUtf8 }));
        var shown = entries
            .OrderBy(e => e.Kind is EntryKind.Directory or EntryKind.Submodule ? 0 : 1)
            .ThenBy(e => e.Name, StringComparer.Ordinal)
            .Take(Limits.MaxTreeEntries).ToList();

        var links = shown.Where(e => e.Kind == EntryKind.Symlink && !e.NameNotUtf8).Select(e => e.Path).ToList();
        if (links.Count > 0)
        {
            var targets = await ContentsAsync(repository, node, links, cancellationToken);
            shown = shown.Select(e => e.Kind == EntryKind.Symlink && targets.TryGetValue(e.Path, out var target)
                ? e with { Target = Text(target) } : e).ToList();
        }
        return (new TreeListing(node, dir, await WithLastCommitsAsync(repository, node, dir, shown, cancellationToken), entries.Count - shown.Count), true);
    }

    /// <summary>How many changesets, newest first, are searched for the last change of each listed entry.</summary>
    public const int MaxLastCommitScan = 1000;

    /// <summary>
    /// Each entry's last change: one <c>hg log</c> walks the changesets that touched the directory, newest first,
    /// and stops once every entry has one (or after <see cref="MaxLastCommitScan"/> changesets; the rest stay null).
    /// </summary>
    private async Task<List<TreeEntry>> WithLastCommitsAsync(RepositoryInfo repository, string node, string dir, List<TreeEntry> entries,
        CancellationToken cancellationToken)
    {
        if (entries.Count == 0) return entries;
        var found = new Dictionary<string, CommitSummary>(StringComparer.Ordinal);
        var wanted = entries.Where(e => !e.NameNotUtf8).Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        var prefix = Encoding.UTF8.GetBytes(dir.Length == 0 ? "" : dir + "/");
        var history = $"reverse(ancestors({Id(node)}))";
        if (dir.Length > 0) history += $" and file({RevsetString(PathPattern(dir))})";
        var scanned = 0;
        // Fields end with NUL: node, user, date, subject, then the changed files; a newline ends the changeset.
        await RunAsync(repository, ["log", "-r", $"limit({history}, {MaxLastCommitScan})", "-T",
                "{node}\\0{user}\\0{date|hgdate}\\0{desc|firstline}\\0{join(files, '\\0')}\\0\\n"],
            async (stdout, ct) =>
            {
                using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
                try
                {
                    await ReadRecordsAsync(stdout, (byte)'\n', 16 * 1024 * 1024, changeset =>
                    {
                        if (wanted.Count == 0) return;
                        scanned++;
                        var fields = Records(changeset.ToArray(), 0);
                        if (fields.Count < 4) return;
                        CommitSummary? summary = null;
                        foreach (var file in fields.Skip(4))
                        {
                            if (!file.AsSpan().StartsWith(prefix)) continue;
                            var rest = file.AsSpan(prefix.Length);
                            var slash = rest.IndexOf((byte)'/');
                            var name = Text(slash < 0 ? rest : rest[..slash]);
                            if (!wanted.Remove(name)) continue;
                            summary ??= Summary(Text(fields[0]), Text(fields[1]), Text(fields[2]), Text(fields[3]));
                            found[name] = summary;
                        }
                        if (wanted.Count == 0) done.Cancel();
                    }, done.Token);
                }
                catch (OperationCanceledException) when (done.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    // Every entry has its changeset: the rest of the history is not read.
                }
                return true;
            }, cancellationToken);
        return entries.Select(e => found.TryGetValue(e.Name, out var last) && !e.NameNotUtf8 ? e with { LastCommit = last } : e).ToList();
    }

    private static CommitSummary Summary(string node, string user, string rawDate, string subject)
    {
        var lt = user.IndexOf('<');
        var author = lt > 0 ? user[..lt].Trim() : user;
        var when = rawDate.Split(' ') is [var seconds, var west]
            && long.TryParse(seconds, System.Globalization.CultureInfo.InvariantCulture, out var s)
            && long.TryParse(west, System.Globalization.CultureInfo.InvariantCulture, out var w)
            ? RepositoryHistory.HgDate(s, w) : null;
        return new CommitSummary(node, author, when, rawDate, subject);
    }

    private static string Join(string dir, string name) => dir.Length == 0 ? name : dir + "/" + name;

    /// <summary>The sizes of the files directly in a directory (its subdirectories' files are not read).</summary>
    private async Task<Dictionary<string, long>> SizesAsync(RepositoryInfo repository, string node, string dir, CancellationToken cancellationToken)
    {
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        string? size = null;
        await RunAsync(repository, ["files", "-r", Id(node), "-T", "{size}\\0{path}\\0", "--", "rootfilesin:" + dir],
            (stdout, ct) => ReadRecordsAsync(stdout, 0, MaxPathBytes, record =>
            {
                if (size is null) { size = Encoding.ASCII.GetString(record); return; }
                var name = Text(record);
                var slash = name.LastIndexOf('/');
                if (long.TryParse(size, out var bytes)) sizes.TryAdd(name[(slash + 1)..], bytes);
                size = null;
            }, ct), cancellationToken);
        return sizes;
    }

    /// <summary>
    /// Several small files' contents in one <c>hg cat</c> (symlink targets, .hgsub), by path; each file is cut at
    /// <see cref="BrowseLimits.MaxFileBytes"/>.
    /// </summary>
    private async Task<Dictionary<string, byte[]>> ContentsAsync(RepositoryInfo repository, string node, IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        var contents = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var maxRecord = (int)Math.Min(int.MaxValue / 4, MaxPathBytes + 2 * Limits.MaxFileBytes + 1);
        await RunAsync(repository, ["cat", "-r", Id(node), "-T", "{path}\\0{data|hex}\\n", "--", .. paths.Select(PathPattern)],
            (stdout, ct) => ReadRecordsAsync(stdout, (byte)'\n', maxRecord, record =>
            {
                var nul = record.IndexOf((byte)0);
                if (nul < 0) return;
                var hex = Encoding.ASCII.GetString(record[(nul + 1)..]);
                if (hex.Length % 2 != 0) hex = hex[..^1];
                try { contents.TryAdd(Text(record[..nul]), Convert.FromHexString(hex)); }
                catch (FormatException) { }
            }, ct), cancellationToken);
        return contents;
    }

    /// <summary>The changeset's subrepositories: path → (source from .hgsub, changeset from .hgsubstate).</summary>
    private async Task<Dictionary<string, (string Source, string? State)>> SubrepositoriesAsync(RepositoryInfo repository, string node, CancellationToken cancellationToken)
    {
        var files = await ContentsAsync(repository, node, [".hgsub", ".hgsubstate"], cancellationToken);
        var subrepositories = new Dictionary<string, (string, string?)>(StringComparer.Ordinal);
        if (!files.TryGetValue(".hgsub", out var hgsub)) return subrepositories;
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        if (files.TryGetValue(".hgsubstate", out var hgsubstate))
            foreach (var line in Text(hgsubstate).Split('\n'))
                if (line.Trim().Split(' ', 2) is [var state, var statePath]) states[statePath] = state;
        // .hgsub is a configuration file: "path = source" lines before any section ([subpaths] rewrites sources
        // for clones, which a page has no use for).
        foreach (var raw in Text(hgsub).Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('[')) break;
            if (line.Length == 0 || line[0] is '#' or ';' || line.IndexOf('=') is not (> 0 and var eq)) continue;
            var sub = line[..eq].Trim();
            if (CleanPath(sub) is { Length: > 0 } clean)
                subrepositories[clean] = (line[(eq + 1)..].Trim(), states.GetValueOrDefault(clean));
        }
        return subrepositories;
    }

    /// <summary>A file's manifest flags and size; null when the path is not a file (missing, a directory, or both).</summary>
    private async Task<(string Flags, long Size)?> StatAsync(RepositoryInfo repository, string node, string path, CancellationToken cancellationToken)
    {
        var run = await RunBytesAsync(repository, ["files", "-r", Id(node), "-T", "{flags}\\0{size}\\0{path}\\0", "--", PathPattern(path)],
            cancellationToken, 3 * MaxPathBytes);
        if (run.ExitCode != 0) return null;
        // path: also matches the files below a directory of that name; a file is the one exact match, alone (a
        // hostile manifest holding both "a" and "a/b" would make hg cat print both).
        var fields = Records(run.Value.Bytes, 0);
        if (fields.Count != 3 || Text(fields[2]) != path || !long.TryParse(Text(fields[1]), out var size)) return null;
        return (Text(fields[0]), size);
    }

    public async Task<FileContent?> FileAsync(RepositoryInfo repository, string commit, string path, CancellationToken cancellationToken)
    {
        if (CleanPath(path) is not { Length: > 0 } file || await NodeAsync(repository, commit, cancellationToken) is not { } node) return null;
        // A file at a changeset never changes: a small one (a README, a source file) is kept by hash and path.
        var key = (repository.Id, repository.Path, node, file);
        if (_files.TryGet(key, out var kept)) return kept;
        var content = await ReadFileAsync(repository, node, file, cancellationToken);
        if (content is not null && content.Size <= MaxKeptFileBytes) _files.Add(key, content);
        return content;
    }

    private readonly BoundedCache<(long, string, string, string), FileContent> _files = new(128);

    /// <summary>Largest file kept by <see cref="FileAsync"/> (128 kept: a few megabytes at most).</summary>
    private const int MaxKeptFileBytes = 64 * 1024;

    private async Task<FileContent?> ReadFileAsync(RepositoryInfo repository, string node, string file, CancellationToken cancellationToken)
    {
        if (await StatAsync(repository, node, file, cancellationToken) is not var (_, size)) return null;
        if (size > Limits.MaxFileBytes) return new FileContent(file, size, false, true, null, null);
        var run = await RunBytesAsync(repository, ["cat", "-r", Id(node), "--", PathPattern(file)], cancellationToken, Limits.MaxFileBytes + 1);
        if (run.ExitCode != 0 && !run.Value.Truncated) return null;
        var bytes = run.Value.Bytes;
        if (run.Value.Truncated) return new FileContent(file, Math.Max(size, bytes.Length), false, true, null, null);
        var binary = bytes.AsSpan().IndexOf((byte)0) >= 0;
        return new FileContent(file, bytes.Length, binary, false, binary ? null : Text(bytes), null);
    }

    public async Task<bool> CopyFileAsync(RepositoryInfo repository, string commit, string path, Stream destination, CancellationToken cancellationToken)
    {
        if (CleanPath(path) is not { Length: > 0 } file || await NodeAsync(repository, commit, cancellationToken) is not { } node
            || await StatAsync(repository, node, file, cancellationToken) is null)
            return false;
        var run = await RunAsync(repository, ["cat", "-r", Id(node), "--", PathPattern(file)],
            async (stdout, ct) => { await stdout.CopyToAsync(destination, ct); return true; }, cancellationToken);
        if (run.ExitCode != 0)
            throw new InvalidOperationException($"hg cat in {repository.FullName} failed with exit code {run.ExitCode}: {run.Stderr.Trim()}");
        return true;
    }
}
