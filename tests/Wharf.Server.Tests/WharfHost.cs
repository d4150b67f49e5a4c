using System.Net;
using Wharf.Server.Cli;

namespace Wharf.Server.Tests;

/// <summary><c>wharf serve</c> in-process on port 0 with a fresh data directory (the web page and browser tests).</summary>
public sealed class WharfHost : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(3));
    private Task<int> _serve = Task.FromResult(0);

    public TestData Data { get; } = new();
    public Uri BaseAddress { get; private set; } = null!;
    public IPEndPoint SshEndPoint { get; private set; } = null!;

    public static async Task<WharfHost> StartAsync()
    {
        var host = new WharfHost();
        var output = new LineWriter();
        var console = new CliContext(new StringReader(""), output, TextWriter.Null, _ => null);
        host._serve = new CliApp(WharfCommands.All).RunAsync(
            ["serve", "--http", "127.0.0.1:0", "--ssh", "127.0.0.1:0", .. host.Data.DataOptions], console, host._stop.Token);
        // "SSH listening on ADDR:PORT" comes first (the SSH listener is a hosted service), then "HTTP listening on URL".
        string line;
        do
        {
            line = await output.Lines.Reader.ReadAsync(host._stop.Token);
            if (line.StartsWith("SSH listening on ", StringComparison.Ordinal)) host.SshEndPoint = IPEndPoint.Parse(line["SSH listening on ".Length..]);
        }
        while (!line.StartsWith("HTTP listening on ", StringComparison.Ordinal));
        host.BaseAddress = new Uri(line["HTTP listening on ".Length..]);
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _serve;
        _stop.Dispose();
        Data.Dispose();
    }
}
