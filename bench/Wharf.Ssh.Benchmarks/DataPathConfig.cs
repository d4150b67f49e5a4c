using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Wharf.Ssh.Benchmarks;

/// <summary>
/// One short job for every data-path benchmark: a fixed number of packets per iteration (the receive
/// benchmarks replay packets recorded in advance, so each iteration must consume exactly that many),
/// few iterations so a full run stays within minutes on a shared 2-core machine, and in-process so no
/// second project is generated and built. MemoryDiagnoser reports bytes allocated per packet.
/// </summary>
public sealed class DataPathConfig : ManualConfig
{
    public DataPathConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Throughput)
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(9)
            .WithInvocationCount(DataPath.PacketsPerIteration)
            .WithUnrollFactor(1)
            .WithId("DataPath"));
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}
