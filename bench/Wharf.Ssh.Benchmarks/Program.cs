using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Wharf.Ssh.Benchmarks -- --filter '*' --artifacts /tmp/bdn
BenchmarkSwitcher.FromAssembly(typeof(Wharf.Ssh.Benchmarks.DataPath).Assembly).Run(args);
