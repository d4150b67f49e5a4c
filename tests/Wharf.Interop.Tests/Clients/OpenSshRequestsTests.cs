using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests.Clients;

/// <summary>
/// The OpenSSH client's requests beyond a plain session, as a user would trigger them: keepalives
/// (ServerAliveInterval) answered so that an idle git session survives, and remote forwarding, stdio
/// forwarding (-W) and X11 forwarding refused with the messages ssh prints, without breaking the session.
/// </summary>
public sealed class OpenSshRequestsTests(WharfServer server) : IClassFixture<WharfServer>
{
    private TestUser Alice => server.Alice;

    [Fact]
    public async Task KeepalivesAreAnsweredSoAnIdleGitSessionSurvives()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "keepalive");
        var (commit, branch) = await Workspace.SeedAsync(server, Alice, repository);
        // ssh sends keepalive@openssh.com (want_reply) after each idle second and gives up after two without
        // an answer ("Timeout, server not responding"). git-upload-pack waits 4 s for our flush packet.
        var ssh = string.Join(' ', new[] { Tools.Ssh }
            .Concat(server.SshOptions(Alice.Key))
            .Concat(["-vvv", "-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=2", $"git@{server.Host}", $"git-upload-pack '{repository}.git'"])
            .Select(ProcessRunner.Quote));

        var run = await ProcessRunner.RunAsync(
            ClientMatrix.Require("sh", "dash"),
            ["-c", $"(sleep 4; printf 0000) | {ssh}"],
            server.Home,
            new Dictionary<string, string?> { ["HOME"] = server.Home });

        Expect.ExitCode(0, run, server, "an upload-pack session idle for 4 s with ServerAliveInterval=1");
        Expect.That(run.Stdout.Contains($"{commit} refs/heads/{branch}\n", StringComparison.Ordinal), "the ref advertisement is missing", run, server);
        var lines = run.Stderr.Split('\n').Select(line => line.TrimEnd('\r')).ToList();
        var asked = lines.Count(line => line == "debug3: send packet: type 80");
        var answered = lines.Count(line => line is "debug3: receive packet: type 81" or "debug3: receive packet: type 82");
        Expect.That(asked >= 2 && answered >= asked - 1, $"ssh sent {asked} keepalives (type 80) and got {answered} answers (81/82)", run, server);
    }

    [Fact]
    public async Task RemotePortForwardingIsRefusedAndTheGreetingStillComes()
    {
        var run = await server.SshAsync(Alice.Key, ["-T", "-R", "127.0.0.1:0:127.0.0.1:9"]);

        Expect.ExitCode(0, run, server, "ssh -T -R");
        ClientMatrix.ExpectGreeting(server, "alice", run, "ssh -T -R");
        Expect.StderrContains("Warning: remote port forwarding failed for listen port 0", run, server, "ssh -T -R must be refused");
    }

    [Fact]
    public async Task StdioForwardingIsAdministrativelyProhibited()
    {
        var run = await server.SshAsync(Alice.Key, ["-W", "127.0.0.1:9"]);

        Expect.ExitCode(255, run, server, "ssh -W");
        Expect.StderrContains("channel 0: open failed: administratively prohibited", run, server, "ssh -W (direct-tcpip) must be refused");
        Expect.StderrContains("stdio forwarding failed", run, server, "ssh -W");
        Expect.StdoutIs("", run, server, "ssh -W");
    }

    [Fact]
    public async Task X11ForwardingIsRefusedAndTheGreetingStillComes()
    {
        List<string> arguments = [.. server.SshOptions(Alice.Key), "-T", "-X", $"git@{server.Host}"];
        var run = await ProcessRunner.RunAsync(
            Tools.Ssh,
            arguments,
            server.Home,
            new Dictionary<string, string?> { ["HOME"] = server.Home, ["DISPLAY"] = ":0" });

        Expect.ExitCode(0, run, server, "ssh -T -X");
        ClientMatrix.ExpectGreeting(server, "alice", run, "ssh -T -X");
        Expect.StderrContains("X11 forwarding request failed on channel 0", run, server, "ssh -T -X must be refused");
    }
}
