using Wharf.Core.Repositories;

namespace Wharf.Core.Browse.Git;

public sealed partial class GitCodeBrowser
{
    private readonly RefListingCache _refs = new();
}

/// <summary>
/// The last ref listing of each repository, reused while the ref files on disk are unchanged, so a page that needs
/// the refs twice (to resolve the URL's ref and for the ref selector), and the next page after it, start no
/// <c>git for-each-ref</c>. Only for git's "files" ref storage: the stamp is HEAD, <c>packed-refs</c> and the
/// modification time of every directory under <c>refs/heads</c> and <c>refs/tags</c> (git writes a loose ref to a lock
/// file and renames it into place, and deletes by unlinking, so each change touches its directory). A repository with
/// reftable storage, or whose ref files changed within <see cref="Settle"/> of the read (a file system's clock may
/// give two quick changes the same time), is listed by git every time.
/// </summary>
internal sealed class RefListingCache
{
    /// <summary>How old the newest ref file must be before a listing is kept.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    /// <summary>Most repositories whose listing is kept.</summary>
    private const int Capacity = 256;

    private readonly BoundedCache<(long, string), (string Stamp, IReadOnlyList<RefInfo> Refs)> _kept = new(Capacity);

    public async Task<IReadOnlyList<RefInfo>> GetAsync(RepositoryInfo repository, Func<RepositoryInfo, CancellationToken, Task<IReadOnlyList<RefInfo>>> list,
        CancellationToken cancellationToken)
    {
        var key = (repository.Id, repository.Path);
        var before = Stamp(repository.Path);
        if (before is { } b && _kept.TryGet(key, out var kept) && kept.Stamp == b.Text) return kept.Refs;
        var refs = await list(repository, cancellationToken);
        // Kept only when nothing changed while git listed, and the files are old enough that a change cannot hide in the clock's resolution.
        if (before is { } stamp && DateTime.UtcNow - stamp.Newest > Settle && Stamp(repository.Path)?.Text == stamp.Text)
            _kept.Add(key, (stamp.Text, refs));
        return refs;
    }

    /// <summary>
    /// A text that changes whenever a branch or tag is created, moved or deleted, and the newest time in it; null when
    /// it cannot be made.
    /// </summary>
    internal static (string Text, DateTime Newest)? Stamp(string repository)
    {
        try
        {
            if (Directory.Exists(Path.Combine(repository, "reftable"))) return null;
            var stamp = new System.Text.StringBuilder();
            var newest = DateTime.MinValue;
            void Add(string name, DateTime time, long length)
            {
                stamp.Append(name).Append(' ').Append(time.Ticks).Append(' ').Append(length).Append('\n');
                if (time > newest) newest = time;
            }
            foreach (var file in new[] { "HEAD", "packed-refs" })
            {
                var info = new FileInfo(Path.Combine(repository, file));
                if (info.Exists) Add(file, info.LastWriteTimeUtc, info.Length);
                else stamp.Append(file).Append(" -\n");
            }
            foreach (var top in new[] { "refs/heads", "refs/tags" })
            {
                var root = new DirectoryInfo(Path.Combine(repository, top));
                if (!root.Exists) { stamp.Append(top).Append(" -\n"); continue; }
                foreach (var dir in Directories(root)) Add(Path.GetRelativePath(repository, dir.FullName), dir.LastWriteTimeUtc, 0);
            }
            return (stamp.ToString(), newest);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static IEnumerable<DirectoryInfo> Directories(DirectoryInfo root)
    {
        yield return root;
        foreach (var dir in root.EnumerateDirectories("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            yield return dir;
    }
}
