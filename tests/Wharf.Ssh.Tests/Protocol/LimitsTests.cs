using System.Text;
using Renci.SshNet;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Tests.Support;

namespace Wharf.Ssh.Tests.Protocol;

/// <summary>Every limit ends the offending connection cleanly with the right reason, and the server keeps serving others.</summary>
public class LimitsTests
{
    private static SshClient Connect(TestSshServer server, SshHostKey key)
    {
        var keyFile = new PrivateKeyFile(new MemoryStream(Encoding.ASCII.GetBytes(key.ToOpenSshPrivateKey())));
        var info = new ConnectionInfo("127.0.0.1", server.Port, "git", new PrivateKeyAuthenticationMethod("git", keyFile))
        {
            Timeout = TimeSpan.FromSeconds(15),
            Encoding = Encoding.Latin1,
        };
        var client = new SshClient(info);
        client.Connect();
        return client;
    }

    private static SshHostKey Allow(TestSshServer server)
    {
        var key = SshHostKey.GenerateEd25519();
        server.Handler.AllowedKeys[key.PublicKey.FingerprintSha256] = "alice";
        return key;
    }

    private static bool Eventually(Func<bool> condition) => SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(10));

    [Fact]
    public async Task UnauthenticatedConnectionsBeyondThePerSourceLimitAreRefusedWithReason12()
    {
        await using var server = new TestSshServer(o => o.MaxUnauthenticatedPerSource = 2);
        using var first = new RawSshClient(server.Port);
        using var second = new RawSshClient(server.Port);
        Assert.StartsWith("SSH-2.0-", first.ReadLine());
        Assert.StartsWith("SSH-2.0-", second.ReadLine());

        using (var third = new RawSshClient(server.Port))
        {
            Assert.StartsWith("SSH-2.0-", third.ReadLine());
            var (reason, description) = third.ReadUntilDisconnect();
            Assert.Equal(12u, reason);
            Assert.Equal("Too many unauthenticated connections; try again later", description);
        }
        Assert.Equal(1, server.Server.Statistics.ConnectionsRefused);

        // Authenticated connections do not count: a login still gets in once a slot frees up.
        first.Dispose();
        Assert.True(Eventually(() => server.Server.UnauthenticatedConnections == 1));
        using var client = Connect(server, Allow(server));
        Assert.True(client.IsConnected);
        Assert.True(Eventually(() => server.Server.UnauthenticatedConnections == 1));
    }

    [Fact]
    public async Task LoginGraceTimeEndsAConnectionThatNeverAuthenticates()
    {
        await using var server = new TestSshServer(o => o.LoginGraceTime = TimeSpan.FromSeconds(2));
        using var raw = new RawSshClient(server.Port);
        raw.ReadLine();
        raw.SendLine("SSH-2.0-Slow_1.0");
        var (reason, description) = raw.ReadUntilDisconnect();
        Assert.Equal(11u, reason);
        Assert.Equal("Login grace time exceeded", description);
        Assert.True(Eventually(() => server.Log.Lines.Contains("closed login grace time exceeded")));
    }

    [Fact]
    public async Task IdleTimeoutClosesAnAuthenticatedConnectionWithoutSessions()
    {
        await using var server = new TestSshServer(o => o.IdleTimeout = TimeSpan.FromSeconds(2));
        using var client = Connect(server, Allow(server));
        Assert.True(Eventually(() => server.Log.Lines.Contains("closed idle timeout")));
    }

    [Fact]
    public async Task TheServerRekeysAfterItsByteLimitWithoutLosingData()
    {
        await using var server = new TestSshServer(o => o.RekeyAfterBytes = 256 * 1024);
        using var client = Connect(server, Allow(server));
        using var cmd = client.CreateCommand("bytes 6000000");
        cmd.Execute();
        Assert.Equal(0, cmd.ExitStatus);
        var output = Encoding.Latin1.GetBytes(cmd.Result);
        Assert.Equal(6_000_000, output.Length);
        for (var i = 0; i < output.Length; i += 4099) Assert.Equal((byte)(i % 65536), output[i]);
        // One key exchange per connection plus the rekeys: several at 256 KiB over 6 MB (checked once a second).
        Assert.True(server.Server.Statistics.KeyExchangesCompleted >= 3, $"only {server.Server.Statistics.KeyExchangesCompleted} key exchanges");
    }

    [Fact]
    public async Task GarbageInsteadOfAnIdentificationIsRefusedAndOthersAreStillServed()
    {
        await using var server = new TestSshServer();
        using (var raw = new RawSshClient(server.Port))
        {
            raw.ReadLine();
            raw.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            Assert.Equal("Invalid SSH identification string.", raw.ReadLine());
            Assert.True(raw.ReadsToEnd());
        }
        using var client = Connect(server, Allow(server));
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task AnOversizedPacketIsAProtocolErrorDisconnect()
    {
        await using var server = new TestSshServer();
        using var raw = new RawSshClient(server.Port);
        raw.ReadLine();
        raw.SendLine("SSH-2.0-Big_1.0");
        raw.Send([0x00, 0x10, 0x00, 0x00, 4, 0, 0, 0]);
        var (reason, description) = raw.ReadUntilDisconnect();
        Assert.Equal(2u, reason);
        Assert.Equal("bad packet length 1048576", description);
        Assert.True(raw.ReadsToEnd());
    }

    [Fact]
    public async Task AMessageOtherThanKexInitFirstIsRefusedUnderStrictKex()
    {
        await using var server = new TestSshServer();
        using var raw = new RawSshClient(server.Port);
        raw.ReadLine();
        raw.SendLine("SSH-2.0-Terrapin_1.0");
        raw.SendPacket([2, 0, 0, 0, 0]); // IGNORE before KEXINIT
        var kexInit = new Wharf.Ssh.Messages.KexInit
        {
            Kex = ["curve25519-sha256", "kex-strict-c-v00@openssh.com"], HostKey = ["ssh-ed25519"],
            CiphersClientToServer = ["aes128-ctr"], CiphersServerToClient = ["aes128-ctr"],
            MacsClientToServer = ["hmac-sha2-256-etm@openssh.com"], MacsServerToClient = ["hmac-sha2-256-etm@openssh.com"],
            CompressionClientToServer = ["none"], CompressionServerToClient = ["none"],
        };
        raw.SendPacket(kexInit.Write());
        var (reason, description) = raw.ReadUntilDisconnect();
        Assert.Equal(2u, reason);
        Assert.Equal("strict KEX: KEXINIT was not the first packet", description);
    }

    [Fact]
    public async Task TheKexInitFallbackTimerNeverStartsASecondKeyExchange()
    {
        // Regression: the 1 s "client is silent" timer fired after a quick first exchange had finished
        // and sent a new KEXINIT in the middle of login; OpenSSH answered "bad message during authentication".
        await using var server = new TestSshServer();
        using var raw = new RawSshClient(server.Port);
        raw.SendLine("SSH-2.0-Quick_1.0");
        raw.SendPacket(new Wharf.Ssh.Messages.KexInit
        {
            Kex = ["curve25519-sha256"], HostKey = ["ssh-ed25519"],
            CiphersClientToServer = ["aes128-ctr"], CiphersServerToClient = ["aes128-ctr"],
            MacsClientToServer = ["hmac-sha2-256-etm@openssh.com"], MacsServerToClient = ["hmac-sha2-256-etm@openssh.com"],
            CompressionClientToServer = ["none"], CompressionServerToClient = ["none"],
        }.Write());
        var pub = new byte[32];
        var priv = new byte[32];
        Geralt.X25519.GenerateKeyPair(pub, priv);
        raw.SendPacket([30, 0, 0, 0, 32, .. pub]);
        raw.ReadLine();
        Assert.Equal(20, raw.ReadPacket()![0]);
        Assert.Equal(31, raw.ReadPacket()![0]);
        Assert.Equal(21, raw.ReadPacket()![0]);
        raw.SendPacket([21]);
        // The exchange is complete and we ask for nothing, so the server has nothing to say.
        Assert.True(raw.StaysSilentFor(TimeSpan.FromSeconds(2.5)), "the server sent something after NEWKEYS");
    }
}
