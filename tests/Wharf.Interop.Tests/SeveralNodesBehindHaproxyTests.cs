using Microsoft.EntityFrameworkCore;
using Wharf.Core.Audit;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// Two nodes of one service (<see cref="WharfCluster"/>: one PostgreSQL database, so it needs
/// <c>WHARF_TEST_POSTGRES</c> like <see cref="SeveralNodesTests"/>), both with <c>Ssh:TrustedProxies=127.0.0.1</c>,
/// behind one Debian haproxy whose backend names both SSH ports with <c>send-proxy-v2</c> (<see cref="Haproxy"/>: the
/// two-node block of docs/OPERATIONS.md).
/// </summary>
public sealed class ProxiedWharfCluster : WharfCluster
{
    protected override IReadOnlyDictionary<string, string?> ServerEnvironment => Haproxy.NodeEnvironment;

    private Haproxy? haproxy;

    /// <summary>The port haproxy listens on (127.0.0.1), balancing over both nodes' SSH ports.</summary>
    public int ProxyPort => haproxy?.Port ?? throw new InvalidOperationException("haproxy is not running");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        haproxy = await Haproxy.StartAsync(Root, [SshPort, SecondSshPort]);
    }

    public string HaproxyLog() => haproxy?.Log() ?? "--- haproxy (not started) ---";

    public override async Task DisposeAsync()
    {
        haproxy?.Dispose();
        await base.DisposeAsync();
    }
}

/// <summary>
/// Clients reach the two nodes only through haproxy, from loopback addresses other than the proxy's (127.0.0.5 for
/// alice, 127.0.0.6 for a key nobody has; <c>ssh -b</c>). haproxy's <c>leastconn</c> sends one connection after the
/// other to alternate nodes; the tests connect until each node has served one (a bounded number of times), then check
/// that each node recorded the client's address and never the proxy's.
/// </summary>
public sealed class SeveralNodesBehindHaproxyTests(ProxiedWharfCluster cluster) : IClassFixture<ProxiedWharfCluster>
{
    private static readonly string[] Nodes = [WharfServer.FirstNode, WharfCluster.SecondNode];

    /// <summary>Connections tried before the test gives up on reaching both nodes (leastconn needs two).</summary>
    private const int MaxConnections = 6;

    private int Count(string node, string text) =>
        cluster.StderrLines(node).Count(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>
    /// Waits until the nodes together logged <paramref name="text"/> <paramref name="expected"/> times (the log lines are
    /// written from the logger's queue: bounded polling, not a timing assert), and says whether every node has.
    /// </summary>
    private async Task<bool> EachNodeLoggedAsync(string text, int expected)
    {
        for (var i = 0; i < 100 && Nodes.Sum(n => Count(n, text)) < expected; i++) await Task.Delay(100);
        return Nodes.All(n => Count(n, text) > 0);
    }

    private string Describe() => $"{cluster.ServerLog()}\n{cluster.HaproxyLog()}";

    [Fact]
    public async Task PushesThroughHaproxyReachBothNodesAndEachRecordsTheClientsAddress()
    {
        var alice = cluster.Alice;
        var repository = await cluster.CreateRepositoryAsync(alice, "balanced");
        var checkout = cluster.NewDirectory("balanced");
        Expect.Succeeded(await cluster.GitAsync(alice, checkout, ["init", "-q", "-b", "main"]), cluster, "git init");
        Expect.Succeeded(await cluster.GitAsync(alice, checkout, ["remote", "add", "origin", cluster.Url(repository)]), cluster, "git remote add");

        // One SSH connection per push; every push goes through haproxy from 127.0.0.5.
        var pushed = $"alice pushed to {repository}:";
        var pushes = 0;
        var both = false;
        while (!both && pushes < MaxConnections)
        {
            pushes++;
            await Workspace.WriteFileAsync(checkout, "README.md", $"# push {pushes} through haproxy\n");
            await Workspace.CommitAllAsync(cluster, alice, checkout, $"Push {pushes}");
            var push = await cluster.GitAsync(alice, checkout, ["push", "-q", "origin", "HEAD:main"], extraSshOptions: ["-b", "127.0.0.5"], port: cluster.ProxyPort);
            Expect.Succeeded(push, cluster, $"git push {pushes} through haproxy\n{cluster.HaproxyLog()}");
            both = await EachNodeLoggedAsync(pushed, pushes);
        }

        Assert.True(both, $"{pushes} pushes through haproxy did not reach both nodes\n{Describe()}");
        var login = $"SSH login of alice with key {alice.Key.Fingerprint} from ";
        foreach (var node in Nodes)
        {
            var logins = cluster.StderrLines(node).Where(l => l.Contains(login, StringComparison.Ordinal)).ToList();
            Assert.True(logins.Count > 0, $"no login of alice on {node}\n{Describe()}");
            Assert.All(logins, l => Assert.Contains(login + "127.0.0.5 as git", l, StringComparison.Ordinal));
        }

        // The audit entries, in the database both nodes share: one per push, each with the client's address.
        await using var db = cluster.OpenDatabase();
        var addresses = await db.AuditLog.Where(a => a.Action == AuditActions.Push).Select(a => a.SourceAddress).ToListAsync();
        Assert.Equal(Enumerable.Repeat("127.0.0.5", pushes), addresses);
    }

    [Fact]
    public async Task FailedLoginsThroughHaproxyAreLoggedUnderTheClientsAddressOnBothNodes()
    {
        var failed = "Failed SSH authentication from 127.0.0.6 for user git";
        var attempts = 0;
        var both = false;
        while (!both && attempts < MaxConnections)
        {
            attempts++;
            var run = await cluster.SshAsync(cluster.StrangerKey, ["-b", "127.0.0.6", "-T"], port: cluster.ProxyPort);
            Expect.ExitCode(255, run, cluster, $"ssh -T {attempts} through haproxy with an unknown key\n{cluster.HaproxyLog()}");
            Expect.StderrContains("Permission denied (publickey).", run, cluster, $"ssh -T {attempts} through haproxy with an unknown key");
            both = await EachNodeLoggedAsync(failed, attempts);
        }

        Assert.True(both, $"{attempts} failed logins through haproxy did not reach both nodes\n{Describe()}");
        foreach (var node in Nodes)
        {
            Assert.DoesNotContain(cluster.StderrLines(node), l => l.Contains("Failed SSH authentication from 127.0.0.1 ", StringComparison.Ordinal));
        }
    }
}
