using System.Text;
using Renci.SshNet;
using Renci.SshNet.Common;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Tests.Support;

namespace Wharf.Ssh.Tests.Protocol;

/// <summary>
/// publickey authentication with OpenSSH certificates (PROTOCOL.certkeys) through the library: SSH.NET as the client,
/// certificates made by <c>ssh-keygen -s</c>. The handler receives the parsed certificate only after the CA signature
/// and the request signature verified; a forged certificate never reaches it.
/// </summary>
public sealed class CertificateAuthenticationTests : IAsyncLifetime
{
    private readonly TestSshServer _server = new();
    private readonly CertificateAuthority _ca = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _ca.Dispose();
    }

    /// <summary>Writes the key's public half, signs it with the CA and returns the certificate line.</summary>
    private string Certify(SshHostKey key, string name, string keyId)
    {
        var path = Path.Combine(_ca.Directory, name);
        File.WriteAllText(path + ".pub", key.PublicKey.ToOpenSshLine() + "\n");
        return _ca.Sign(path, keyId, "alice");
    }

    private SshClient Client(SshHostKey key, string certificateLine)
    {
        var keyFile = new PrivateKeyFile(new MemoryStream(Encoding.ASCII.GetBytes(key.ToOpenSshPrivateKey())), null,
            new MemoryStream(Encoding.ASCII.GetBytes(certificateLine + "\n")));
        var info = new ConnectionInfo("127.0.0.1", _server.Port, "git", new PrivateKeyAuthenticationMethod("git", keyFile))
        {
            Timeout = TimeSpan.FromSeconds(15),
        };
        return new SshClient(info);
    }

    [Theory]
    [InlineData("ed25519")]
    [InlineData("rsa")]
    public void AVerifiedCertificateReachesTheHandlerAndLogsIn(string type)
    {
        var key = type == "rsa" ? SshHostKey.GenerateRsa(3072, "alice") : SshHostKey.GenerateEd25519("alice");
        var line = Certify(key, "alice-" + type, "alice-laptop");
        _server.Handler.AllowedCertificateIds["alice-laptop"] = "alice";

        using var client = Client(key, line);
        client.Connect();
        using var cmd = client.CreateCommand("nonsense");
        cmd.Execute();
        Assert.Equal(3, cmd.ExitStatus);

        var verified = Assert.Single(_server.Handler.Certificates, c => c.SignatureVerified);
        Assert.Equal("alice-laptop", verified.Certificate.KeyId);
        Assert.Equal(key.PublicKey, verified.Certificate.Key);
        Assert.Equal(_ca.CaPublicKey, verified.Certificate.SignatureKey);
        Assert.Contains($"auth-ok git alice {key.PublicKey.FingerprintSha256}", _server.Log.Lines);
    }

    [Fact]
    public void ACertificateTheHandlerRefusesDoesNotLogIn()
    {
        var key = SshHostKey.GenerateEd25519("alice");
        var line = Certify(key, "alice", "not-allowed");
        using var client = Client(key, line);
        Assert.Throws<SshAuthenticationException>(client.Connect);
        // SSH.NET asks first (a query); refused there, it never signs, and nothing verified reaches the handler.
        var asked = Assert.Single(_server.Handler.Certificates);
        Assert.Equal("not-allowed", asked.Certificate.KeyId);
        Assert.False(asked.SignatureVerified);
    }

    [Fact]
    public void AForgedCertificateNeverReachesTheHandler()
    {
        var key = SshHostKey.GenerateEd25519("mallory");
        var line = Certify(key, "mallory", "mallory-0");
        // "mallory-0" becomes "mallory-1": well-formed, but not what the CA signed.
        var blob = Convert.FromBase64String(line.Split(' ')[1]);
        var at = blob.AsSpan().IndexOf("mallory-0"u8);
        blob[at + 8] = (byte)'1';
        var forged = $"{line.Split(' ')[0]} {Convert.ToBase64String(blob)}";
        _server.Handler.AllowedCertificateIds["mallory-1"] = "mallory";

        using var client = Client(key, forged);
        Assert.Throws<SshAuthenticationException>(client.Connect);
        Assert.Empty(_server.Handler.Certificates);
    }
}
