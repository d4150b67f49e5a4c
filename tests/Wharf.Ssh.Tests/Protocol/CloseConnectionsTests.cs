using Renci.SshNet;
using Renci.SshNet.Common;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Tests.Support;

namespace Wharf.Ssh.Tests.Protocol;

/// <summary>
/// <see cref="Server.SshServer.CloseConnections"/>, which the application calls when a key is revoked: only the
/// matching logged-in connections end, their running sessions with them, with a DISCONNECT carrying the application's
/// reason (SSH.NET does not show it; tests/Wharf.Interop.Tests/RevocationTests.cs reads it from OpenSSH); the others go on.
/// </summary>
public sealed class CloseConnectionsTests : IAsyncLifetime
{
    private readonly TestSshServer _server = new();
    private readonly SshHostKey _aliceKey = SshHostKey.GenerateEd25519("alice@test");
    private readonly SshHostKey _bobKey = SshHostKey.GenerateEd25519("bob@test");

    public Task InitializeAsync()
    {
        _server.Handler.AllowedKeys[_aliceKey.PublicKey.FingerprintSha256] = "alice";
        _server.Handler.AllowedKeys[_bobKey.PublicKey.FingerprintSha256] = "bob";
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private SshClient Connect(SshHostKey key)
    {
        var client = new SshClient(SshNetClients.Info(_server.Port, key));
        client.Connect();
        return client;
    }

    [Fact]
    public async Task OnlyTheMatchingConnectionsCloseTheirSessionsEndAndTheClientReadsTheReason()
    {
        using var alice = Connect(_aliceKey);
        using var bob = Connect(_bobKey);
        using var echo = alice.CreateCommand("echo");
        var running = echo.ExecuteAsync();
        await WaitUntilAsync(() => !_server.Handler.Sessions.IsEmpty, "alice's echo session to start");

        Assert.Equal(["alice", "bob"], _server.Server.AuthenticatedPrincipals().Select(p => p.Name).Order());
        var closed = _server.Server.CloseConnections(p => p.Name == "alice" ? "This key is no longer registered" : null);

        Assert.Equal(1, closed);
        await WaitUntilAsync(() => !alice.IsConnected, "alice's connection to close");
        await Assert.ThrowsAsync<SshConnectionException>(() => running.WaitAsync(TimeSpan.FromSeconds(30)));
        await WaitUntilAsync(() => _server.Log.Lines.Contains("closed closed by the application: This key is no longer registered"), "the close to be logged");

        using var still = bob.CreateCommand("nonsense");
        still.Execute();
        Assert.Equal(3, still.ExitStatus);
        Assert.Equal(["bob"], _server.Server.AuthenticatedPrincipals().Select(p => p.Name));
    }

    // Waits for something the test caused; the bound only turns a hang into a failure.
    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (limit.IsCancellationRequested) Assert.Fail($"gave up waiting for {what}");
            await Task.Delay(20, CancellationToken.None);
        }
    }
}
