using System.Globalization;

namespace Wharf.Server.Maintenance;

/// <summary>
/// Keeps maintenance and pushes of one git repository apart, across processes and across nodes that share one
/// repository store, with files in the repository directory (git ignores files it does not know there):
/// <list type="bullet">
/// <item>every push creates its own marker in <c>wharf-pushes/</c> and removes it when done, so pushes never wait for
/// each other;</item>
/// <item>maintenance creates <c>wharf-maintenance.lock</c> with an exclusive create (one holder across all nodes), then
/// gives it up at once if any push marker exists;</item>
/// <item>a push that finds the maintenance lock, after creating its marker, waits until the lock is gone.</item>
/// </list>
/// Both sides create their file before they look for the other's, so at most one of them proceeds while the other
/// exists: maintenance never runs during a push. Holders refresh their file's modification time every fifth of
/// <see cref="MaintenanceSettings.LockStaleAfter"/>; a file older than that belongs to a process that died (SIGKILL, a
/// lost node) and is removed by whoever finds it.
/// </summary>
public sealed class RepositoryLocks(MaintenanceSettings settings, TimeProvider time)
{
    public const string LockFileName = "wharf-maintenance.lock";
    public const string PushDirectoryName = "wharf-pushes";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public static string LockPath(string repository) => Path.Combine(repository, LockFileName);
    public static string PushDirectory(string repository) => Path.Combine(repository, PushDirectoryName);

    /// <summary>
    /// Marks a push to <paramref name="repository"/> as running, after waiting for a maintenance run that holds the lock
    /// to finish. Dispose the result when the push (and reading its refs afterwards) is over.
    /// </summary>
    public async Task<IAsyncDisposable> EnterPushAsync(string repository, CancellationToken cancellationToken)
    {
        var directory = PushDirectory(repository);
        Directory.CreateDirectory(directory);
        var marker = Path.Combine(directory, $"{Environment.MachineName}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}");
        var held = Held.Create(marker, settings, time);
        try
        {
            while (IsFresh(LockPath(repository), removeIfStale: false))
                await Task.Delay(PollInterval, time, cancellationToken);
            return held;
        }
        catch
        {
            await held.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Takes the maintenance lock of <paramref name="repository"/>, or says why not (another node or process is
    /// maintaining it, or a push is running) and changes nothing.
    /// </summary>
    public IAsyncDisposable? TryEnterMaintenance(string repository, out string? busy)
    {
        var path = LockPath(repository);
        if (IsFresh(path, removeIfStale: true))
        {
            busy = "another maintenance run holds " + LockFileName;
            return null;
        }
        Held held;
        try
        {
            held = Held.Create(path, settings, time);
        }
        catch (IOException) when (File.Exists(path))
        {
            busy = "another maintenance run holds " + LockFileName;
            return null;
        }
        var pushes = PushDirectory(repository);
        if (Directory.Exists(pushes) && Directory.EnumerateFiles(pushes).Any(marker => IsFresh(marker, removeIfStale: true)))
        {
            held.DisposeAsync().AsTask().GetAwaiter().GetResult();
            busy = "a push to it is running";
            return null;
        }
        busy = null;
        return held;
    }

    /// <summary>Whether <paramref name="path"/> exists and was refreshed within the stale time; a stale one may be removed.</summary>
    private bool IsFresh(string path, bool removeIfStale)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) return false;
            if (time.GetUtcNow().UtcDateTime - info.LastWriteTimeUtc < settings.LockStaleAfter) return true;
            if (removeIfStale) info.Delete();
            return false;
        }
        catch (IOException)
        {
            return false; // removed by its holder (or another finder) meanwhile
        }
    }

    /// <summary>A lock or marker file this process created, refreshed until disposed, then removed.</summary>
    private sealed class Held : IAsyncDisposable
    {
        private readonly string _path;
        private readonly ITimer _heartbeat;

        private Held(string path, TimeSpan period, TimeProvider time)
        {
            _path = path;
            _heartbeat = time.CreateTimer(_ => Touch(), null, period, period);
        }

        public static Held Create(string path, MaintenanceSettings settings, TimeProvider time)
        {
            // CreateNew: fails if the file exists, atomically, also on a shared (NFS v3+) store.
            var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            try
            {
                using (var writer = new StreamWriter(stream))
                    writer.Write(Core.Repositories.HolderMark.ForThisProcess(time.GetUtcNow()));
            }
            catch
            {
                // The file exists but its line could not be written (a full disk): an empty marker names no holder, so
                // nothing would remove it before it goes stale, and it would hold maintenance off until then.
                try { stream.Dispose(); }
                catch (IOException) { }
                try { File.Delete(path); }
                catch (IOException) { }
                throw;
            }
            return new Held(path, settings.LockStaleAfter / 5, time);
        }

        private void Touch()
        {
            try { File.SetLastWriteTimeUtc(_path, DateTime.UtcNow); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }

        public async ValueTask DisposeAsync()
        {
            await _heartbeat.DisposeAsync();
            try { File.Delete(_path); }
            catch (IOException) { }
        }
    }
}
