using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests.Clients;

/// <summary>
/// paramiko 2.12 (Debian's python3-paramiko, under /usr/bin/python3) through Clients/paramiko_client.py: no
/// strict KEX, curve25519-sha256@libssh.org, aes128-ctr with hmac-sha2-256-etm. The script is an ssh(1)
/// stand-in, so git uses it as its transport with GIT_SSH_VARIANT=ssh (and protocol v2 through `env`).
/// </summary>
public sealed class ParamikoClientTests(WharfServer server) : IClassFixture<WharfServer>
{
    private TestUser Alice => server.Alice;

    private async Task<string[]> ClientAsync(SshKey key) =>
    [
        await ClientMatrix.RequirePythonModuleAsync("paramiko", "python3-paramiko"),
        ClientMatrix.HelperFile("paramiko_client.py"),
        "--key", key.PrivateKeyPath,
        "--host-key", await ClientMatrix.HostPublicKeyFileAsync(server),
    ];

    [Fact]
    public async Task ParamikoShellRequestGreetsAndExitsZero()
    {
        var key = await ClientMatrix.NewAccountKeyAsync(server, Alice, "paramiko");
        var client = await ClientAsync(key);

        var run = await ProcessRunner.RunAsync(
            client[0],
            [.. client[1..], "-p", server.SshPort.ToString(System.Globalization.CultureInfo.InvariantCulture), $"git@{server.Host}"],
            server.Home,
            new Dictionary<string, string?> { ["HOME"] = server.Home });

        Expect.ExitCode(0, run, server, "paramiko: session, shell request without a PTY");
        ClientMatrix.ExpectGreeting(server, "alice", run, "paramiko: session, shell request without a PTY");
    }

    [Fact]
    public async Task GitCloneAndPushThroughParamiko()
    {
        var key = await ClientMatrix.NewAccountKeyAsync(server, Alice, "paramiko-git");
        var client = await ClientAsync(key);
        var transport = new Dictionary<string, string?>
        {
            ["GIT_SSH_COMMAND"] = string.Join(' ', client.Select(ProcessRunner.Quote)),
            ["GIT_SSH_VARIANT"] = "ssh",
            ["GIT_TRACE_PACKET"] = "1",
        };

        var trip = await ClientMatrix.CloneAndPushAsync(server, Alice, "paramiko", transport, server.SshUrl);

        Expect.That(trip.SecondClone.Stderr.Contains("clone< version 2", StringComparison.Ordinal), "git asked for protocol v2 through paramiko's env request; the server must answer `version 2`", trip.SecondClone, server);
    }
}
