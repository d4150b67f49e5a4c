using System.Diagnostics;
using System.Globalization;
using System.Text;
using Wharf.Core.Git;
using Wharf.Core.Repositories;

namespace Wharf.Core.Browse.Git;

/// <summary>
/// Refs, trees and files. Objects are read through one <see cref="GitObjectReader"/> per call, by object id: a path
/// from a URL is never handed to git or joined to a directory on disk; it is walked one tree at a time, comparing
/// names byte for byte (or, for names that are not UTF-8, as they are shown), so <c>..</c>, absolute paths and
/// symlinks cannot lead anywhere but to objects of this repository.
/// </summary>
public sealed partial class GitCodeBrowser
{
    /// <summary>Most commits the last-commit walk of a directory reads; entries it does not reach show none.</summary>
    public const int LastCommitWalk = 400;

    /// <summary>Longest the last-commit walk of a directory may take (within <see cref="BrowseLimits.Timeout"/>).</summary>
    public static readonly TimeSpan LastCommitBudget = TimeSpan.FromSeconds(1);

    /// <summary>Most bytes of a symlink's target or of <c>.gitmodules</c> read to show them.</summary>
    private const int SymlinkTargetBytes = 4096;
    private const int GitmodulesBytes = 256 * 1024;

    /// <summary>git's own test for a binary file: a NUL byte among the first 8000 bytes.</summary>
    private const int BinarySniffBytes = 8000;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public Task<IReadOnlyList<RefInfo>> RefsAsync(RepositoryInfo repository, CancellationToken cancellationToken) =>
        _refs.GetAsync(repository, ListRefsAsync, cancellationToken);

    private async Task<IReadOnlyList<RefInfo>> ListRefsAsync(RepositoryInfo repository, CancellationToken cancellationToken)
    {
        // Ref names cannot hold control characters (git-check-ref-format(1)), so NUL between fields and a line per ref.
        var output = await RunGitAsync(repository,
            ["for-each-ref", "--format=%(refname)%00%(objectname)%00%(objecttype)%00%(*objectname)%00%(creatordate:iso-strict)%00%(contents:subject)",
                "refs/heads", "refs/tags"], cancellationToken);
        var head = GitBinary.HeadBranch(repository.Path);
        var refs = new List<RefInfo>();
        foreach (var line in Encoding.UTF8.GetString(output).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split('\0');
            if (f.Length < 6) continue;
            DateTimeOffset? when = DateTimeOffset.TryParse(f[4], CultureInfo.InvariantCulture, DateTimeStyles.None, out var w) ? w : null;
            if (f[0].StartsWith(BranchPrefix, StringComparison.Ordinal))
            {
                var name = f[0][BranchPrefix.Length..];
                refs.Add(new RefInfo(name, RefKind.Branch, f[1], when, name == head));
            }
            else if (f[0].StartsWith(TagPrefix, StringComparison.Ordinal))
            {
                var annotated = f[2] == "tag";
                refs.Add(new RefInfo(f[0][TagPrefix.Length..], RefKind.Tag, annotated && f[3].Length > 0 ? f[3] : f[1], when, false)
                {
                    Message = annotated && f[5].Length > 0 ? f[5] : null,
                });
            }
        }
        return refs;
    }

