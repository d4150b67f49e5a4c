using BenchmarkDotNet.Running;
using Wharf.Ssh.Benchmarks;

// dotnet Wharf.Ssh.Benchmarks.dll --filter '*' --artifacts /tmp/bdn      (BenchmarkDotNet, see docs/BENCHMARKS.md)
// dotnet Wharf.Ssh.Benchmarks.dll --alloc-check                          (exact bytes per packet, calling thread)
if (args is ["--alloc-check"]) return AllocationCheck.Run();
BenchmarkSwitcher.FromAssembly(typeof(DataPath).Assembly).Run(args);
return 0;
