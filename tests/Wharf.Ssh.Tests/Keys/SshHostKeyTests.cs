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

    [Fact]
    public void RsaHostKeyRoundTripsThroughOpenSshFormatAndSignsWithSha2()
    {
        var dir = Directory.CreateTempSubdirectory("wharf-hostkey-");
        try
        {
            var path = Path.Combine(dir.FullName, "ssh_host_rsa_key");
            var first = SshHostKey.LoadOrCreateRsa(path);
            var second = SshHostKey.LoadOrCreateRsa(path);
            Assert.Equal(first.PublicKey, second.PublicKey);
            Assert.Equal(3072, second.PublicKey.Bits);
            Assert.Equal(["rsa-sha2-512", "rsa-sha2-256"], second.Algorithms);
            var data = "exchange hash"u8.ToArray();
            var sig = second.Sign("rsa-sha2-512", data);
            Assert.True(Wharf.Ssh.Authentication.SignatureVerifier.Verify(first.PublicKey, "rsa-sha2-512", sig, data));
            Assert.False(Wharf.Ssh.Authentication.SignatureVerifier.Verify(first.PublicKey, "rsa-sha2-256", sig, data));
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
