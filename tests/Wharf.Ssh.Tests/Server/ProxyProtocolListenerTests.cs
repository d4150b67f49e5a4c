using System.Net;
using System.Net.Sockets;
using System.Text;
using Renci.SshNet;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Tests.Support;

namespace Wharf.Ssh.Tests.Server;

/// <summary>
/// The listener with <see cref="Wharf.Ssh.Server.SshServerOptions.ProxyProtocol"/>: from a trusted sender the header's
/// client address is the connection's address for the log, the handler and admission; a trusted sender that sends no
/// header, or a malformed one, is refused; from anyone else a header is not read and is refused.
/// </summary>
public class ProxyProtocolListenerTests
{
    private readonly SshHostKey _userKey = SshHostKey.GenerateEd25519("alice@test");

    /// <summary>A one-connection TCP proxy on loopback that writes <paramref name="header"/> to the server and then copies both ways.</summary>
    private static int ProxyOnce(int serverPort, byte[] header, CancellationToken cancellationToken)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(cancellationToken);
            listener.Stop();
            using var upstream = new TcpClient();
            await upstream.ConnectAsync(IPAddress.Loopback, serverPort, cancellationToken);
            var up = upstream.GetStream();
            await up.WriteAsync(header, cancellationToken);
            var down = client.GetStream();
            await Task.WhenAny(down.CopyToAsync(up, cancellationToken), up.CopyToAsync(down, cancellationToken));
        }, cancellationToken);
        return port;
    }

    [Fact]
    public async Task TheHeadersClientAddressIsTheConnectionsAddressEverywhere()
    {
        await using var server = new TestSshServer(o => o.ProxyProtocol.IsTrustedSender = a => IPAddress.IsLoopback(a));
        server.Handler.AllowedKeys[_userKey.PublicKey.FingerprintSha256] = "alice";
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var port = ProxyOnce(server.Port, Encoding.ASCII.GetBytes("PROXY TCP4 203.0.113.7 192.0.2.1 51234 2222\r\n"), cts.Token);

        using var client = new SshClient(SshNetClients.Info(port, _userKey));
        client.Connect();
        using var cmd = client.CreateCommand("nonsense");
        cmd.Execute();

        Assert.True(SpinWait.SpinUntil(() => server.Log.Addresses.Contains("auth-ok 203.0.113.7:51234"), TimeSpan.FromSeconds(10)), string.Join("\n", server.Log.Addresses));
        Assert.Contains("open 203.0.113.7:51234", server.Log.Addresses);
        var session = Assert.Single(server.Handler.Sessions);
        Assert.Equal("203.0.113.7:51234", session.RemoteEndPoint!.ToString());
    }

    [Fact]
    public async Task AVersion2LocalHeaderKeepsTheProxysOwnAddress()
    {
        await using var server = new TestSshServer(o => o.ProxyProtocol.IsTrustedSender = a => IPAddress.IsLoopback(a));
        server.Handler.AllowedKeys[_userKey.PublicKey.FingerprintSha256] = "alice";
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        byte[] local = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00];
        var port = ProxyOnce(server.Port, local, cts.Token);

        using var client = new SshClient(SshNetClients.Info(port, _userKey));
        client.Connect();

        Assert.True(SpinWait.SpinUntil(() => server.Log.Addresses.Any(a => a.StartsWith("auth-ok 127.0.0.1:", StringComparison.Ordinal)), TimeSpan.FromSeconds(10)),
            string.Join("\n", server.Log.Addresses));
    }

    [Theory]
    [InlineData("SSH-2.0-Direct_1.0\r\n", "refused trusted proxy: no PROXY protocol header")]
    [InlineData("PROXY TCP4 203.0.113.7 192.0.2.1 51234 70000\r\n", "refused trusted proxy: PROXY v1 port '70000' is not a number from 0 to 65535")]
    public async Task ATrustedSenderWithoutAWellFormedHeaderIsRefused(string first, string logged)
    {
        await using var server = new TestSshServer(o => o.ProxyProtocol.IsTrustedSender = a => IPAddress.IsLoopback(a));
        using var raw = new RawSshClient(server.Port);
        raw.Send(Encoding.ASCII.GetBytes(first));

        Assert.True(raw.ReadsToEnd(), "the connection stays open");
        Assert.True(SpinWait.SpinUntil(() => server.Log.Lines.Contains(logged), TimeSpan.FromSeconds(10)), string.Join("\n", server.Log.Lines));
        Assert.Contains(server.Log.Addresses, a => a.StartsWith("refused 127.0.0.1:", StringComparison.Ordinal));
        Assert.DoesNotContain(server.Log.Lines, l => l.StartsWith("open ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ATrustedSenderThatSendsNothingIsRefusedAfterTheHeaderTimeout()
    {
        await using var server = new TestSshServer(o =>
        {
            o.ProxyProtocol.IsTrustedSender = a => IPAddress.IsLoopback(a);
            o.ProxyProtocol.HeaderTimeout = TimeSpan.FromMilliseconds(300);
        });
        using var raw = new RawSshClient(server.Port);

        Assert.True(raw.ReadsToEnd(), "the connection stays open");
        Assert.True(SpinWait.SpinUntil(() => server.Log.Lines.Contains("refused trusted proxy: no PROXY protocol header within 0.3 s"), TimeSpan.FromSeconds(10)),
            string.Join("\n", server.Log.Lines));
    }

    [Theory]
    [InlineData("PROXY TCP4 203.0.113.7 192.0.2.1 51234 2222\r\nSSH-2.0-Spoofer_1.0\r\n")]
    [InlineData("\r\n\r\n\0\r\nQUIT\n\x21\x11\0\x0c\xcb\0\x71\x07\xc0\0\x02\x01\xc8\x22\x08\xaeSSH-2.0-Spoofer_1.0\r\n")]
    public async Task AHeaderFromASenderThatIsNotTrustedIsRefused(string first)
    {
        // Only 192.0.2.1 is trusted; the test connects from 127.0.0.1.
        await using var server = new TestSshServer(o => o.ProxyProtocol.IsTrustedSender = a => a.Equals(IPAddress.Parse("192.0.2.1")));
        using var raw = new RawSshClient(server.Port);
        raw.Send(Encoding.Latin1.GetBytes(first));

        Assert.True(raw.ReadsToEnd(), "the connection stays open");
        Assert.True(SpinWait.SpinUntil(() => server.Log.Lines.Contains("protocol-error ProtocolError PROXY protocol header from a sender that is not a trusted proxy"), TimeSpan.FromSeconds(10)),
            string.Join("\n", server.Log.Lines));
        Assert.Contains(server.Log.Addresses, a => a.StartsWith("protocol-error 127.0.0.1:", StringComparison.Ordinal));
        Assert.DoesNotContain(server.Log.Addresses, a => a.Contains("203.0.113.7", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PerSourceAdmissionCountsTheClientsNotTheProxy()
    {
        // One unauthenticated connection per source: two clients behind the one proxy are both admitted.
        await using var server = new TestSshServer(o =>
        {
            o.MaxUnauthenticatedPerSource = 1;
            o.ProxyProtocol.IsTrustedSender = a => IPAddress.IsLoopback(a);
        });
        using var first = new RawSshClient(server.Port);
        first.Send(Encoding.ASCII.GetBytes("PROXY TCP4 203.0.113.7 192.0.2.1 51234 2222\r\nSSH-2.0-One_1.0\r\n"));
        Assert.StartsWith("SSH-2.0-", first.ReadLine());
        using var second = new RawSshClient(server.Port);
        second.Send(Encoding.ASCII.GetBytes("PROXY TCP4 203.0.113.8 192.0.2.1 51234 2222\r\nSSH-2.0-Two_1.0\r\n"));
        Assert.StartsWith("SSH-2.0-", second.ReadLine());
        Assert.True(SpinWait.SpinUntil(() => server.Log.Lines.Contains("open SSH-2.0-Two_1.0"), TimeSpan.FromSeconds(10)), string.Join("\n", server.Log.Lines));

        // A third from the first client's address is over its limit.
        using var third = new RawSshClient(server.Port);
        third.Send(Encoding.ASCII.GetBytes("PROXY TCP4 203.0.113.7 192.0.2.1 51235 2222\r\nSSH-2.0-Three_1.0\r\n"));
        Assert.True(SpinWait.SpinUntil(() => server.Log.Lines.Contains("refused too many unauthenticated connections"), TimeSpan.FromSeconds(10)), string.Join("\n", server.Log.Lines));
        Assert.Contains("refused 203.0.113.7:51235", server.Log.Addresses);
    }
}
