namespace Wharf.Ssh.Benchmarks;

/// <summary>
/// `--alloc-check`: a second, exact opinion next to BenchmarkDotNet's. BenchmarkDotNet counts every thread of
/// the process (GC.GetTotalAllocatedBytes), so a JIT or timer thread can show up as a few bytes per
/// operation. Every data-path call here completes synchronously, so counting the calling thread alone
/// (GC.GetAllocatedBytesForCurrentThread) over 1024 packets after the warm-up is the path's own allocation.
/// </summary>
internal static class AllocationCheck
{
    public static int Run()
    {
        // Twice: the first pass still sees one-time work (tiered JIT promotions, lazily built caches);
        // the second pass is the steady state and decides the exit status.
        Pass("pass 1 (warming)");
        return Pass("pass 2 (steady state)") ? 1 : 0;
    }

    private static bool Pass(string title)
    {
        Console.WriteLine(title);
        Console.WriteLine($"{"cipher",-32} {"Seal",8} {"Open",8} {"Send",8} {"Receive",8}   (bytes per 32 KiB packet, calling thread)");
        var failed = false;
        foreach (var cipher in Ciphers.All)
        {
            var p = new PacketProtectionBenchmarks { Cipher = cipher };
            p.GlobalSetup();
            var seal = Measure(() => p.Seal());
            p.ResetOpener();
            var open = Measure(() => p.Open());
            p.GlobalCleanup();

            var t = new TransportBenchmarks { Cipher = cipher };
            t.GlobalSetup();
            var send = Measure(() => Sync(t.SendChannelData()));
            t.ResetReceiver();
            var receive = Measure(() => Sync(t.ReadPacket()));
            t.GlobalCleanup();

            Console.WriteLine($"{cipher,-32} {seal,8:0.##} {open,8:0.##} {send,8:0.##} {receive,8:0.##}");
            failed |= seal + open + send + receive > 0;
        }
        return failed;
    }

    private static double Measure(Action packet)
    {
        const int count = DataPath.PacketsPerIteration;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < count; i++) packet();
        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)count;
    }

    // The paths complete synchronously over in-memory streams; anything else would be a finding of its own.
    private static void Sync(ValueTask task)
    {
        if (!task.IsCompletedSuccessfully) throw new InvalidOperationException("the send path went asynchronous");
        task.GetAwaiter().GetResult();
    }

    private static void Sync<T>(ValueTask<T> task)
    {
        if (!task.IsCompletedSuccessfully) throw new InvalidOperationException("the receive path went asynchronous");
        task.GetAwaiter().GetResult();
    }
}
