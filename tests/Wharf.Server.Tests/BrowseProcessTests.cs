using System.Diagnostics;
using Wharf.Core.Browse;
using Wharf.Core.Errors;

namespace Wharf.Server.Tests;

/// <summary>
/// <see cref="BrowseProcess.RunAsync"/>, the one timed runner behind every git history command, the tree half's git
/// runs and every hg process of the code browsers: an answer past the limit is "Too slow" whether or not the timer
/// fired, the process is killed when time runs out or the reader fails, and the caller's own cancellation stays one.
/// </summary>
public sealed class BrowseProcessTests
{
    private const string TooSlowText =
        "Reading the repository took longer than 50 ms, so it was stopped. Try again, or ask the administrator to raise Browse:Timeout.";

    private static readonly TimeSpan Limit = TimeSpan.FromMilliseconds(50);

    private static Process Sleep(int seconds) => Process.Start(new ProcessStartInfo("sleep", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture))
    {
        RedirectStandardOutput = true,
        UseShellExecute = false,
    })!;

    private static async Task AssertGoneAsync(int pid)
    {
        // Bounded polling: the kill is sent before RunAsync throws, the exit is seen a moment later.
        for (var i = 0; i < 100 && Runs(pid); i++)
            await Task.Delay(50);
        Assert.False(Runs(pid), $"process {pid} still runs");
    }

    /// <summary>Whether <paramref name="pid"/> exists and is not a zombie; it may vanish between any two reads of /proc.</summary>
    private static bool Runs(int pid)
    {
        try
        {
            return !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // DirectoryNotFoundException or FileNotFoundException before the read, "No such process" during it.
            return false;
        }
    }

    [Fact]
    public async Task AnAnswerThatTookLongerThanTheLimitIsTooSlowEvenWhenTheReaderIgnoredTheTimer()
    {
        // The reader never looks at the token, as when the timer fires late on a loaded machine after the process ended.
        var e = await Assert.ThrowsAsync<WharfException>(() => BrowseProcess.RunAsync(() => Sleep(0), Limit, async (process, _) =>
        {
            await process.WaitForExitAsync(CancellationToken.None);
            await Task.Delay(Limit * 4, CancellationToken.None);
            return 42;
        }, CancellationToken.None));
        Assert.Equal((ErrorCategory.Unavailable, BrowseErrors.TimeoutCode, TooSlowText), (e.Category, e.Code, e.Message));
    }

    [Fact]
    public async Task AProcessStillRunningAtTheLimitIsKilledAndTheAnswerIsTooSlow()
    {
        var pid = 0;
        var e = await Assert.ThrowsAsync<WharfException>(() => BrowseProcess.RunAsync(() => Sleep(60), Limit, async (process, ct) =>
        {
            pid = process.Id;
            await process.WaitForExitAsync(ct);
            return 0;
        }, CancellationToken.None));
        Assert.Equal((BrowseErrors.TimeoutCode, TooSlowText), (e.Code, e.Message));
        await AssertGoneAsync(pid);
    }

    [Fact]
    public async Task TheCallersCancellationStaysACancellationAndKillsTheProcess()
    {
        var pid = 0;
        using var caller = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => BrowseProcess.RunAsync(() => Sleep(60), TimeSpan.FromMinutes(5), async (process, ct) =>
        {
            pid = process.Id;
            caller.Cancel();
            await process.WaitForExitAsync(ct);
            return 0;
        }, caller.Token));
        await AssertGoneAsync(pid);
    }

    [Fact]
    public async Task AReaderThatFailsKillsTheProcessAndItsErrorIsThrownAsItIs()
    {
        var pid = 0;
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => BrowseProcess.RunAsync<int>(() => Sleep(60), TimeSpan.FromMinutes(5), (process, _) =>
        {
            pid = process.Id;
            throw new InvalidOperationException("git log in /srv/site.git failed with exit code 128: fatal: bad object");
        }, CancellationToken.None));
        Assert.Equal("git log in /srv/site.git failed with exit code 128: fatal: bad object", e.Message);
        await AssertGoneAsync(pid);
    }

    [Fact]
    public async Task AnAnswerWithinTheLimitIsReturned()
    {
        var answer = await BrowseProcess.RunAsync(() => Sleep(0), TimeSpan.FromMinutes(5), async (process, ct) =>
        {
            await process.WaitForExitAsync(ct);
            return process.ExitCode;
        }, CancellationToken.None);
        Assert.Equal(0, answer);
    }
}
