namespace Wharf.Server.Operations;

/// <summary>
/// Decides when the process should give back the memory a busy period left committed. The .NET GC returns
/// memory only while it collects, and it collects only when something allocates: a server that goes quiet after a
/// burst of logins keeps the heap the burst grew (measured by bench/soak.sh: 1,000 held sessions and 20 logins a
/// second left a server at rest with twice a fresh server's resident memory, though a full collection found only
/// about 10 MB alive). One compacting collection once the server has gone quiet returns it.
/// </summary>
/// <remarks>
/// Checked every <see cref="Interval"/>: a trim is due when, since the previous trim (or the start), at least
/// <see cref="BurstBytes"/> have been allocated (counted from the start), and the last interval allocated less than <see cref="QuietBytes"/>.
/// A busy server is never interrupted (it is not quiet), and a quiet one trims at most once per burst; a server that
/// allocates a little all the time (held idle connections, a login now and then) trims once per
/// <see cref="BurstBytes"/> allocated.
/// </remarks>
public sealed class MemoryTrimPolicy
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    /// <summary>Allocated since the last trim before another one is worth a full collection.</summary>
    public const long BurstBytes = 256L << 20;

    /// <summary>At most this much allocated in one <see cref="Interval"/> (about 0.5 MiB/s) counts as quiet.</summary>
    public const long QuietBytes = 16L << 20;

    private long _previous;
    private long _sinceTrim;

    /// <summary>Takes the process's total allocated bytes (<see cref="GC.GetTotalAllocatedBytes"/>) at one check;
    /// true when a trim is due now. What start-up allocated counts as busy time like any other: a burst in the first
    /// interval is trimmed once the server goes quiet.</summary>
    public bool Check(long totalAllocatedBytes)
    {
        var previous = _previous;
        var interval = Math.Max(0, totalAllocatedBytes - previous);
        _previous = totalAllocatedBytes;
        _sinceTrim += interval;
        if (_sinceTrim < BurstBytes || interval >= QuietBytes) return false;
        _sinceTrim = 0;
        return true;
    }
}

/// <summary>
/// Runs <see cref="MemoryTrimPolicy"/> every 30 s and, when it says so, one blocking compacting collection in the
/// GC's aggressive mode, which also gives the freed memory back to the operating system (docs/OPERATIONS.md,
/// "Memory after a busy period").
/// </summary>
public sealed partial class MemoryTrimmer(TimeProvider time, ILogger<MemoryTrimmer> logger) : BackgroundService
{
    private readonly MemoryTrimPolicy _policy = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(MemoryTrimPolicy.Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (!_policy.Check(GC.GetTotalAllocatedBytes())) continue;
                var before = Environment.WorkingSet;
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                LogTrimmed(logger, before >> 20, Environment.WorkingSet >> 20, GC.GetGCMemoryInfo().HeapSizeBytes >> 20);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information,
        Message = "Quiet after a busy period: returned unused memory (working set {BeforeMiB} MiB -> {AfterMiB} MiB, {HeapMiB} MiB in use)")]
    private static partial void LogTrimmed(ILogger logger, long beforeMiB, long afterMiB, long heapMiB);
}
