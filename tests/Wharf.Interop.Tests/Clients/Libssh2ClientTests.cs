using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests.Clients;

/// <summary>
/// Clients built on libssh2 1.10 (Debian 12), which knows no EtM MAC and no AEAD cipher: they need AES-CTR with the
/// plain hmac-sha2-256/512 (docs/SSH-INTEROP.md §16). libgit2 1.5 through Debian's python3-pygit2 (what GitKraken,
/// cargo and Julia's package manager use) clones and pushes; curl's libssh2 completes the handshake and the login,
/// and then is refused the SFTP subsystem, which Wharf does not offer. Without the plain MACs both failed in the key
/// exchange ("Unable to exchange encryption keys").
/// </summary>
public sealed class Libssh2ClientTests(WharfServer server) : IClassFixture<WharfServer>
{
    private TestUser Alice => server.Alice;

    [Fact]
    public async Task Pygit2ClonesAndPushesWithAnEd25519Key()
    {
        var python = await ClientMatrix.RequirePythonModuleAsync("pygit2", "python3-pygit2");
        var key = await ClientMatrix.NewAccountKeyAsync(server, Alice, "pygit2");
        var repository = await server.CreateRepositoryAsync(Alice, "pygit2");
        var work = server.NewDirectory("pygit2");

        var run = await ProcessRunner.RunAsync(python,
            [ClientMatrix.HelperFile("pygit2_client.py"), server.SshUrl(repository), work, key.PrivateKeyPath + ".pub", key.PrivateKeyPath],
            work, new Dictionary<string, string?> { ["HOME"] = server.Home });

        Expect.ExitCode(0, run, server, "pygit2: clone, commit, push, clone again");
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Expect.That(lines.Length == 2 && lines[0].StartsWith("pushed ", StringComparison.Ordinal), "pygit2 printed no pushed commit", run, server);
        var pushed = lines[0]["pushed ".Length..];
        Expect.That(lines[1] == $"cloned {pushed}", "pygit2's second clone has another HEAD than it pushed", run, server);

        // What git over OpenSSH sees of the push: the same commit on main.
        var check = server.NewDirectory("pygit2-check");
        Expect.Succeeded(await server.GitAsync(Alice, check, ["clone", "-q", server.Url(repository), "clone"]), server, "git clone of what pygit2 pushed");
        Assert.Equal(pushed, await Workspace.RevParseAsync(server, Alice, Path.Combine(check, "clone"), "main"));
    }

    [Fact]
    public async Task CurlsLibssh2LogsInAndIsThenRefusedTheSftpSubsystem()
    {
        var curl = ClientMatrix.Require("curl", "curl");
        var key = await ClientMatrix.NewAccountKeyAsync(server, Alice, "curl");
        var port = server.SshPort.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // -k: no known_hosts check (libssh2 would look in ~/.ssh/known_hosts, which this HOME does not have).
        var run = await ProcessRunner.RunAsync(curl,
            ["-v", "-k", "--key", key.PrivateKeyPath, "--pubkey", key.PrivateKeyPath + ".pub", "-u", "git:", $"sftp://{server.Host}:{port}/"],
            server.Home, new Dictionary<string, string?> { ["HOME"] = server.Home });

        // curl's exit code 2 is "failed to initialise"; the handshake and the login came before.
        Expect.ExitCode(2, run, server, "curl sftp:// against Wharf");
        Expect.StderrContains("* SSH authentication methods available: publickey", run, server, "curl: key exchange done");
        Expect.StderrContains("* Authentication complete", run, server, "curl: logged in");
        Expect.StderrContains("Unable to request SFTP subsystem", run, server, "curl: the subsystem is refused");
        Expect.That(server.StderrLines().Any(l => l.Contains($"SSH login of alice with key {key.Fingerprint} from 127.0.0.1 as git", StringComparison.Ordinal)),
            "the server logged no login of curl's key", run, server);
    }
}
