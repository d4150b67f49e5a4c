using System.Text;
using Wharf.Server.Ssh;

namespace Wharf.Server.Tests;

/// <summary>
/// <see cref="FullDisk.Watch"/> passes every byte through unchanged and notices git's or hg's "No space left on device"
/// wherever it falls: inside one write, split across writes, or spread over one-byte writes.
/// </summary>
public sealed class FullDiskWatchTests
{
    private static (bool Seen, byte[] Passed) Run(params string[] writes)
    {
        var inner = new MemoryStream();
        var flag = new FullDisk.Watch.Flag();
        using var watch = new FullDisk.Watch(inner, flag);
        foreach (var w in writes) watch.Write(Encoding.ASCII.GetBytes(w));
        return (flag.Seen, inner.ToArray());
    }

    [Fact]
    public void APhraseInsideALargeWriteIsSeenAndTheBytesPassUnchanged()
    {
        var text = new string('x', 100_000) + "remote: abort: No space left on device\n" + new string('y', 50_000);
        var (seen, passed) = Run(text);
        Assert.True(seen);
        Assert.Equal(text, Encoding.ASCII.GetString(passed));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(4096)]
    public void APhraseSplitAcrossWritesOfAnySizeIsSeen(int size)
    {
        var text = new string('p', 70) + "error: Disk quota exceeded" + new string('q', 3);
        var writes = Enumerable.Range(0, (text.Length + size - 1) / size).Select(i => text.Substring(i * size, Math.Min(size, text.Length - i * size))).ToArray();
        var (seen, passed) = Run(writes);
        Assert.True(seen, $"writes of {size} bytes");
        Assert.Equal(text, Encoding.ASCII.GetString(passed));
    }

    [Fact]
    public void OrdinaryOutputIsNotMistakenForAFullDisk()
    {
        var (seen, _) = Run("No space left on devic", "k is fine\n", "No space left on", " the page", new string('z', 5000));
        Assert.False(seen);
    }
}
