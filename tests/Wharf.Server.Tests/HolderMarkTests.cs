using Wharf.Core.Repositories;

namespace Wharf.Server.Tests;

/// <summary>The line a marker file holds, as recovery after a crash reads it back.</summary>
public sealed class HolderMarkTests
{
    [Fact]
    public void TheLineNamesThisHostThisProcessAndTheTime()
    {
        var since = new DateTimeOffset(2026, 12, 6, 8, 5, 30, TimeSpan.Zero);
        Assert.Equal($"host {Environment.MachineName} pid {Environment.ProcessId} since 2026-12-06T08:05:30.0000000+00:00\n",
            HolderMark.ForThisProcess(since));
        Assert.Equal(Environment.ProcessId, HolderMark.OnThisHost(HolderMark.ForThisProcess(since))?.Pid);
        Assert.Equal((Environment.ProcessId, since), HolderMark.OnThisHost(HolderMark.ForThisProcess(since)));
    }

    [Theory]
    [InlineData("host another-node pid 42 since 2026-12-06T08:05:30.0000000+00:00\n")]
    [InlineData("")]
    [InlineData("pid 42")]
    [InlineData("host {0} pid -42 since now\n")]
    [InlineData("host {0} pid 4x2 since now\n")]
    [InlineData("host {0} process 42 since now\n")]
    public void AnotherHostOrAnotherFormatNamesNoPid(string text) =>
        Assert.Null(HolderMark.OnThisHost(string.Format(System.Globalization.CultureInfo.InvariantCulture, text, Environment.MachineName)));
}