    public async Task<RefPath?> ResolveAsync(RepositoryInfo repository, string refAndPath, CancellationToken cancellationToken)
    {
        if (SplitPath(refAndPath.EndsWith('/') ? refAndPath[..^1] : refAndPath) is not { Length: > 0 } segments) return null;
        var refs = await RefsAsync(repository, cancellationToken);
        var branches = refs.Where(r => r.Kind == RefKind.Branch).ToDictionary(r => r.Name, StringComparer.Ordinal);
        var tags = refs.Where(r => r.Kind == RefKind.Tag).GroupBy(r => r.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        for (var n = segments.Length; n >= 1; n--)
        {
            var name = string.Join('/', segments[..n]);
            if ((branches.GetValueOrDefault(name) ?? tags.GetValueOrDefault(name)) is { } found)
                return new RefPath(name, found.Target, string.Join('/', segments[n..]));
        }
        if (!IsObjectId(segments[0], minLength: 4)) return null;
        await using var reader = OpenReader(repository, cancellationToken);
        return await reader.InfoAsync(segments[0]) is { Type: "commit" } commit
            ? new RefPath(segments[0], commit.Id, string.Join('/', segments[1..]))
            : null;
    }

    public async Task<TreeListing?> TreeAsync(RepositoryInfo repository, string commit, string path, CancellationToken cancellationToken)
    {
        if (!IsObjectId(commit) || SplitPath(path) is not { } segments) return null;
        // A commit id fixes the tree, its sizes and its entries' last commits: a repeated view of a directory at the
        // same commit reads nothing. A push moves the branch to another commit id, so it is seen at once.
        var listingKey = (repository.Path, commit, string.Join('/', segments), Limits.MaxTreeEntries);
        if (ListingCache.TryGet(listingKey, out var kept)) return kept;
        await using var reader = OpenReader(repository, cancellationToken);
        string treeId;
        if (segments.Length == 0)
        {
            if (await RootTreeAsync(reader, commit) is not { } root) return null;
            treeId = root;
        }
        else
        {
            if (await FindAsync(reader, commit, segments) is not { Item.IsTree: true } found) return null;
            treeId = found.Item.Id;
        }
        var items = new List<GitTreeItem>();
        var omitted = await reader.ReadTreeAsync(treeId, item =>
        {
            items.Add(item);
            return items.Count < Limits.MaxTreeEntries;
        }, countRest: true) ?? 0;

        var prefix = segments.Length == 0 ? "" : string.Join('/', segments) + "/";
        var blobs = items.Where(i => i.IsBlob).ToList();
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var info in await reader.InfoAsync(blobs.Select(b => b.Id).Distinct().ToList()))
            if (info is not null) sizes[info.Id] = info.Size;
        var submoduleUrls = items.Any(i => i.IsSubmodule) ? await SubmoduleUrlsAsync(reader, commit) : new Dictionary<string, string>();
        var entries = new List<TreeEntry>(items.Count);
        foreach (var item in items)
        {
            var (name, notUtf8) = Decode(item.NameBytes);
            var entryPath = prefix + name;
            string? target = null;
            if (item.IsSymlink && await reader.ReadAsync(item.Id, SymlinkTargetBytes) is { Content: { } link }) target = Decode(link).Text;
            if (item.IsSubmodule) target = submoduleUrls.GetValueOrDefault(entryPath);
            var kind = item.IsTree ? EntryKind.Directory : item.IsSubmodule ? EntryKind.Submodule : item.IsSymlink ? EntryKind.Symlink : EntryKind.File;
            entries.Add(new TreeEntry(name, entryPath, kind, sizes.TryGetValue(item.Id, out var size) && kind != EntryKind.Directory ? size : null, target, item.Id)
            {
                NameNotUtf8 = notUtf8,
            });
        }

        var (last, complete) = await LastCommitsAsync(repository, commit, segments, items, reader.Token);
        var withLast = entries.Select((e, i) => last[i] is { } c ? e with { LastCommit = c } : e);
        // Directories first, then files, each by name (git's own order is by bytes, with no grouping).
        var ordered = withLast.OrderBy(e => e.Kind == EntryKind.Directory ? 0 : 1).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
        var listing = new TreeListing(commit, string.Join('/', segments), ordered, omitted);
        // A listing whose last-commit walk was cut short is not kept: a later view may have the time to finish it.
        if (complete) ListingCache.Add(listingKey, listing);
        return listing;
    }

    public async Task<FileContent?> FileAsync(RepositoryInfo repository, string commit, string path, CancellationToken cancellationToken)
    {
        if (!IsObjectId(commit) || SplitPath(path) is not { Length: > 0 } segments) return null;
        await using var reader = OpenReader(repository, cancellationToken);
        if (await FindAsync(reader, commit, segments) is not { } found || found.Item.IsTree) return null;
        var shown = string.Join('/', segments);
        if (found.Item.IsSubmodule)
        {
            var urls = await SubmoduleUrlsAsync(reader, commit);
            return new FileContent(shown, 0, false, false, null, found.Item.Id) { Kind = EntryKind.Submodule, Target = urls.GetValueOrDefault(found.Path) };
        }
        if (found.Item.IsSymlink)
        {
            if (await reader.ReadAsync(found.Item.Id, SymlinkTargetBytes) is not { } link) return null;
            return new FileContent(shown, link.Info.Size, false, link.Content is null, null, found.Item.Id)
            {
                Kind = EntryKind.Symlink, Target = link.Content is { } t ? Decode(t).Text : null,
            };
        }
        // Only a file within the cap is read into memory; a larger one is skipped by the reader.
        if (await reader.ReadAsync(found.Item.Id, Limits.MaxFileBytes) is not { } blob) return null;
        if (blob.Content is not { } bytes) return new FileContent(shown, blob.Info.Size, false, true, null, blob.Info.Id);
        var binary = bytes.AsSpan(0, Math.Min(bytes.Length, BinarySniffBytes)).Contains((byte)0);
        return new FileContent(shown, blob.Info.Size, binary, false, binary ? null : Decode(bytes).Text, blob.Info.Id);
    }

