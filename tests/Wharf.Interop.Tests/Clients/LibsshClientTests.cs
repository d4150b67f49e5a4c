using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests.Clients;

/// <summary>
/// libssh 0.10.6 (Debian's libssh-dev): Clients/libssh_client.c, compiled with gcc into the server's
/// temporary directory, connects, checks the host key, authenticates with an ed25519 key file, asks for a
/// shell or execs git-upload-pack, and exits with the remote exit status. libssh sends a cipher list with a
/// trailing comma (an empty name-list element).
/// </summary>
public sealed class LibsshClientTests(WharfServer server) : IClassFixture<WharfServer>
{
    private TestUser Alice => server.Alice;

    private string Port => server.SshPort.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task<string> CompileAsync()
    {
        var gcc = ClientMatrix.Require("gcc", "gcc");
        var pkgConfig = ClientMatrix.Require("pkg-config", "pkg-config");
        var flags = await ProcessRunner.RunAsync(pkgConfig, ["--cflags", "--libs", "libssh"]);
        if (flags.ExitCode != 0)
        {
            throw new InvalidOperationException(
                "pkg-config knows no libssh. scripts/test.sh installs it (Debian package libssh-dev): run the tests with " +
                $"`bash scripts/test.sh`, or `apt-get install libssh-dev` first.\n{flags.Describe()}");
        }

        var output = Path.Combine(server.Root, $"libssh_client_{Guid.NewGuid().ToString("N")[..8]}");
        var compiled = await ProcessRunner.RunAsync(
            gcc,
            ["-Wall", "-Wextra", "-Werror", "-O1", "-o", output, ClientMatrix.HelperFile("libssh_client.c"), .. flags.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
            timeout: TimeSpan.FromSeconds(120));
        Expect.Succeeded(compiled, null, "gcc libssh_client.c $(pkg-config --cflags --libs libssh)");
        return output;
    }

    [Fact]
    public async Task LibsshShellRequestGreetsAndExitsZero()
    {
        var client = await CompileAsync();
        var key = await ClientMatrix.NewAccountKeyAsync(server, Alice, "libssh");
        var hostKey = await ClientMatrix.HostKeyFingerprintAsync(server);

        var run = await ProcessRunner.RunAsync(
            client,
            [server.Host, Port, "git", key.PrivateKeyPath, hostKey],
            server.Home,
            new Dictionary<string, string?> { ["HOME"] = server.Home });

        Expect.ExitCode(0, run, server, "libssh: shell request");
        ClientMatrix.ExpectGreeting(server, "alice", run, "libssh: shell request");
        Expect.StderrContains("libssh_client: exit status 0\n", run, server, "libssh must have received the exit-status");
    }

    [Fact]
    public async Task LibsshExecOfGitUploadPackAdvertisesTheBranch()
    {
        var client = await CompileAsync();
        var key = await ClientMatrix.NewAccountKeyAsync(server, Alice, "libssh-exec");
        var hostKey = await ClientMatrix.HostKeyFingerprintAsync(server);
        var repository = await server.CreateRepositoryAsync(Alice, "libssh");
        var (commit, branch) = await Workspace.SeedAsync(server, Alice, repository);

        // Protocol v0: the server advertises its refs; a flush packet ("0000") says we want nothing.
        var run = await ProcessRunner.RunAsync(
            client,
            [server.Host, Port, "git", key.PrivateKeyPath, hostKey, $"git-upload-pack '{repository}.git'"],
            server.Home,
            new Dictionary<string, string?> { ["HOME"] = server.Home },
            stdin: "0000");

        Expect.ExitCode(0, run, server, "libssh: exec git-upload-pack");
        Expect.That(run.Stdout.Contains($"{commit} HEAD\0", StringComparison.Ordinal), "the advertisement must start with HEAD at the seeded commit", run, server);
        Expect.That(run.Stdout.Contains($"{commit} refs/heads/{branch}\n", StringComparison.Ordinal), $"the advertisement must list refs/heads/{branch}", run, server);
        Expect.That(run.Stdout.EndsWith("0000", StringComparison.Ordinal), "the advertisement must end with a flush packet", run, server);
    }
}
