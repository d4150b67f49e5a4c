using System.Globalization;
using Wharf.Core;
using Wharf.Core.Hg;
using Wharf.Core.Repositories;

namespace Wharf.Server.Hosting;

/// <summary>
/// Puts the repository store back in order after a crash (SIGKILL, power loss, a full disk), before <c>wharf serve</c>
/// serves anything; docs/OPERATIONS.md ("After a crash") says what each step does and why:
/// <list type="bullet">
/// <item>a creation that recorded its repository but died before moving the directory into place is finished; one that
/// died before recording it is removed from the staging area (nobody was told it exists);</item>
/// <item>a deletion that moved the directory to the trash but died before removing the record is undone; trash whose
/// record is gone is emptied;</item>
/// <item>a Mercurial transaction a killed push left open (<c>.hg/store/journal</c>, "abandoned transaction found") is
/// rolled back with <c>hg recover</c>, so the changesets of the interrupted push are gone, as the client was told;</item>
/// <item>the maintenance lock and push markers (<see cref="Maintenance.RepositoryLocks"/>) of a process of this host that
/// is gone are removed, so the next push does not wait for them to go stale; then, in a git repository where no push or
/// maintenance runs on any node, the lock files a killed git left (which make git refuse that ref) are removed;</item>
/// <item>a repository directory that has no record is reported and left alone: it is never served, and it may hold
/// someone's work (a copy, a partial restore).</item>
/// </list>
/// Every step is safe while other nodes serve the same store: it only touches what a process that is gone left behind, or
/// what no record names.
/// </summary>
public sealed partial class RepositoryRecovery(IRepositoryStore repositories, WharfPaths paths, HgBinary hg, ILogger<RepositoryRecovery> logger)
{
    /// <summary>How long a staging directory whose creator cannot be checked (another host) is left alone.</summary>
    public static readonly TimeSpan ForeignStagingAge = TimeSpan.FromMinutes(10);

