using System.Net.Sockets;
using System.Text;
using Renci.SshNet;
using Renci.SshNet.Common;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Tests.Support;

namespace Wharf.Ssh.Tests.Protocol;

/// <summary>
/// SSH.NET 2026 as a real client of the library over loopback TCP: the whole path of key exchange,
/// publickey auth, exec, window flow and exit status (SSH.NET sends no ext-info-c and picks aes128-ctr
/// with hmac-sha2-256-etm against Wharf's offer, docs/SSH-INTEROP.md §1).
/// </summary>
public sealed class SshNetClientTests : IAsyncLifetime
{
    private readonly TestSshServer _server = new();
    private readonly SshHostKey _userKey = SshHostKey.GenerateEd25519("alice@test");

    public Task InitializeAsync()
    {
        _server.Handler.AllowedKeys[_userKey.PublicKey.FingerprintSha256] = "alice";
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private SshClient Connect(SshHostKey key, string? onlyKex = null, string? onlyCipher = null, string? onlyMac = null)
    {
        var info = SshNetClients.Info(_server.Port, key);
        if (onlyKex is not null)
        {
            Assert.True(info.KeyExchangeAlgorithms.ContainsKey(onlyKex), $"SSH.NET does not implement {onlyKex}");
            foreach (var name in info.KeyExchangeAlgorithms.Keys.Where(k => k != onlyKex).ToList()) info.KeyExchangeAlgorithms.Remove(name);
        }
        if (onlyCipher is not null)
            foreach (var name in info.Encryptions.Keys.Where(k => k != onlyCipher).ToList()) info.Encryptions.Remove(name);
        if (onlyMac is not null)
            foreach (var name in info.HmacAlgorithms.Keys.Where(k => k != onlyMac).ToList()) info.HmacAlgorithms.Remove(name);
        var client = new SshClient(info);
        client.Connect();
        return client;
    }

    [Fact]
    public void ExecRunsTheApplicationAndDeliversOutputAndExitStatus()
    {
        using var client = Connect(_userKey);
        using var cmd = client.CreateCommand("nonsense");
        cmd.Execute();
        Assert.Equal(3, cmd.ExitStatus);
        Assert.Equal("unknown command: nonsense\n", cmd.Error);
        Assert.Equal("", cmd.Result);
        Assert.Contains($"auth-ok git alice {_userKey.PublicKey.FingerprintSha256}", _server.Log.Lines);
    }

    [Theory]
    [InlineData("mlkem768x25519-sha256")]
    [InlineData("sntrup761x25519-sha512")]
    [InlineData("sntrup761x25519-sha512@openssh.com")]
    [InlineData("curve25519-sha256")]
    [InlineData("curve25519-sha256@libssh.org")]
    [InlineData("diffie-hellman-group16-sha512")]
    public void EveryKeyExchangeSshNetSharesWithWharfCompletes(string kex)
    {
        using var client = Connect(_userKey, onlyKex: kex);
        // The client offered only this name; SSH.NET reports the alias names under their base name.
        Assert.Equal(kex.Split('@')[0], client.ConnectionInfo.CurrentKeyExchangeAlgorithm);
        using var cmd = client.CreateCommand("nonsense");
        cmd.Execute();
        Assert.Equal(3, cmd.ExitStatus);
    }

    [Theory]
    [InlineData("chacha20-poly1305@openssh.com")]
    [InlineData("aes256-gcm@openssh.com")]
    [InlineData("aes128-gcm@openssh.com")]
    [InlineData("aes256-ctr")]
    [InlineData("aes192-ctr")]
    [InlineData("aes128-ctr")]
    public void EveryCipherCarriesAMegabyte(string cipher)
    {
        using var client = Connect(_userKey, onlyCipher: cipher);
        Assert.Equal(cipher, client.ConnectionInfo.CurrentServerEncryption);
        AssertAMegabyteArrives(client);
    }

    private static void AssertAMegabyteArrives(SshClient client)
    {
        using var cmd = client.CreateCommand("bytes 1000000");
        cmd.Execute();
        Assert.Equal(0, cmd.ExitStatus);
        Assert.Equal(1_000_000, cmd.Result.Length);
    }

    /// <summary>
    /// A client that knows no EtM MAC (libssh2 1.10, the libgit2 of pygit2 and GitKraken, curl) offers only the plain
    /// MACs of RFC 6668 with AES-CTR; it gets them, both ways, and a megabyte crosses intact.
    /// </summary>
    [Theory]
    [InlineData("aes128-ctr", "hmac-sha2-256")]
    [InlineData("aes256-ctr", "hmac-sha2-512")]
    public void AClientWithoutEtmMacsGetsThePlainSha2Mac(string cipher, string mac)
    {
        using var client = Connect(_userKey, onlyCipher: cipher, onlyMac: mac);
        Assert.Equal(mac, client.ConnectionInfo.CurrentServerHmacAlgorithm);
        Assert.Equal(mac, client.ConnectionInfo.CurrentClientHmacAlgorithm);
        AssertAMegabyteArrives(client);
    }

    /// <summary>
    /// The client's order decides (RFC 4253 §7.1): a client that lists EtM first (OpenSSH, PuTTY) keeps EtM; one that
    /// lists the plain MACs first (SSH.NET's default, paramiko 2.12) gets a plain one. Here SSH.NET's list is
    /// reordered EtM first.
    /// </summary>
    [Fact]
    public void AClientThatListsEtmFirstKeepsIt()
    {
        var info = SshNetClients.Info(_server.Port, _userKey);
        foreach (var name in info.Encryptions.Keys.Where(k => k != "aes128-ctr").ToList()) info.Encryptions.Remove(name);
        foreach (var name in info.HmacAlgorithms.Keys.Where(k => !k.EndsWith("-etm@openssh.com", StringComparison.Ordinal)).ToList())
        {
            var mac = info.HmacAlgorithms[name];
            info.HmacAlgorithms.Remove(name);
            info.HmacAlgorithms.Add(name, mac);
        }
        Assert.EndsWith("-etm@openssh.com", info.HmacAlgorithms.Keys.First());
        using var client = new SshClient(info);
        client.Connect();
        Assert.Equal(info.HmacAlgorithms.Keys.First(), client.ConnectionInfo.CurrentServerHmacAlgorithm);
    }

    [Fact]
    public void FiveMegabytesArriveIntactThroughTheWindow()
    {
        using var client = Connect(_userKey);
        using var cmd = client.CreateCommand("bytes 5000000");
        cmd.Execute();
        Assert.Equal(0, cmd.ExitStatus);
        var output = Encoding.Latin1.GetBytes(cmd.Result);
        Assert.Equal(5_000_000, output.Length);
        for (var i = 0; i < output.Length; i++)
            if (output[i] != (byte)(i % 65536)) Assert.Fail($"byte {i} is {output[i]}, expected {(byte)(i % 65536)}");
    }

    [Fact]
    public void ARefusedVerifiedKeyGetsTheApplicationsBannerBeforeTheFailure()
    {
        var expired = SshHostKey.GenerateEd25519();
        _server.Handler.RefusedWithBanner[expired.PublicKey.FingerprintSha256] = "Your key 'laptop' expired on 2026-11-01. Add a new one at http://wharf/account/ssh-keys";
        var keyFile = new PrivateKeyFile(new MemoryStream(Encoding.ASCII.GetBytes(expired.ToOpenSshPrivateKey())));
        var info = new ConnectionInfo("127.0.0.1", _server.Port, "git", new PrivateKeyAuthenticationMethod("git", keyFile)) { Timeout = TimeSpan.FromSeconds(15) };
        var banners = new List<string>();
        info.AuthenticationBanner += (_, e) => banners.Add(e.BannerMessage);
        using var client = new SshClient(info);
        Assert.Throws<SshAuthenticationException>(() => client.Connect());
        Assert.Equal(["Your key 'laptop' expired on 2026-11-01. Add a new one at http://wharf/account/ssh-keys\n"], banners);
    }

    [Fact]
    public async Task AnUnknownKeyIsRefusedAndLoggedAsOneFailedAuthentication()
    {
        var stranger = SshHostKey.GenerateEd25519();
        Assert.Throws<SshAuthenticationException>(() => Connect(stranger));
        // The failure is logged when the server ends the connection: wait for that, then count.
        await WaitUntilAsync(() => _server.Log.Lines.Any(l => l.StartsWith("closed", StringComparison.Ordinal)), "the refused connection to be closed");
        Assert.Single(_server.Log.Lines, l => l == "auth-failed git");
    }

    /// <summary>
    /// Graceful shutdown as a client sees it: once the server drains, an idle logged-in connection is closed, a new
    /// session on a busy one is refused, the running command still delivers its output and exit status, and the port
    /// refuses new connections.
    /// </summary>
    [Fact]
    public async Task DrainLetsTheRunningCommandFinishAndRefusesEverythingNew()
    {
        using var busy = Connect(_userKey);
        using var idle = Connect(_userKey);
        using var echo = busy.CreateCommand("echo");
        var running = echo.ExecuteAsync();
        await WaitUntilAsync(() => !_server.Handler.Sessions.IsEmpty, "the echo session to start");

        // StopAcceptingAsync returns once the socket is closed; DrainAsync has told every connection before it returns.
        await _server.Server.StopAcceptingAsync();
        var drain = _server.Server.DrainAsync(TimeSpan.FromSeconds(60));

        await WaitUntilAsync(() => !idle.IsConnected, "the idle connection to be closed");
        Assert.ThrowsAny<SshException>(() => busy.CreateCommand("nonsense").Execute());
        await Assert.ThrowsAnyAsync<SocketException>(async () =>
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync("127.0.0.1", _server.Port);
        });
        Assert.False(drain.IsCompleted, "the drain must wait for the running command");

        using (var input = echo.CreateInputStream())
        {
            await input.WriteAsync("still here"u8.ToArray());
        }
        await running.WaitAsync(TimeSpan.FromSeconds(30));
        await drain.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("still here", echo.Result);
        Assert.Equal(0, echo.ExitStatus);
        Assert.Contains("closed server shutting down", _server.Log.Lines);
    }

