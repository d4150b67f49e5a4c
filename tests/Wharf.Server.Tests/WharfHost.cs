using System.Net;

namespace Wharf.Server.Tests;

/// <summary><see cref="InProcessServe"/> over a fresh data directory of its own (the web page and browser tests).</summary>
public sealed class WharfHost : IAsyncDisposable
{
    private InProcessServe _serve = null!;

    public TestData Data { get; } = new();
    public Uri BaseAddress { get; private set; } = null!;
    public IPEndPoint SshEndPoint { get; private set; } = null!;
    public IServiceProvider Services => _serve.Services;

    public static async Task<WharfHost> StartAsync()
    {
        var host = new WharfHost();
        host._serve = await InProcessServe.StartAsync(host.Data);
        host.BaseAddress = new Uri(host._serve.HttpBaseUrl);
        host.SshEndPoint = new IPEndPoint(IPAddress.Loopback, host._serve.SshPort);
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        await _serve.DisposeAsync();
        Data.Dispose();
    }
}
