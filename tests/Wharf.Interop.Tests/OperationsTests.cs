using System.Net.Http;
using System.Text.Json;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>`wharf serve` with <c>WHARF_Logging__Format=json</c>, its own instance so its counters start at zero.</summary>
public sealed class JsonLoggingServer : WharfServer
{
    protected override IReadOnlyDictionary<string, string?> ServerEnvironment { get; } =
        new Dictionary<string, string?> { ["WHARF_Logging__Format"] = "json" };
}

/// <summary>What an operator sees while real clients use the server: metrics, JSON logs, a CI-sized burst of logins.</summary>
public sealed class OperationsTests(JsonLoggingServer server) : IClassFixture<JsonLoggingServer>
{
    [Fact]
    public async Task MetricsCountLoginsRefusedKeysGitOperationsAndBytes()
    {
        var repository = await server.CreateRepositoryAsync(server.Alice, "metrics");
        Expect.Succeeded(await server.SshAsync(server.Alice.Key, ["-T"]), server, "ssh -T as alice");
        Expect.Failed(await server.SshAsync(server.StrangerKey, ["-T"]), server, "ssh -T with an unknown key");
        var lsRemote = await server.GitAsync(server.Alice, server.NewDirectory("ls-remote"), ["ls-remote", server.Url(repository)]);
        Expect.Succeeded(lsRemote, server, "git ls-remote");

        var metrics = await ScrapeAsync();

        Assert.True(metrics["wharf_ssh_connections_total"] >= 3, Show(metrics));
        Assert.True(metrics["wharf_ssh_authentications_total{result=\"success\"}"] >= 2, Show(metrics));
        Assert.True(metrics["wharf_ssh_authentications_total{result=\"failure\"}"] >= 1, Show(metrics));
        Assert.True(metrics["wharf_git_operations_total{service=\"upload-pack\",status=\"0\"}"] >= 1, Show(metrics));
        Assert.True(metrics["wharf_git_operation_duration_seconds_count{service=\"upload-pack\"}"] >= 1, Show(metrics));
        Assert.True(metrics["wharf_git_operation_duration_seconds_bucket{service=\"upload-pack\",le=\"+Inf\"}"] >= 1, Show(metrics));
        Assert.True(metrics["wharf_ssh_bytes_total{direction=\"in\"}"] > 0, Show(metrics));
        Assert.True(metrics["wharf_ssh_bytes_total{direction=\"out\"}"] > 0, Show(metrics));
    }

    [Fact]
    public async Task EveryLogLineIsOneJsonObjectAndALoginCarriesItsFields()
    {
        Expect.Succeeded(await server.SshAsync(server.Bob.Key, ["-T"]), server, "ssh -T as bob");

        // The console logger writes from its own queue: the login's line can reach stderr a moment after the
        // greeting reached the client. Wait for it (bounded), then check every line.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!server.StderrLines().Any(l => l.Contains("\"EventId\":1004", StringComparison.Ordinal) && l.Contains("bob", StringComparison.Ordinal))
               && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        var lines = server.StderrLines();
        Assert.NotEmpty(lines);
        var events = lines.Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var login = events.First(e => e.GetProperty("EventId").GetInt32() == 1004 && e.GetProperty("State").GetProperty("Principal").GetString() == "bob");
        Assert.Equal("Information", login.GetProperty("LogLevel").GetString());
        Assert.Equal("127.0.0.1", login.GetProperty("State").GetProperty("RemoteAddress").GetString());
        Assert.StartsWith("SHA256:", login.GetProperty("State").GetProperty("KeyFingerprint").GetString());
        Assert.StartsWith("SSH login of bob with key SHA256:", login.GetProperty("Message").GetString());
    }

    [Fact]
    public async Task ABurstOf200SimultaneousLoginsFromOneAddressIsAllAccepted()
    {
        // A CI farm behind one NAT address: sshd's default MaxStartups 10:30:100 drops many of these.
        var runs = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ =>
            server.SshAsync(server.Alice.Key, ["-o", "KexAlgorithms=curve25519-sha256", "-T"])));

        foreach (var run in runs)
        {
            Expect.ExitCode(0, run, server, "one of 200 simultaneous ssh -T");
            Expect.StdoutIs(SshSessionTests.Greeting(server, server.Alice), run, server, "one of 200 simultaneous ssh -T");
        }
        var metrics = await ScrapeAsync();
        Assert.Equal(0, metrics["wharf_ssh_connections_refused_total"]);
    }

    private async Task<Dictionary<string, double>> ScrapeAsync()
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(server.HttpBaseUrl + "/metrics");
        return text.Split('\n')
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => (Name: l[..l.LastIndexOf(' ')], Value: double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)))
            .ToDictionary(p => p.Name, p => p.Value);
    }

    private static string Show(Dictionary<string, double> metrics) => string.Join('\n', metrics.Select(m => $"{m.Key} {m.Value}"));
}
