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
}
