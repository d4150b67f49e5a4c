using Wharf.Ssh.Keys;

namespace Wharf.Ssh.Tests.Keys;

public class SshHostKeyTests
{
    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void HostKeyIsCreatedOnceWithOwnerOnlyPermissionsAndReloadsUnchanged()
    {
        var dir = Directory.CreateTempSubdirectory("wharf-hostkey-");
        try
        {
            var path = Path.Combine(dir.FullName, "ssh_host_ed25519_key");
            var first = SshHostKey.LoadOrCreateEd25519(path);
            var second = SshHostKey.LoadOrCreateEd25519(path);
            Assert.Equal(first.PublicKey, second.PublicKey);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.StartsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n", File.ReadAllText(path));
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