    /// <summary>A process's start time is read from /proc in clock ticks: a holder may seem to start this much after it did.</summary>
    private static readonly TimeSpan StartTimeSlack = TimeSpan.FromSeconds(1);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var rows = await repositories.ListVisibleAsync(0, includeAll: true, cancellationToken);
        var byUuid = rows.Where(r => r.Uuid != Guid.Empty).ToDictionary(r => r.Uuid.ToString("N"), StringComparer.Ordinal);
        foreach (var row in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!Directory.Exists(row.Path)) PutBack(row);
            if (!Directory.Exists(row.Path)) continue;
            TryDeleteFile(Path.Combine(row.Path, RepositoryService.CreatingMarker));
            if (row.Scm == Scm.Hg) await RecoverHgAsync(row.Path, row.FullName, cancellationToken);
            RemoveDeadHoldersLocks(row.Path, row.FullName);
            if (row.Scm == Scm.Git) RemoveGitLocks(row.Path, row.FullName);
        }

        EmptyLeftovers(paths.RepositoriesStaging, byUuid, staging: true);
        EmptyLeftovers(paths.RepositoriesTrash, byUuid, staging: false);
        ReportUnrecorded(rows);
    }

    private async Task RecoverHgAsync(string repository, string name, CancellationToken cancellationToken)
    {
        if (await hg.RecoverAsync(repository, cancellationToken)) LogHgRecovered(logger, name, repository);
        else if (HgBinary.HasInterruptedTransaction(repository)) LogHgNotRecovered(logger, name, repository);
    }

    /// <summary>A recorded repository without its directory: an unfinished creation (staging) or deletion (trash) of it.</summary>
    private void PutBack(RepositoryInfo row)
    {
        var uuid = row.Uuid.ToString("N");
        foreach (var (folder, what) in new[] { (paths.RepositoriesStaging, "creation"), (paths.RepositoriesTrash, "deletion") })
        {
            var left = Path.Combine(folder, uuid);
            if (!Directory.Exists(left)) continue;
            try
            {
                TryDeleteFile(Path.Combine(left, RepositoryService.CreatingMarker));
                Directory.CreateDirectory(Path.GetDirectoryName(row.Path)!);
                Directory.Move(left, row.Path);
                LogPutBack(logger, row.FullName, what, row.Path);
                return;
            }
            catch (IOException e)
            {
                LogPutBackFailed(logger, e, row.FullName, left, row.Path);
            }
        }

        if (!Directory.Exists(row.Path)) LogMissing(logger, row.FullName, row.Path);
    }

    /// <summary>Staging or trash directories that no record needs: unfinished creations whose creator is gone, emptied trash.</summary>
    private void EmptyLeftovers(string folder, Dictionary<string, RepositoryInfo> byUuid, bool staging)
    {
        if (!Directory.Exists(folder)) return;
        foreach (var left in Directory.EnumerateDirectories(folder))
        {
            var name = Path.GetFileName(left);
            if (byUuid.ContainsKey(name)) continue; // a record still needs it (PutBack could not move it): keep it
            if (staging && !CreatorGone(left)) continue;
            TryDeleteDirectory(left);
            LogLeftoverRemoved(logger, staging ? "unfinished creation" : "trash", left);
        }
    }

    /// <summary>Whether the process that made this staging directory is gone: it was on this host and has exited, or it is old.</summary>
    private static bool CreatorGone(string staging)
    {
        var marker = Path.Combine(staging, RepositoryService.CreatingMarker);
        try
        {
            var text = File.Exists(marker) ? File.ReadAllText(marker) : "";
            if (Core.Repositories.HolderMark.OnThisHost(text) is { } holder)
                return !IsRunning(holder.Pid, holder.Since);
            // No line yet (the marker missing or empty) and nothing else there: the creation was cut off between making
            // the directory and writing its marker, since the marker comes before anything else. Removed whatever its
            // age: a creation alive on another node would be in that window for a moment only, and git or hg init
            // makes the directory again.
            if (text.Length == 0 && Directory.EnumerateFileSystemEntries(staging).All(e => Path.GetFileName(e) == RepositoryService.CreatingMarker))
                return true;
            return DateTime.UtcNow - Directory.GetLastWriteTimeUtc(staging) > ForeignStagingAge;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The maintenance lock and push markers of a process of this host that is no longer running.</summary>
    private void RemoveDeadHoldersLocks(string repository, string name)
    {
        var files = new List<string> { Maintenance.RepositoryLocks.LockPath(repository) };
        var pushes = Maintenance.RepositoryLocks.PushDirectory(repository);
        if (Directory.Exists(pushes)) files.AddRange(Directory.EnumerateFiles(pushes));
        foreach (var file in files)
        {
            try
            {
                if (!File.Exists(file) || Core.Repositories.HolderMark.OnThisHost(File.ReadAllText(file)) is not { } holder
                    || IsRunning(holder.Pid, holder.Since)) continue;
                File.Delete(file);
                LogLockRemoved(logger, name, file, holder.Pid);
            }
            catch (IOException)
            {
                // Removed by its holder meanwhile, or unreadable: the stale time still applies.
            }
        }
    }

    /// <summary>
    /// git's lock files (<c>refs/heads/main.lock</c>, <c>packed-refs.lock</c>, <c>HEAD.lock</c>, those of commit-graph and
    /// multi-pack-index) that a killed git left: git refuses to update that ref or file again ("Unable to create
    /// '...lock': File exists") until someone removes them. Every git that writes to a repository in Wharf runs under a
    /// push marker or the maintenance lock; so when none is left (the dead holders' were removed first), no git is
    /// writing there on any node, and every lock file is stale.
    /// </summary>
    private void RemoveGitLocks(string repository, string name)
    {
        var pushes = Maintenance.RepositoryLocks.PushDirectory(repository);
        if (File.Exists(Maintenance.RepositoryLocks.LockPath(repository)) || (Directory.Exists(pushes) && Directory.EnumerateFiles(pushes).Any())) return;
        var candidates = new List<string>();
        foreach (var file in new[] { "HEAD.lock", "config.lock", "packed-refs.lock", "shallow.lock", "objects/info/commit-graph.lock",
                     "objects/pack/multi-pack-index.lock" })
            candidates.Add(Path.Combine(repository, file));
        foreach (var folder in new[] { "refs", "objects/info/commit-graphs" })
        {
            var path = Path.Combine(repository, folder);
            if (Directory.Exists(path)) candidates.AddRange(Directory.EnumerateFiles(path, "*.lock", SearchOption.AllDirectories));
        }

        foreach (var file in candidates.Where(File.Exists))
        {
            TryDeleteFile(file);
            LogGitLockRemoved(logger, name, file);
        }
    }

    /// <summary>Directories under the repository root that look like repositories but have no record: reported, never served, never removed.</summary>
    private void ReportUnrecorded(IReadOnlyList<RepositoryInfo> rows)
    {
        if (!Directory.Exists(paths.Repositories)) return;
        var recorded = rows.Select(r => Path.GetFullPath(r.Path)).ToHashSet(StringComparer.Ordinal);
        foreach (var owner in Directory.EnumerateDirectories(paths.Repositories))
        {
            if (Path.GetFileName(owner).StartsWith('.')) continue;
            foreach (var directory in Directory.EnumerateDirectories(owner))
            {
                if (!(directory.EndsWith(".git", StringComparison.Ordinal) || directory.EndsWith(".hg", StringComparison.Ordinal))) continue;
                if (!recorded.Contains(Path.GetFullPath(directory))) LogUnrecorded(logger, directory);
            }
        }
    }

    /// <summary>
    /// Whether the holder that wrote its line at <paramref name="since"/> still runs: its pid is alive and that process
    /// started before the line was written (else the system has given the pid to a new process meanwhile; with
    /// kernel.pid_max at 32768, a busy machine does so within minutes).
    /// </summary>
    private static bool IsRunning(int pid, DateTimeOffset since)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited && process.StartTime.ToUniversalTime() <= since.UtcDateTime + StartTimeSlack;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // gone between the two reads of /proc
        }
    }

    private static void TryDeleteFile(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static void TryDeleteDirectory(string path)
    {
        try { Directory.Delete(path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    [LoggerMessage(EventId = 1190, Level = LogLevel.Warning, Message = "Recovery: rolled back the interrupted Mercurial transaction of {Repository} ({Path}) left by a crash")]
    private static partial void LogHgRecovered(ILogger logger, string repository, string path);

    [LoggerMessage(EventId = 1191, Level = LogLevel.Warning, Message = "Recovery: {Repository} ({Path}) has an interrupted Mercurial transaction that hg recover could not roll back now; it is tried again before the next session")]
    private static partial void LogHgNotRecovered(ILogger logger, string repository, string path);

    [LoggerMessage(EventId = 1192, Level = LogLevel.Warning, Message = "Recovery: finished the interrupted {What} of {Repository}: its directory is back at {Path}")]
    private static partial void LogPutBack(ILogger logger, string repository, string what, string path);

    [LoggerMessage(EventId = 1193, Level = LogLevel.Error, Message = "Recovery: could not move {From} to {Path} for {Repository}")]
    private static partial void LogPutBackFailed(ILogger logger, Exception exception, string repository, string from, string path);

    [LoggerMessage(EventId = 1194, Level = LogLevel.Error, Message = "Recovery: {Repository} is recorded but its directory {Path} is missing; restore it from a backup or delete the repository")]
    private static partial void LogMissing(ILogger logger, string repository, string path);

    [LoggerMessage(EventId = 1195, Level = LogLevel.Warning, Message = "Recovery: removed {Path}, the {What} of a process that is gone")]
    private static partial void LogLeftoverRemoved(ILogger logger, string what, string path);

    [LoggerMessage(EventId = 1196, Level = LogLevel.Warning, Message = "Recovery: removed {Path} of {Repository}, held by process {Pid} of this host, which is gone")]
    private static partial void LogLockRemoved(ILogger logger, string repository, string path, int pid);

    [LoggerMessage(EventId = 1189, Level = LogLevel.Warning, Message = "Recovery: removed {Path} of {Repository}, a git lock file left by a git that was killed")]
    private static partial void LogGitLockRemoved(ILogger logger, string repository, string path);

    [LoggerMessage(EventId = 1197, Level = LogLevel.Warning, Message = "Recovery: the repository directory {Path} has no record and is not served; move it away, or delete it if nobody needs it")]
    private static partial void LogUnrecorded(ILogger logger, string path);
}
