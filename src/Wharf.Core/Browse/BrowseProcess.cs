using System.Diagnostics;

namespace Wharf.Core.Browse;

/// <summary>
/// The one way the browsers run a git or hg process under <see cref="BrowseLimits.Timeout"/>: the history commands
/// (<c>git log</c>, <c>git diff-tree</c>, <c>git rev-list</c>), the tree half's <c>git</c> runs, and every <c>hg</c>
/// process. The caller's <c>read</c> gets the started process and a token that ends at the limit (or with the
/// caller's own token); what it returns is the answer.
/// <list type="bullet">
/// <item>Running out of time is <see cref="BrowseErrors.TooSlow"/> (the pages' "Too slow" answer, the API's 503 with
/// code <c>browse-timeout</c>), and the process is killed.</item>
/// <item>An answer that took longer than the limit is too slow as well: on a loaded machine the timer can fire late,
/// after the process has already finished, and the limit must mean the same whatever the timer did.</item>
/// <item>The caller's own cancellation stays a cancellation; any other failure of <c>read</c> kills the process and
/// is thrown as it is.</item>
/// </list>
/// </summary>
public static class BrowseProcess
{
    public static async Task<T> RunAsync<T>(Func<Process> start, TimeSpan limit, Func<Process, CancellationToken, Task<T>> read,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        using var process = start();
        try
        {
            var result = await read(process, timeout.Token);
            if (Stopwatch.GetElapsedTime(started) > limit) throw BrowseErrors.TooSlow(limit);
            return result;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Kill(process);
            throw BrowseErrors.TooSlow(limit);
        }
        catch
        {
            Kill(process);
            throw;
        }
    }

    /// <summary>Kills the process and its children; nothing when it has already ended.</summary>
    public static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { } // already gone, or never started
        catch (System.ComponentModel.Win32Exception) { }
    }
}
