namespace Wharf.Server.Operations;

/// <summary>
/// Decides when the process should give back the memory a busy period left committed. The .NET GC returns
/// memory only while it collects, and it collects only when something allocates: a server that goes quiet after a
/// burst of logins keeps the heap the burst grew (measured by bench/soak.sh: 1,000 held sessions and 20 logins a
/// second left a server at rest with twice a fresh server's resident memory, though a full collection found only
/// about 10 MB alive). One compacting collection once the server has gone quiet returns it.
/// </summary>
/// <remarks>
/// Checked every <see cref="Interval"/>: a trim is due when the last interval allocated less than <see cref="QuietBytes"/>
/// and either
/// <list type="bullet">
/// <item>at least <see cref="BurstBytes"/> have been allocated since the previous trim (or the start), or</item>
/// <item>the previous trim found at least <see cref="LargeInUseBytes"/> still in use (a thousand connections held at that
/// moment, say) and <see cref="RecheckIntervals"/> checks have passed since: what was in use may have been let go
/// meanwhile (the connections closed), and letting go allocates nothing, so the first rule would never see it. While
/// the memory stays in use, each recheck waits twice as long as the one before, up to <see cref="MaxRecheckIntervals"/>.</item>
/// </list>
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

    /// <summary>In use after a trim, this much (a fresh server has about 15 MiB) is checked again later.</summary>
    public const long LargeInUseBytes = 64L << 20;

    /// <summary>Checks between a trim that found <see cref="LargeInUseBytes"/> in use and the first recheck (one minute).</summary>
    public const int RecheckIntervals = 2;

    /// <summary>The longest wait between rechecks while the memory stays in use (one hour).</summary>
    public const int MaxRecheckIntervals = 120;

    private long _previous;
    private long _sinceTrim;
    private int _intervalsSinceTrim;
    private int _recheckAfter; // 0: no recheck pending

    /// <summary>Takes the process's total allocated bytes (<see cref="GC.GetTotalAllocatedBytes"/>) at one check;
    /// true when a trim is due now. What start-up allocated counts as busy time like any other: a burst in the first
    /// interval is trimmed once the server goes quiet.</summary>
    public bool Check(long totalAllocatedBytes)
    {
        var previous = _previous;
        var interval = Math.Max(0, totalAllocatedBytes - previous);
        _previous = totalAllocatedBytes;
        _sinceTrim += interval;
        _intervalsSinceTrim++;
        if (interval >= QuietBytes) return false;
        if (_sinceTrim >= BurstBytes || (_recheckAfter > 0 && _intervalsSinceTrim >= _recheckAfter))
        {
            _sinceTrim = 0;
            _intervalsSinceTrim = 0;
            return true;
        }
        return false;
    }

    /// <summary>What the trim <see cref="Check"/> asked for found in use (<see cref="GCMemoryInfo.HeapSizeBytes"/> after it).</summary>
    public void Trimmed(long heapInUseBytes)
    {
        if (heapInUseBytes < LargeInUseBytes) _recheckAfter = 0;
        else _recheckAfter = _recheckAfter == 0 ? RecheckIntervals : Math.Min(_recheckAfter * 2, MaxRecheckIntervals);
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
                NativeHeap.Trim();
                var inUse = GC.GetGCMemoryInfo().HeapSizeBytes;
                _policy.Trimmed(inUse);
                LogTrimmed(logger, before >> 20, Environment.WorkingSet >> 20, inUse >> 20);
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

/// <summary>
/// The C library's heap keeps what native code freed (OpenSSL's cipher contexts of a thousand closed connections, say)
/// in its arenas, one per group of threads, for reuse; glibc's <c>malloc_trim</c> gives the free pages of every arena
/// back to the system. Elsewhere (another C library, another OS) this does nothing.
/// </summary>
internal static class NativeHeap
{
    private static bool _unavailable = !OperatingSystem.IsLinux();

    /// <summary>Whether the last <see cref="Trim"/> reached the C library's <c>malloc_trim</c>.</summary>
    public static bool Available => !_unavailable;

    public static void Trim()
    {
        if (_unavailable) return;
        try
        {
            _ = malloc_trim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
    [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
    private static extern int malloc_trim(nuint pad);
}
