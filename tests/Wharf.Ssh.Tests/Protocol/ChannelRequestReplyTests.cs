using Wharf.Ssh.Connection;
using Wharf.Ssh.Server;
using Wharf.Ssh.Tests.Support;
using Wharf.Ssh.Transport;

namespace Wharf.Ssh.Tests.Protocol;

/// <summary>
/// The reply to an exec or shell request (RFC 4254 §6.5) must reach the client before anything the command writes.
/// The connection sends it after starting the channel, so the channel holds its application back until it is sent.
/// PuTTY's plink 0.78 showed what happens otherwise: data, exit-status and CLOSE before CHANNEL_SUCCESS, and plink
/// exits 1 with "Server refused to start a shell/command" after printing the output.
/// </summary>
public class ChannelRequestReplyTests
{
    [Fact]
    public async Task TheApplicationStartsOnlyOnceTheRequestHasBeenAnswered()
    {
        var (channel, handler, replied) = StartShell();
        await Task.Delay(200);
        Assert.Empty(handler.Sessions);

        replied.SetResult();
        await channel.Running!.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Single(handler.Sessions);
    }

    [Fact]
    public async Task AReplyThatCouldNotBeSentStillLetsTheApplicationRunAndEnd()
    {
        var (channel, handler, replied) = StartShell();
        replied.SetException(new IOException("connection reset"));
        await channel.Running!.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Single(handler.Sessions);
    }

    /// <summary>A session channel whose shell was started to run once <c>replied</c> completes.</summary>
    private static (SessionChannel Channel, ScriptedHandler Handler, TaskCompletionSource Replied) StartShell()
    {
        var (serverSide, _) = InMemoryDuplex.Create();
        var transport = new SshTransport(serverSide, 256 * 1024);
        var channel = new SessionChannel(0, 7, 1024 * 1024, 32 * 1024, transport, new SshServerOptions(), _ => { });
        var handler = new ScriptedHandler();
        var replied = new TaskCompletionSource();
        Assert.True(channel.Start(handler, new SshPrincipal("alice"), "git", null, null, new RecordingLog(), replied.Task));
        return (channel, handler, replied);
    }
}
