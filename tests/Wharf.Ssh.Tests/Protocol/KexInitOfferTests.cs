using Renci.SshNet;
using Renci.SshNet.Common;
using Wharf.Ssh.Algorithms;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Messages;
using Wharf.Ssh.Server;
using Wharf.Ssh.Tests.Support;

namespace Wharf.Ssh.Tests.Protocol;

/// <summary>
/// What the server's first KEXINIT offers. Scanners judge the Terrapin counter-measure (CVE-2023-48795) by the
/// server's own list, so kex-strict-s-v00@openssh.com is always in it, whatever the client sent; strict mode is
/// still entered only when both sides announce it.
/// </summary>
public class KexInitOfferTests
{
    private static readonly string[] ExpectedKex =
    [
        "mlkem768x25519-sha256", "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com",
        "curve25519-sha256", "curve25519-sha256@libssh.org",
        "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512",
        "kex-strict-s-v00@openssh.com",
    ];

    private static KexInit ClientKexInit(params string[] kex) => new()
    {
        Kex = kex, HostKey = ["ssh-ed25519"],
        CiphersClientToServer = ["aes128-ctr"], CiphersServerToClient = ["aes128-ctr"],
        MacsClientToServer = ["hmac-sha2-256-etm@openssh.com"], MacsServerToClient = ["hmac-sha2-256-etm@openssh.com"],
        CompressionClientToServer = ["none"], CompressionServerToClient = ["none"],
    };

    [Theory]
    [InlineData("client announces strict KEX")]
    [InlineData("client does not announce strict KEX")]
    [InlineData("client sends no KEXINIT")]
    public async Task TheFirstKexInitAlwaysAnnouncesStrictKexAndOffersTheDefaultList(string client)
    {
        await using var server = new TestSshServer();
        using var raw = new RawSshClient(server.Port);
        raw.SendLine("SSH-2.0-Scanner_1.0");
        Assert.StartsWith("SSH-2.0-", raw.ReadLine());
        switch (client)
        {
            case "client announces strict KEX":
                raw.SendPacket(ClientKexInit("curve25519-sha256", "kex-strict-c-v00@openssh.com").Write());
                break;
            case "client does not announce strict KEX":
                // Not strict: an IGNORE before KEXINIT is allowed and the exchange goes on.
                raw.SendPacket([2, 0, 0, 0, 0]);
                raw.SendPacket(ClientKexInit("curve25519-sha256", "ext-info-c").Write());
                break;
        }
        var payload = raw.ReadPacket()!;
        Assert.Equal(20, payload[0]);
        var init = KexInit.Read(payload);
        Assert.Equal(ExpectedKex, init.Kex);
        Assert.Equal(ExpectedKex[..^1], SshAlgorithms.DefaultKex);
        if (client == "client does not announce strict KEX")
        {
            // The exchange goes on in non-strict mode: our KEX reply follows the client's ECDH init.
            var pub = new byte[32];
            var priv = new byte[32];
            Geralt.X25519.GenerateKeyPair(pub, priv);
            raw.SendPacket([30, 0, 0, 0, 32, .. pub]);
            Assert.Equal(31, raw.ReadPacket()![0]);
        }
    }

    [Fact]
    public async Task Group14IsNotOfferedByDefaultButCanBeConfigured()
    {
        var key = SshHostKey.GenerateEd25519();
        ConnectionInfo Group14Only(int port)
        {
            var info = SshNetClients.Info(port, key);
            foreach (var name in info.KeyExchangeAlgorithms.Keys.Where(k => k != "diffie-hellman-group14-sha256").ToList()) info.KeyExchangeAlgorithms.Remove(name);
            return info;
        }

        await using (var byDefault = new TestSshServer())
        {
            byDefault.Handler.AllowedKeys[key.PublicKey.FingerprintSha256] = "alice";
            using var refused = new SshClient(Group14Only(byDefault.Port));
            Assert.ThrowsAny<SshException>(refused.Connect);
            Assert.True(SpinWait.SpinUntil(() => byDefault.Log.Lines.Contains("protocol-error KeyExchangeFailed no matching key exchange algorithm"), TimeSpan.FromSeconds(10)),
                string.Join("\n", byDefault.Log.Lines));
        }

        await using var configured = new TestSshServer(o => o.KeyExchangeAlgorithms = ["curve25519-sha256", "diffie-hellman-group14-sha256"]);
        configured.Handler.AllowedKeys[key.PublicKey.FingerprintSha256] = "alice";
        using var client = new SshClient(Group14Only(configured.Port));
        client.Connect();
        Assert.Equal("diffie-hellman-group14-sha256", client.ConnectionInfo.CurrentKeyExchangeAlgorithm);
        using var cmd = client.CreateCommand("nonsense");
        cmd.Execute();
        Assert.Equal(3, cmd.ExitStatus);
    }

    [Fact]
    public void AnUnsupportedKeyExchangeNamesTheSettingToFix()
    {
        var options = new SshServerOptions { KeyExchangeAlgorithms = ["diffie-hellman-group1-sha1"] };
        options.HostKeys.Add(SshHostKey.GenerateEd25519());
        var e = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Equal(
            "Ssh:Algorithms:KeyExchange: 'diffie-hellman-group1-sha1' is not supported. Supported: mlkem768x25519-sha256, sntrup761x25519-sha512, "
            + "sntrup761x25519-sha512@openssh.com, curve25519-sha256, curve25519-sha256@libssh.org, diffie-hellman-group16-sha512, "
            + "diffie-hellman-group18-sha512, diffie-hellman-group14-sha256.",
            e.Message);
    }
}
