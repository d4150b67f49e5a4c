using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests.Clients;

/// <summary>
/// asyncssh 2.10 (Debian's python3-asyncssh, under /usr/bin/python3) through Clients/asyncssh_client.py, which
/// offers only zlib@openssh.com compression: delayed compression must work for the greeting and for a few
/// MiB of git traffic both ways. The script is an ssh(1) stand-in that git uses with GIT_SSH_VARIANT=ssh.
/// </summary>
public sealed class AsyncSshClientTests(WharfServer server) : IClassFixture<WharfServer>
{
    private const string Compressed = "asyncssh_client: authenticated; compression zlib@openssh.com/zlib@openssh.com";

    private TestUser Alice => server.Alice;

    private async Task<string[]> ClientAsync(SshKey key) =>
    [
        await ClientMatrix.RequirePythonModuleAsync("asyncssh", "python3-asyncssh"),
        ClientMatrix.HelperFile("asyncssh_client.py"),
        "--key", key.PrivateKeyPath,
        "--host-key", await ClientMatrix.HostPublicKeyFileAsync(server),
    ];

    [Fact]
    public async Task AsyncSshShellRequestWithCompressionGreetsAndExitsZero()
    {
        var key = await ClientMatrix.NewAccountKeyAsync(server, Alice, "asyncssh");
        var client = await ClientAsync(key);

        var run = await ProcessRunner.RunAsync(
            client[0],
            [.. client[1..], "-p", server.SshPort.ToString(System.Globalization.CultureInfo.InvariantCulture), $"git@{server.Host}"],
            server.Home,
            new Dictionary<string, string?> { ["HOME"] = server.Home });

        Expect.ExitCode(0, run, server, "asyncssh with zlib@openssh.com: shell request without a PTY");
        ClientMatrix.ExpectGreeting(server, "alice", run, "asyncssh with zlib@openssh.com: shell request without a PTY");
        Expect.StderrContains(Compressed, run, server, "asyncssh must have negotiated zlib@openssh.com both ways");
    }

    [Fact]
    public async Task GitCloneAndPushThroughAsyncSshWithCompression()
    {
        var key = await ClientMatrix.NewAccountKeyAsync(server, Alice, "asyncssh-git");
        var client = await ClientAsync(key);
        var transport = new Dictionary<string, string?>
        {
            ["GIT_SSH_COMMAND"] = string.Join(' ', client.Select(ProcessRunner.Quote)),
            ["GIT_SSH_VARIANT"] = "ssh",
        };

        var trip = await ClientMatrix.CloneAndPushAsync(server, Alice, "asyncssh", transport, server.SshUrl);

        Expect.StderrContains(Compressed, trip.SecondClone, server, "the clone must have run compressed");
        Expect.StderrContains(Compressed, trip.FirstPush, server, "the push must have run compressed");
    }
}
