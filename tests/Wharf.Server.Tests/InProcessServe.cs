using System.Text;
using Wharf.Server.Cli;

namespace Wharf.Server.Tests;

/// <summary><c>wharf serve</c> running in this process on ports chosen by the OS, stopped (as Ctrl+C would) on dispose.</summary>
public sealed class InProcessServe : IAsyncDisposable
{
    // A server whose test hangs still stops. Long enough for the browser page walk's shared demo server, which serves
    // every row of the walk (over 5 minutes on a loaded 2-core machine once the source pages joined it).
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(20));
    // serve's standard error, kept so that a server that fails to start says why in the test's failure.
    private readonly StringWriter _error = new() { NewLine = "\n" };
    private readonly TextWriter _errorWriter;
    private Task<int> _run = Task.FromResult(0);

    public string HttpBaseUrl { get; private set; } = "";
    public int SshPort { get; private set; }
    /// <summary>The running server's services (its route table, its stores).</summary>
    public IServiceProvider Services { get; private set; } = null!;

    /// <summary>The lines serve printed on standard output once listening, in order.</summary>
    public IReadOnlyList<string> ListeningLines { get; private set; } = [];

    /// <summary>What serve has written to its standard error so far: the <c>wharf: ...</c> lines (the log goes to the process's own stderr).</summary>
    public string Errors { get { lock (_errorWriter) return _error.ToString(); } } // the synchronized writer locks itself

    private InProcessServe() => _errorWriter = TextWriter.Synchronized(_error);

    /// <summary>True once serve has returned.</summary>
    public bool HasExited => _run.IsCompleted;

    public static Task<InProcessServe> StartAsync(TestData data, params string[] extraArguments) => StartAsync(data, _ => null, extraArguments);

    /// <param name="environment">The environment serve sees (returning null for PATH: the process's PATH).</param>
    public static async Task<InProcessServe> StartAsync(TestData data, Func<string, string?> environment, params string[] extraArguments)
    {
        var serve = new InProcessServe();
        var output = new LineWriter();
        var console = new CliContext(new StringReader(""), output, serve._errorWriter, environment) { Serving = s => serve.Services = s };
        serve._run = new CliApp(WharfCommands.All).RunAsync(
            ["serve", "--http", "127.0.0.1:0", "--ssh", "127.0.0.1:0", .. data.DataOptions, .. extraArguments], console, serve._stop.Token);
        var lines = new List<string>();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (lines.Count < 2)
        {
            var read = output.Lines.Reader.ReadAsync(wait.Token).AsTask();
            await Task.WhenAny(read, serve._run);
            if (!read.IsCompletedSuccessfully)
            {
                var why = serve._run.IsCompleted
                    ? $"exited with status {(serve._run.IsCompletedSuccessfully ? serve._run.Result.ToString() : serve._run.Status.ToString())}"
                    : read.IsCanceled ? "did not print its listening lines within 60 s" : $"failed: {read.Exception}";
                await serve._stop.CancelAsync();
                throw new InvalidOperationException($"wharf serve {why}; stdout so far: [{string.Join(" | ", lines)}]; stderr:\n{serve.Errors}");
            }
            lines.Add(read.Result);
        }
        serve.ListeningLines = lines;
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
