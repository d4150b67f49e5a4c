namespace Wharf.Server.Maintenance;

/// <summary>
/// The queue of git repositories to maintain on this node, fed by every push that changed a ref
/// (<see cref="Ssh.RepositorySessions"/>) and drained in the background, off the request path: a repository is looked
/// at <see cref="MaintenanceSettings.Delay"/> after its first queued push (later pushes meanwhile join that one
/// entry), maintained if it passes a threshold (<see cref="RepositoryMaintainer.IsNeeded"/>), and put back for
/// another try after the same delay when a push is running or another node holds its lock. At most
/// <see cref="MaintenanceSettings.Concurrency"/> repositories (one by default) are maintained at once.
/// </summary>
public sealed partial class MaintenanceService(
    MaintenanceSettings settings, RepositoryMaintainer maintainer, TimeProvider time, ILogger<MaintenanceService> logger) : BackgroundService
{
    private sealed class Entry(string name, string path)
    {
        public string Name { get; } = name;
        public string Path { get; } = path;
        /// <summary>Pushes since this node last maintained the repository.</summary>
        public int Pushes { get; set; }
        /// <summary>When to look at it next; null when not queued.</summary>
        public DateTimeOffset? Due { get; set; }
        public bool Running { get; set; }
    }

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);

    /// <summary>Records a push that changed <paramref name="fullName"/> (a git repository at <paramref name="path"/>) and queues it.</summary>
    public void Pushed(string fullName, string path)
    {
        if (!settings.Enabled) return;
        lock (_gate)
        {
            if (!_entries.TryGetValue(path, out var entry)) _entries[path] = entry = new Entry(fullName, path);
            entry.Pushes++;
            entry.Due ??= time.GetUtcNow() + settings.Delay;
        }
        _wake.Release();
    }

    /// <summary>Repositories queued or being maintained now (for tests and the operator's curiosity).</summary>
    public int Pending
    {
        get { lock (_gate) return _entries.Values.Count(e => e.Due is not null || e.Running); }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!settings.Enabled) return;
        var running = new List<Task>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                TimeSpan wait;
                lock (_gate)
                {
                    var now = time.GetUtcNow();
                    foreach (var entry in _entries.Values.Where(e => !e.Running && e.Due <= now).OrderBy(e => e.Due).ToList())
                    {
                        if (running.Count >= settings.Concurrency) break;
                        entry.Running = true;
                        entry.Due = null;
                        running.Add(MaintainAsync(entry, stoppingToken));
                    }
                    var next = _entries.Values.Where(e => !e.Running && e.Due is not null).Select(e => e.Due!.Value).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
                    wait = next == DateTimeOffset.MaxValue || running.Count >= settings.Concurrency
                        ? Timeout.InfiniteTimeSpan
                        : TimeSpan.FromTicks(Math.Max(0, (next - now).Ticks));
                }
                // Whichever comes first: the next due entry, a push (or a finished run) waking the loop.
                using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var woken = _wake.WaitAsync(cancel.Token);
                var finished = running.Count > 0 ? Task.WhenAny(running) : Task.Delay(Timeout.Infinite, cancel.Token);
                await Task.WhenAny(woken, finished, Task.Delay(wait, time, cancel.Token));
                await cancel.CancelAsync();
                await woken.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                running.RemoveAll(t => t.IsCompleted);
                stoppingToken.ThrowIfCancellationRequested();
            }
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task MaintainAsync(Entry entry, CancellationToken stoppingToken)
    {
        await Task.Yield();
        int pushes;
        lock (_gate) pushes = entry.Pushes;
        var retry = false;
        try
        {
            var result = await maintainer.RunAsync(entry.Path, force: false, pushes, stoppingToken);
            switch (result.Outcome)
            {
                case MaintenanceOutcome.Done:
                    LogMaintained(logger, entry.Name, result.Took, result.Before.LooseObjects, result.After!.LooseObjects, result.Before.Packs, result.After.Packs);
                    lock (_gate) entry.Pushes -= pushes;
                    break;
                case MaintenanceOutcome.NotNeeded:
                    LogNotNeeded(logger, entry.Name, result.Before.LooseObjects, result.Before.Packs, pushes);
                    break;
                default:
                    LogPostponed(logger, entry.Name, result.Busy ?? "busy", settings.Delay);
                    retry = true;
                    break;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The repository stays as git left it (every git step renames its files into place); the next push queues it again.
            LogFailed(logger, e, entry.Name);
        }
        finally
        {
            lock (_gate)
            {
                entry.Running = false;
                if (retry) entry.Due ??= time.GetUtcNow() + settings.Delay;
                if (entry.Due is null && entry.Pushes == 0) _entries.Remove(entry.Path);
            }
            _wake.Release();
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information,
        Message = "Maintained {Repository} in {Took}: loose objects {LooseBefore} → {LooseAfter}, packs {PacksBefore} → {PacksAfter}")]
    private static partial void LogMaintained(ILogger logger, string repository, TimeSpan took, long looseBefore, long looseAfter, long packsBefore, long packsAfter);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Debug,
        Message = "{Repository} needs no maintenance yet: {LooseObjects} loose objects, {Packs} packs, {Pushes} pushes since the last run")]
    private static partial void LogNotNeeded(ILogger logger, string repository, long looseObjects, long packs, int pushes);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Information, Message = "Maintenance of {Repository} postponed: {Reason}; next try in {Delay}")]
    private static partial void LogPostponed(ILogger logger, string repository, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Error, Message = "Maintenance of {Repository} failed; its next push queues it again")]
    private static partial void LogFailed(ILogger logger, Exception exception, string repository);
}
