using Renci.SshNet;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Tests.Support;

namespace Wharf.Ssh.Tests.Protocol;

/// <summary>
/// A logged-in client cannot hold a connection with channels that run nothing: a channel without exec or shell is
/// closed after ExecRequestTimeout, and it does not keep the connection from its idle timeout.
/// </summary>
public class ChannelLimitsTests
{
    private static bool Eventually(Func<bool> condition) => SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(20));

    private static SshClient Connect(TestSshServer server)
    {
        var key = SshHostKey.GenerateEd25519();
        server.Handler.AllowedKeys[key.PublicKey.FingerprintSha256] = "alice";
        var client = new SshClient(SshNetClients.Info(server.Port, key));
        client.Connect();
        return client;
    }

    [Fact]
    public async Task AChannelThatNeverAsksForACommandIsClosedAfterTheExecRequestTimeout()
    {
        await using var server = new TestSshServer(o => o.ExecRequestTimeout = TimeSpan.FromSeconds(2));
        using var client = Connect(server);
        var channel = SshNetClients.OpenChannelWithoutCommand(client);
        Assert.True(SshNetClients.IsOpen(channel));

        Assert.True(Eventually(() => !SshNetClients.IsOpen(channel)), "the server did not close the channel");
        Assert.True(Eventually(() => server.Log.Lines.Contains("channel closed without command after 2 s")), string.Join("\n", server.Log.Lines));
        // Only the channel: the connection goes on and runs commands.
        using var cmd = client.CreateCommand("nonsense");
        cmd.Execute();
        Assert.Equal(3, cmd.ExitStatus);
        Assert.DoesNotContain(server.Handler.Sessions, s => s.Command is null);
    }

    [Fact]
    public async Task AChannelWithoutACommandDoesNotKeepTheConnectionFromItsIdleTimeout()
    {
        await using var server = new TestSshServer(o =>
        {
            o.IdleTimeout = TimeSpan.FromSeconds(2);
            o.ExecRequestTimeout = TimeSpan.FromHours(1);
        });
        using var client = Connect(server);
        var channel = SshNetClients.OpenChannelWithoutCommand(client);
        Assert.True(SshNetClients.IsOpen(channel));

        Assert.True(Eventually(() => server.Log.Lines.Contains("closed idle timeout")), string.Join("\n", server.Log.Lines));
        Assert.True(Eventually(() => !client.IsConnected), "the client is still connected");
    }

    [Fact]
    public async Task ConnectionsPastFullMaxStartupsAreRefusedWithReason12()
    {
        await using var server = new TestSshServer(o =>
        {
            o.MaxStartups = "2";
            o.MaxUnauthenticatedPerSource = 2;
        });
        using var first = new RawSshClient(server.Port);
        using var second = new RawSshClient(server.Port);
        Assert.StartsWith("SSH-2.0-", first.ReadLine());
        Assert.StartsWith("SSH-2.0-", second.ReadLine());
        using var third = new RawSshClient(server.Port);
        Assert.StartsWith("SSH-2.0-", third.ReadLine());
        var (reason, description) = third.ReadUntilDisconnect();
        Assert.Equal(12u, reason);
        Assert.Equal("Too many unauthenticated connections; try again later", description);
    }
}
