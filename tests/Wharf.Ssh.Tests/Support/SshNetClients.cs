using System.Reflection;
using System.Text;
using Renci.SshNet;
using Wharf.Ssh.Keys;

namespace Wharf.Ssh.Tests.Support;

/// <summary>SSH.NET connection settings for a <see cref="TestSshServer"/>: user "git", the given key, 15 s timeout.</summary>
internal static class SshNetClients
{
    public static ConnectionInfo Info(int port, SshHostKey key)
    {
        var keyFile = new PrivateKeyFile(new MemoryStream(Encoding.ASCII.GetBytes(key.ToOpenSshPrivateKey())));
        return new ConnectionInfo("127.0.0.1", port, "git", new PrivateKeyAuthenticationMethod("git", keyFile))
        {
            Timeout = TimeSpan.FromSeconds(15),
            // Latin-1 maps every byte to one char, so command output can be compared byte for byte.
            Encoding = Encoding.Latin1,
        };
    }

    /// <summary>
    /// Opens a session channel and sends nothing on it (no exec, no shell), as a careless or hostile client may.
    /// SSH.NET has no public call for that, so this goes through its session's channel factory by reflection.
    /// </summary>
    public static object OpenChannelWithoutCommand(SshClient client)
    {
        var assembly = typeof(SshClient).Assembly;
        var session = typeof(BaseClient).GetProperty("Session", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(client)!;
        var channel = assembly.GetType("Renci.SshNet.ISession", throwOnError: true)!.GetMethod("CreateChannelSession")!.Invoke(session, null)!;
        var open = assembly.GetType("Renci.SshNet.Channels.IChannelSession", throwOnError: true)!.GetMethod("Open")!;
        open.Invoke(channel, null);
        return channel;
    }

    /// <summary>True while SSH.NET considers the channel open (until the server's CLOSE arrived).</summary>
    public static bool IsOpen(object channel) =>
        (bool)typeof(SshClient).Assembly.GetType("Renci.SshNet.Channels.IChannel", throwOnError: true)!.GetProperty("IsOpen")!.GetValue(channel)!;
}
