using Renci.SshNet;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Server;
using Wharf.Ssh.Tests.Support;

namespace Wharf.Ssh.Tests.Protocol;

/// <summary>
/// Nothing outlives its connection: once clients are gone, the server holds no connection, task or timer
/// for them (<see cref="SshServerStatistics.ConnectionsAlive"/>, <see cref="SshServerStatistics.BackgroundTasksRunning"/>).
/// </summary>
public class ConnectionLifetimeTests
{
    private static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        while (!condition())
        {
            if (DateTime.UtcNow > until) return false;
            await Task.Delay(100);
        }
        return true;
    }

    private static string Counts(SshServerStatistics s) =>
        $"open {s.ConnectionsOpen}, alive {s.ConnectionsAlive}, background tasks {s.BackgroundTasksRunning}";

    [Fact]
    public async Task HundredsOfClosedConnectionsLeaveNoConnectionTaskOrTimerBehind()
    {
        // The default idle timeout (10 minutes): a watchdog left running would hold its connection that long.
        await using var server = new TestSshServer();
        var key = SshHostKey.GenerateEd25519();
        server.Handler.AllowedKeys[key.PublicKey.FingerprintSha256] = "alice";
        var stats = server.Server.Statistics;

        // Logins that run a command and disconnect.
        const int logins = 200;
        await Parallel.ForAsync(0, logins, new ParallelOptions { MaxDegreeOfParallelism = 8 }, (_, _) =>
        {
            using var client = new SshClient(SshNetClients.Info(server.Port, key));
            client.Connect();
            using var cmd = client.CreateCommand("nonsense");
            cmd.Execute();
            Assert.Equal(3, cmd.ExitStatus);
            client.Disconnect();
            return ValueTask.CompletedTask;
        });
        // Logins left open while the connection is held, then dropped without a DISCONNECT.
        var held = new List<SshClient>();
        for (var i = 0; i < 50; i++)
        {
            var client = new SshClient(SshNetClients.Info(server.Port, key));
            client.Connect();
            held.Add(client);
        }
        Assert.True(await EventuallyAsync(() => stats.ConnectionsAlive == 50, TimeSpan.FromSeconds(30)), Counts(stats));
        Assert.True(stats.BackgroundTasksRunning >= 50, Counts(stats));
        foreach (var client in held) client.Dispose();
        // Connections that go away before logging in: after the identification line, and at once.
        for (var i = 0; i < 100; i++)
        {
            using var raw = new RawSshClient(server.Port);
            if (i % 2 == 0) raw.SendLine("SSH-2.0-Gone_1.0");
        }

        Assert.True(await EventuallyAsync(() => stats.ConnectionsAccepted == logins + 150 && stats.ConnectionsOpen == 0, TimeSpan.FromSeconds(60)), Counts(stats));
        Assert.True(await EventuallyAsync(() => stats.ConnectionsAlive == 0 && stats.BackgroundTasksRunning == 0, TimeSpan.FromSeconds(30)), Counts(stats));
    }
}