    public async Task<bool> CopyFileAsync(RepositoryInfo repository, string commit, string path, Stream destination, CancellationToken cancellationToken)
    {
        if (!IsObjectId(commit) || SplitPath(path) is not { Length: > 0 } segments) return false;
        await using var reader = OpenReader(repository, cancellationToken);
        if (await FindAsync(reader, commit, segments) is not { Item.IsBlob: true } found) return false;
        return await reader.CopyAsync(found.Item.Id, destination, cancellationToken) is not null;
    }

    private const string BranchPrefix = "refs/heads/";
    private const string TagPrefix = "refs/tags/";

    private GitObjectReader OpenReader(RepositoryInfo repository, CancellationToken cancellationToken) =>
        _readers.Rent(repository, Limits.Timeout, cancellationToken);

    /// <summary>
    /// A repository-relative path as its segments; null for one no tree can hold: empty segments (so no leading '/'),
    /// <c>.</c>, <c>..</c>, or control characters.
    /// </summary>
    internal static string[]? SplitPath(string path)
    {
        if (path.Length == 0) return [];
        var segments = path.Split('/');
        foreach (var s in segments)
            if (s.Length == 0 || s is "." or ".." || s.Any(char.IsControl)) return null;
        return segments;
    }

    private static bool IsObjectId(string text, int minLength = 40) =>
        text.Length >= minLength && text.Length <= 64 && text.All(char.IsAsciiHexDigitLower) && (minLength < 40 || text.Length is 40 or 64);

    private static (string Text, bool NotUtf8) Decode(byte[] bytes)
    {
        try { return (StrictUtf8.GetString(bytes), false); }
        catch (DecoderFallbackException) { return (Encoding.UTF8.GetString(bytes), true); }
    }

    private static Task<string?> RootTreeAsync(GitObjectReader reader, string commit) => reader.CommitTreeAsync(commit);

    private sealed record Found(GitTreeItem Item, string Path);

    /// <summary>Walks from the commit's root tree down <paramref name="segments"/>, one tree object per segment.</summary>
    private static async Task<Found?> FindAsync(GitObjectReader reader, string commit, string[] segments)
    {
        if (await RootTreeAsync(reader, commit) is not { } tree) return null;
        GitTreeItem? item = null;
        var names = new List<string>();
        foreach (var segment in segments)
        {
            if (item is { IsTree: false }) return null;
            var wanted = Encoding.UTF8.GetBytes(segment);
            GitTreeItem? match = null;
            if (await reader.ReadTreeAsync(item?.Id ?? tree, i =>
                {
                    if (!i.NameBytes.AsSpan().SequenceEqual(wanted) && Decode(i.NameBytes).Text != segment) return true;
                    match = i;
                    return false;
                }) is null || match is null) return null;
            item = match;
            names.Add(Decode(match.NameBytes).Text);
        }
        return item is null ? null : new Found(item, string.Join('/', names));
    }

