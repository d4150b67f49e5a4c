using System.Text;
using Wharf.Server.Cli;

namespace Wharf.Server.Tests;

/// <summary><c>wharf serve</c> running in this process on ports chosen by the OS, stopped (as Ctrl+C would) on dispose.</summary>
public sealed class InProcessServe : IAsyncDisposable
{
    // A server whose test hangs still stops.
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(5));
    private Task<int> _run = Task.FromResult(0);

    public string HttpBaseUrl { get; private set; } = "";
    public int SshPort { get; private set; }
    /// <summary>The running server's services (its route table, its stores).</summary>
    public IServiceProvider Services { get; private set; } = null!;

    /// <param name="environment">The environment serve sees (null: none of its own; PATH then is the process's).</param>
    /// <param name="error">Where serve's standard error goes (null: nowhere).</param>
    public static async Task<InProcessServe> StartAsync(TestData data, Func<string, string?>? environment = null, TextWriter? error = null)
    {
        var serve = new InProcessServe();
        var output = new LineWriter();
        var console = new CliContext(new StringReader(""), output, error ?? TextWriter.Null, environment ?? (_ => null)) { Serving = s => serve.Services = s };
        serve._run = new CliApp(WharfCommands.All).RunAsync(
            ["serve", "--http", "127.0.0.1:0", "--ssh", "127.0.0.1:0", .. data.DataOptions], console, serve._stop.Token);
        var lines = new List<string>();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (lines.Count < 2) lines.Add(await output.Lines.Reader.ReadAsync(wait.Token));
        var ssh = lines.Single(l => l.StartsWith("SSH listening on 127.0.0.1:", StringComparison.Ordinal));
        serve.SshPort = int.Parse(ssh["SSH listening on 127.0.0.1:".Length..]);
        serve.HttpBaseUrl = lines.Single(l => l.StartsWith("HTTP listening on ", StringComparison.Ordinal))["HTTP listening on ".Length..];
        return serve;
    }

    /// <summary>Stops the server and returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        await _stop.CancelAsync();
        return await _run;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_run.IsCompleted) await StopAsync();
        _stop.Dispose();
    }
}
