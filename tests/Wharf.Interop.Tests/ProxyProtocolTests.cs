using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Wharf.Core;
using Wharf.Core.Audit;
using Wharf.Data;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// `wharf serve` with <c>Ssh:TrustedProxies=127.0.0.1</c> behind Debian's haproxy (<see cref="Haproxy"/>: the
/// configuration of docs/OPERATIONS.md, "HAProxy in front of the SSH port", with this one node). Clients connect to haproxy
/// from other loopback addresses (127.0.0.5, 127.0.0.6; <c>ssh -b</c>), so the address Wharf records shows whether it
/// took the client's address from the header or the proxy's from the socket.
/// </summary>
public sealed class ProxiedWharfServer : WharfServer
{
    protected override IReadOnlyDictionary<string, string?> ServerEnvironment => Haproxy.NodeEnvironment;

    private Haproxy? _haproxy;

    /// <summary>The port haproxy listens on (127.0.0.1), forwarding to the node's SSH port.</summary>
    public int ProxyPort => _haproxy?.Port ?? throw new InvalidOperationException("haproxy is not running");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _haproxy = await Haproxy.StartAsync(Root, [SshPort]);
    }

    public string HaproxyLog() => _haproxy?.Log() ?? "--- haproxy (not started) ---";

    public override async Task DisposeAsync()
    {
        _haproxy?.Dispose();
        await base.DisposeAsync();
    }
}

public sealed class ProxyProtocolTests(ProxiedWharfServer server) : IClassFixture<ProxiedWharfServer>
{
    private async Task<bool> LoggedAsync(string text)
    {
        // The login line is written from the logger's queue: bounded polling, not a timing assert.
        for (var i = 0; i < 100; i++)
        {
            if (server.StderrLines().Any(l => l.Contains(text, StringComparison.Ordinal))) return true;
            await Task.Delay(100);
        }
        return false;
    }

    [Fact]
    public async Task ALoginAndAPushThroughHaproxyAreRecordedUnderTheClientsAddress()
    {
        var alice = server.Alice;
        var run = await server.SshAsync(alice.Key, ["-b", "127.0.0.5", "-T"], port: server.ProxyPort);

        Expect.ExitCode(0, run, server, "ssh -T through haproxy\n" + server.HaproxyLog());
        Expect.StdoutIs(SshSessionTests.Greeting(server, alice), run, server, "ssh -T through haproxy");
        Expect.That(await LoggedAsync($"SSH login of alice with key {alice.Key.Fingerprint} from 127.0.0.5 as git"),
            "the login through haproxy is not logged under the client's address 127.0.0.5", run, server);

        // A push through haproxy: its audit entry carries the client's address.
        var repository = await server.CreateRepositoryAsync(alice, "proxied");
        var parent = server.NewDirectory("proxied");
        string[] via = ["-b", "127.0.0.5"];
        Expect.Succeeded(await server.GitAsync(alice, parent, ["clone", "-q", server.Url(repository), "checkout"], extraSshOptions: via, port: server.ProxyPort), server, "git clone through haproxy");
        var checkout = Path.Combine(parent, "checkout");
        await Workspace.WriteFileAsync(checkout, "README.md", "# through haproxy\n");
        await Workspace.CommitAllAsync(server, alice, checkout, "Through haproxy");
        Expect.Succeeded(await server.GitAsync(alice, checkout, ["push", "-q", "origin", "HEAD:main"], extraSshOptions: via, port: server.ProxyPort), server, "git push through haproxy");

        await using var db = WharfDatabase.OpenSqlite(new WharfPaths(server.DataDirectory));
        var pushes = await db.AuditLog.Where(a => a.Action == AuditActions.Push).Select(a => a.SourceAddress).ToListAsync();
        Assert.Equal(["127.0.0.5"], pushes);
    }

    [Fact]
    public async Task AFailedLoginThroughHaproxyIsLoggedUnderTheClientsAddressForFail2ban()
    {
        var run = await server.SshAsync(server.StrangerKey, ["-b", "127.0.0.6", "-T"], port: server.ProxyPort);

        Expect.ExitCode(255, run, server, "ssh -T through haproxy with an unknown key");
        Expect.StderrContains("Permission denied (publickey).", run, server, "ssh -T through haproxy with an unknown key");
        Expect.That(await LoggedAsync("Failed SSH authentication from 127.0.0.6 for user git"),
            "the failed login through haproxy is not logged under the client's address 127.0.0.6", run, server);
        Expect.That(!server.StderrLines().Any(l => l.Contains("Failed SSH authentication from 127.0.0.1 ", StringComparison.Ordinal)),
            "a failed login was logged under the proxy's address", run, server);
    }

    [Fact]
    public async Task APROXYHeaderFromAnAddressThatIsNotTrustedIsRefused()
    {
        using var tcp = new TcpClient(new IPEndPoint(IPAddress.Parse("127.0.0.5"), 0));
        await tcp.ConnectAsync(IPAddress.Loopback, server.SshPort);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("PROXY TCP4 203.0.113.9 127.0.0.1 40000 22\r\nSSH-2.0-Spoofer_1.0\r\n"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new MemoryStream();
        await stream.CopyToAsync(received, timeout.Token);

        var refused = "SSH protocol error from 127.0.0.5 (ProtocolError): PROXY protocol header from a sender that is not a trusted proxy";
        Assert.True(await LoggedAsync(refused), $"no line `{refused}`\n{server.ServerLog()}");
        Assert.DoesNotContain(server.StderrLines(), l => l.Contains("203.0.113.9", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AConnectionFromTheTrustedProxyWithoutAHeaderIsRefused()
    {
        // Straight to the node from 127.0.0.1, the trusted proxy's address, as a misconfigured proxy would.
        var run = await server.SshAsync(server.Alice.Key, ["-T"]);

        Expect.ExitCode(255, run, server, "ssh -T from the proxy's address without a header");
        Expect.That(await LoggedAsync("SSH connection from 127.0.0.1 refused: trusted proxy: no PROXY protocol header"),
            "the refusal of a header-less connection from the trusted proxy is not logged", run, server);
    }
}