    /// <summary>Submodule paths and URLs from <c>.gitmodules</c> at the commit (git-config syntax, read loosely).</summary>
    private static async Task<Dictionary<string, string>> SubmoduleUrlsAsync(GitObjectReader reader, string commit)
    {
        var urls = new Dictionary<string, string>(StringComparer.Ordinal);
        if (await FindAsync(reader, commit, [".gitmodules"]) is not { Item.IsBlob: true } found) return urls;
        if (await reader.ReadAsync(found.Item.Id, GitmodulesBytes) is not { Content: { } content }) return urls;
        string? path = null, url = null;
        void Flush()
        {
            if (path is not null && url is not null) urls[path] = url;
            path = url = null;
        }
        foreach (var raw in Decode(content).Text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('[')) { Flush(); continue; }
            var eq = line.IndexOf('=');
            if (eq < 0) continue;
            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim().Trim('"');
            if (key.Equals("path", StringComparison.OrdinalIgnoreCase)) path = value;
            else if (key.Equals("url", StringComparison.OrdinalIgnoreCase)) url = value;
        }
        Flush();
        return urls;
    }

    /// <summary>
    /// The last commit touching each item: one <c>git log --name-only -z</c> walk from the commit, limited to the
    /// directory, that stops when every item has its commit, after <see cref="LastCommitWalk"/> commits, or after
    /// <see cref="LastCommitBudget"/>. Items it did not reach get null.
    /// </summary>
    private async Task<(CommitSummary?[] Result, bool Complete)> LastCommitsAsync(RepositoryInfo repository, string commit, string[] segments, List<GitTreeItem> items,
        CancellationToken cancellationToken)
    {
        var result = new CommitSummary?[items.Count];
        if (items.Count == 0) return (result, true);
        // A commit id fixes its history, so a directory's answer at a commit never changes: repeated views skip the walk.
        var cacheKey = (repository.Path, commit, string.Join('/', segments));
        if (LastCommitCache.TryGet(cacheKey, out var known) && known.Length == items.Count) return (known, true);
        var index = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var key = Convert.ToHexString(items[i].NameBytes);
            if (!index.TryGetValue(key, out var list)) index[key] = list = [];
            list.Add(i);
        }
        var left = items.Count;
        var prefix = segments.Length == 0 ? [] : Encoding.UTF8.GetBytes(string.Join('/', segments) + "/");
        List<string> arguments = ["log", "--no-renames", "--name-only", "-z", "-n", LastCommitWalk.ToString(CultureInfo.InvariantCulture),
            "--format=%x1e%H%x1f%an%x1f%at%x1f%ad%x1f%s", "--date=raw", commit, "--"];
        if (segments.Length > 0) arguments.Add(":(literal)" + string.Join('/', segments));

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(LastCommitBudget);
        using var process = Git.Start(Git.StartInfo(["--git-dir", repository.Path, .. arguments]));
        process.StandardInput.Close();
        var stderr = process.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
        try
        {
            var stream = process.StandardOutput.BaseStream;
            var buffer = new byte[64 * 1024];
            var pending = new MemoryStream();
            CommitSummary? current = null;
            var sawHeader = false;
            while (left > 0)
            {
                var n = await stream.ReadAsync(buffer, budget.Token);
                if (n == 0) break;
                pending.Write(buffer, 0, n);
                var data = pending.GetBuffer().AsSpan(0, (int)pending.Length);
                var consumed = 0;
                while (left > 0)
                {
                    var rest = data[consumed..];
                    if (rest.Length > 0 && rest[0] == 0x1e)
                    {
                        var end = rest.IndexOf((byte)0);
                        if (end < 0) break;
                        current = ParseSummary(Encoding.UTF8.GetString(rest[1..end]));
                        consumed += end + 1;
                        sawHeader = true;
                        if (data.Length > consumed && data[consumed] == (byte)'\n') consumed++;
                        continue;
                    }
                    if (rest.Length > 0 && rest[0] == (byte)'\n' && sawHeader) { consumed++; continue; }
                    var nul = rest.IndexOf((byte)0);
                    if (nul < 0) break;
                    var name = rest[..nul];
                    consumed += nul + 1;
                    if (current is null || !name.StartsWith(prefix)) continue;
                    var child = name[prefix.Length..];
                    var slash = child.IndexOf((byte)'/');
                    var key = Convert.ToHexString(slash < 0 ? child : child[..slash]);
                    if (!index.Remove(key, out var hits)) continue;
                    foreach (var i in hits) result[i] = current;
                    left -= hits.Count;
                }
                var remaining = data[consumed..].ToArray();
                pending.SetLength(0);
                pending.Write(remaining);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Out of budget: the entries not reached show no last commit, and the answer is not kept (a later view may
            // have more time).
            return (result, false);
        }
        finally
        {
            if (!process.HasExited)
            {
                try { process.Kill(entireProcessTree: true); }
                catch (InvalidOperationException) { /* ended meanwhile */ }
            }
            try { await stderr; }
            catch (IOException) { /* killed */ }
        }
        LastCommitCache.Add(cacheKey, result);
        return (result, true);
    }

    private static readonly BoundedCache<(string, string, string), CommitSummary?[]> LastCommitCache = new(512);

    /// <summary>Most directory listings kept (each at most <see cref="BrowseLimits.MaxTreeEntries"/> entries).</summary>
    public const int KeptListings = 128;

    /// <summary>Whole directory listings (entries, sizes, link targets, last commits) per repository, commit, path and entry cap.</summary>
    private static readonly BoundedCache<(string, string, string, int), TreeListing> ListingCache = new(KeptListings);

    private static CommitSummary? ParseSummary(string header)
    {
        var f = header.Split('\x1f');
        if (f.Length < 5) return null;
        DateTimeOffset? when = long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
        return new CommitSummary(f[0], f[1], when, f[3], f[4]);
    }

    /// <summary>Runs one git command on the repository within <see cref="BrowseLimits.Timeout"/> (<see cref="BrowseProcess.RunAsync"/>); its output, or throws with git's message.</summary>
    private Task<byte[]> RunGitAsync(RepositoryInfo repository, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var psi = Git.StartInfo(["--git-dir", repository.Path, .. arguments]);
        psi.RedirectStandardInput = false;
        return BrowseProcess.RunAsync(() => Git.Start(psi), Limits.Timeout, async (process, ct) =>
        {
            var output = new MemoryStream();
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.StandardOutput.BaseStream.CopyToAsync(output, ct);
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"git {string.Join(' ', arguments.Take(1))} in {repository.Path} failed with exit code {process.ExitCode}: {(await stderr).Trim()}");
            return output.ToArray();
        }, cancellationToken);
    }
}