    /// <summary>
    /// CloseConnections, which the application calls when a key is revoked: only the matching logged-in connections
    /// end, their running sessions with them, with a DISCONNECT carrying the application's reason (SSH.NET does not
    /// show it; tests/Wharf.Interop.Tests/RevocationTests.cs reads it from OpenSSH); the others go on.
    /// </summary>
    [Fact]
    public async Task CloseConnectionsEndsOnlyTheMatchingConnectionsAndTheirSessions()
    {
        var bobKey = SshHostKey.GenerateEd25519("bob@test");
        _server.Handler.AllowedKeys[bobKey.PublicKey.FingerprintSha256] = "bob";
        using var alice = Connect(_userKey);
        using var bob = Connect(bobKey);
        using var echo = alice.CreateCommand("echo");
        var running = echo.ExecuteAsync();
        await WaitUntilAsync(() => !_server.Handler.Sessions.IsEmpty, "alice's echo session to start");

        Assert.Equal(["alice", "bob"], _server.Server.AuthenticatedPrincipals().Select(p => p.Name).Order());
        Assert.Equal(1, _server.Server.CloseConnections(p => p.Name == "alice" ? "This key is no longer registered" : null));

        await WaitUntilAsync(() => !alice.IsConnected, "alice's connection to close");
        await Assert.ThrowsAsync<SshConnectionException>(() => running.WaitAsync(TimeSpan.FromSeconds(30)));
        await WaitUntilAsync(() => _server.Log.Lines.Contains("closed closed by the application: This key is no longer registered"), "the close to be logged");
        using var still = bob.CreateCommand("nonsense");
        still.Execute();
        Assert.Equal(3, still.ExitStatus);
        Assert.Equal(["bob"], _server.Server.AuthenticatedPrincipals().Select(p => p.Name));
    }

    // Waits for something the test caused; the bound only turns a hang into a failure.
    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (limit.IsCancellationRequested) Assert.Fail($"gave up waiting for {what}");
            await Task.Delay(20, CancellationToken.None);
        }
    }
}
