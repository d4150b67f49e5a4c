using System.Buffers;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Wharf.Core.Git;

/// <summary>
/// Runs <c>git upload-pack</c>, <c>receive-pack</c> or <c>upload-archive</c> (or, through
/// <see cref="RunProcessAsync"/>, Mercurial) on a repository that access control already approved, and pumps
/// bytes between the client's streams and the process. The exit code is the program's.
/// </summary>
public sealed partial class GitProcessRunner(GitBinary git, ProcessLimits? limits = null)
{
    private readonly ProcessLimits _limits = limits ?? ProcessLimits.Default;

    // git's pkt-line payloads are at most 65516 bytes; 32 KiB matches the SSH channel's maximum packet.
    // A pipe holds 64 KiB: one read can take all git has written, and the channel sends it in one socket write.
    private const int BufferSize = 64 * 1024;

    // GIT_PROTOCOL is "version=2" or a colon-separated list of such keys (gitprotocol-common(5)).
    // Anything else is dropped rather than handed to git.
    // \z, not $: $ also matches before a final line break.
    [GeneratedRegex("^[A-Za-z0-9=:._-]{1,256}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex GitProtocolValue();

    /// <summary>One request and one response per process, as smart HTTP runs git (gitprotocol-http(5)).</summary>
    public const string StatelessRpc = "--stateless-rpc";

    /// <summary>With <see cref="StatelessRpc"/>: only the ref advertisement (HTTP's <c>info/refs</c>).</summary>
    public const string AdvertiseRefs = "--advertise-refs";

    /// <summary>Whether a client's GIT_PROTOCOL is passed on to git.</summary>
    public static bool IsAcceptedGitProtocol(string value) => GitProtocolValue().IsMatch(value);

    /// <param name="gitProtocol">The client's GIT_PROTOCOL, or null. It is the only variable passed from the client.</param>
    /// <param name="input">Client to git's stdin; git's stdin is closed when a read returns 0 (client EOF).</param>
    /// <param name="hooksDirectory">For receive-pack: a hooks directory of Wharf's own (<c>core.hooksPath</c>) instead of the repository's.</param>
    /// <param name="environment">Variables for that hook (never from the client).</param>
    /// <param name="options">Options placed before the repository path: <see cref="StatelessRpc"/> and <see cref="AdvertiseRefs"/> for smart HTTP.</param>
    public async Task<int> RunAsync(GitService service, string repositoryPath, string? gitProtocol,
        Stream input, Stream output, Stream error, CancellationToken cancellationToken,
        string? hooksDirectory = null, IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? options = null)
    {
        // upload-pack's own inactivity bound (git-upload-pack(1) --timeout, whole seconds) backs ours up from inside
        // git. It is 5 s longer, so that ours, which tells the client why, normally fires first (git's ends silently).
        // receive-pack and upload-archive have no such option; the runner's bound covers them.
        string[] arguments = service == GitService.UploadPack && _limits.NoProgressTimeout != Timeout.InfiniteTimeSpan
            ? [service.Subcommand(), "--timeout=" + ((long)Math.Ceiling(_limits.NoProgressTimeout.TotalSeconds) + 5).ToString(System.Globalization.CultureInfo.InvariantCulture), .. options ?? [], repositoryPath]
            : [service.Subcommand(), .. options ?? [], repositoryPath];
        if (hooksDirectory is not null) arguments = ["-c", "core.hooksPath=" + hooksDirectory, .. arguments];
        var psi = git.StartInfo(arguments);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        if (gitProtocol is not null && IsAcceptedGitProtocol(gitProtocol)) psi.Environment["GIT_PROTOCOL"] = gitProtocol;
        return await RunProcessAsync(git.Start(psi), input, output, error, cancellationToken, _limits.NoProgressTimeout);
    }

    /// <summary>The exit status a command ended for making no progress returns.</summary>
    public const int NoProgressStatus = 1;

    /// <summary>What the client reads on stderr when its command was ended for making no progress.</summary>
    public static string NoProgressMessage(TimeSpan timeout) =>
        $"wharf: no data moved in either direction for {ProcessLimits.Describe(timeout)}; the command was ended.\n";

    /// <summary>
    /// Pumps a started process's standard streams to and from the client's until it exits; owns <paramref name="started"/>.
    /// When no byte moves in any direction for <paramref name="noProgressTimeout"/>, the process is killed, the client
    /// is told so on <paramref name="error"/>, and <see cref="NoProgressStatus"/> is returned.
    /// </summary>
    public static async Task<int> RunProcessAsync(Process started, Stream input, Stream output, Stream error, CancellationToken cancellationToken,
        TimeSpan? noProgressTimeout = null)
    {
        using var process = started;
        using var stopInput = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var progress = new Progress();
        var stdin = PumpToProcessAsync(input, process.StandardInput.BaseStream, progress, stopInput.Token);
        var timeout = noProgressTimeout ?? Timeout.InfiniteTimeSpan;
        // Ends with the process (finally below), so no timer outlives the command.
        using var stopWatching = new CancellationTokenSource();
        var watching = timeout == Timeout.InfiniteTimeSpan ? Task.FromResult(false) : WatchProgressAsync(process, progress, timeout, stopWatching.Token);
        try
        {
            var stdout = PumpFromProcess(process.StandardOutput.BaseStream, output, progress, cancellationToken);
            var stderr = PumpFromProcess(process.StandardError.BaseStream, error, progress, cancellationToken);
            // Both outputs are drained before the exit code is returned: the caller sends exit-status
            // and EOF next, and git's last bytes must reach the client first.
            await Task.WhenAll(stdout, stderr, process.WaitForExitAsync(cancellationToken));
            await stopWatching.CancelAsync();
            if (!await watching) return process.ExitCode;
            // Written after the process's own stderr has been drained, so the two never interleave.
            await error.WriteAsync(System.Text.Encoding.UTF8.GetBytes(NoProgressMessage(timeout)), cancellationToken);
            await error.FlushAsync(cancellationToken);
            return NoProgressStatus;
        }
        catch
        {
            // The client went away or a stream failed: git must not keep running (or keep a push half-applied
            // waiting on input that never comes).
            Kill(process);
            throw;
        }
        finally
        {
            await stopWatching.CancelAsync();
            await ((Task)watching).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            // git may finish before the client sends EOF (upload-pack after the last "done"); stop reading.
            await stopInput.CancelAsync();
            _ = stdin.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        }
    }

    /// <summary>When a byte last moved in any direction (a <see cref="Stopwatch"/> timestamp).</summary>
    private sealed class Progress
    {
        private long _last = Stopwatch.GetTimestamp();
        public void Moved() => Interlocked.Exchange(ref _last, Stopwatch.GetTimestamp());
        public TimeSpan Since => Stopwatch.GetElapsedTime(Interlocked.Read(ref _last));
    }

    /// <summary>Kills the process once nothing has moved for <paramref name="timeout"/>; returns whether it did.</summary>
    private static async Task<bool> WatchProgressAsync(Process process, Progress progress, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // A tenth of the bound (at most 5 s, at least 100 ms): the command ends within 10% of it.
        var period = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 10, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(5).Ticks));
        try
        {
            using var timer = new PeriodicTimer(period);
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (progress.Since < timeout) continue;
                Kill(process);
                return true;
            }
        }
        catch (OperationCanceledException)
        {
        }
        return false;
    }

    private static async Task PumpAsync(Stream from, Stream to, Progress progress, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                progress.Moved();
                await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                progress.Moved();
                // Flush every chunk: git waits for the client's reply to what it just wrote.
                await to.FlushAsync(cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Git's stdout or stderr to the client, on a thread of its own. A read from a child's pipe is a blocking
    /// read(2) whichever way it is called (an anonymous pipe has no asynchronous reads on Linux: ReadAsync runs the
    /// same blocking read as a thread-pool work item), so the asynchronous loop cost a thread-pool hand-off and a
    /// wake-up for every chunk, both ways, and still held a pool thread while git was silent. Here one thread reads
    /// and hands each chunk to the client's stream in turn; a write that has to wait (the SSH window is full)
    /// blocks only this thread. The thread ends when git closes the pipe: at its exit, or when it is killed.
    /// </summary>
    private static Task PumpFromProcess(Stream from, Stream to, Progress progress, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => PumpBlocking(from, to, progress, cancellationToken), CancellationToken.None,
            TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);

    private static void PumpBlocking(Stream from, Stream to, Progress progress, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        // An SSH channel is written to on this thread, which blocks anyway (Wharf.Ssh's IBlockingWriteStream); other
        // streams (an HTTP response, which may refuse blocking writes) asynchronously, waited for here.
        var blocking = to as Wharf.Ssh.Connection.IBlockingWriteStream;
        try
        {
            int n;
            while ((n = from.Read(buffer, 0, BufferSize)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress.Moved();
                if (blocking is not null)
                {
                    // Returns once every byte is with the transport: nothing is left to flush.
                    blocking.Write(buffer.AsSpan(0, n), cancellationToken);
                    progress.Moved();
                    continue;
                }
                Wait(to.WriteAsync(buffer.AsMemory(0, n), cancellationToken));
                progress.Moved();
                // Flush every chunk: git waits for the client's reply to what it just wrote.
                Wait(new ValueTask(to.FlushAsync(cancellationToken)));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Most writes finish synchronously (window and socket buffer have room); only the others need a Task.
    private static void Wait(ValueTask pending)
    {
        if (pending.IsCompletedSuccessfully) return;
        pending.AsTask().GetAwaiter().GetResult();
    }

    private static async Task PumpToProcessAsync(Stream from, Stream stdin, Progress progress, CancellationToken cancellationToken)
    {
        try
        {
            await PumpAsync(from, stdin, progress, cancellationToken);
        }
        catch (IOException)
        {
            // git closed its stdin (it exited or finished reading); the rest of the input has nowhere to go.
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            // Closing stdin is how git learns the client sent EOF (receive-pack waits for it).
            try { stdin.Dispose(); } catch (IOException) { }
        }
    }

    private static void Kill(Process process)
    {
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
    }
}

/// <summary>
/// Bounds on the git and hg processes that serve a client. <see cref="NoProgressTimeout"/>: a process through which
/// no byte has moved in either direction for this long is ended (a client that went silent, a command that hangs);
/// <see cref="Timeout.InfiniteTimeSpan"/> turns it off.
/// </summary>
public sealed record ProcessLimits(TimeSpan NoProgressTimeout)
{
    /// <summary>10 minutes, the same as the SSH idle timeout: long enough for git to compute a large pack before its first byte.</summary>
    public static readonly TimeSpan DefaultNoProgressTimeout = TimeSpan.FromMinutes(10);

    public static ProcessLimits Default { get; } = new(DefaultNoProgressTimeout);

    /// <summary>"10 minutes", "90 seconds": how a bound reads in a message.</summary>
    public static string Describe(TimeSpan span) =>
        span.TotalSeconds % 60 == 0 && span >= TimeSpan.FromMinutes(1)
            ? Plural((long)span.TotalMinutes, "minute")
            : Plural((long)Math.Ceiling(span.TotalSeconds), "second");

    private static string Plural(long n, string unit) =>
        n.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + unit + (n == 1 ? "" : "s");
}
