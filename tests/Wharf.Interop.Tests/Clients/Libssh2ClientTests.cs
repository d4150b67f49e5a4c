using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests.Clients;

/// <summary>
/// Clients built on libssh2 1.10 (Debian 12), which knows no EtM MAC and no AEAD cipher: they need AES-CTR with the
/// plain hmac-sha2-256/512 (docs/SSH-INTEROP.md §17). libgit2 1.5 through Debian's python3-pygit2 (what GitKraken,
/// cargo and Julia's package manager use) clones and pushes; curl's libssh2 completes the handshake and the login,
/// and then is refused the SFTP subsystem, which Wharf does not offer. Without the plain MACs both failed in the key
/// exchange ("Unable to exchange encryption keys").
/// </summary>
public sealed class Libssh2ClientTests(WharfServer server) : IClassFixture<WharfServer>
{
    private TestUser Alice => server.Alice;

    [Fact]
    public Task Pygit2ClonesAndPushesWithAnEd25519Key() => Pygit2RoundTripAsync(server, "ed25519");

    /// <summary>libssh2 1.10 signs with RSA keys only as ssh-rsa (SHA-1), which Wharf refuses unless Ssh:AllowRsaSha1Signatures is on.</summary>
    [Fact]
    public async Task Pygit2WithAnRsaKeyIsRefusedByDefault()
    {
        var (run, key, _) = await Pygit2Async(server, "rsa");

        Expect.ExitCode(1, run, server, "pygit2 with an RSA key (SHA-1 signatures) against the default settings");
        Expect.That(server.StderrLines().Any(l => l.Contains("Failed SSH authentication from 127.0.0.1 for user git", StringComparison.Ordinal))
            && !server.StderrLines().Any(l => l.Contains(key.Fingerprint, StringComparison.Ordinal)),
            "the SHA-1 signature was not refused as a failed login", run, server);
    }

    internal static async Task<(ProcessResult Run, SshKey Key, string Repository)> Pygit2Async(WharfServer server, string keyType)
    {
        var python = await ClientMatrix.RequirePythonModuleAsync("pygit2", "python3-pygit2");
        var key = await SshKey.GenerateAsync(server.KeysDirectory, $"pygit2_{keyType}_{Guid.NewGuid().ToString("N")[..8]}", keyType);
        await ClientMatrix.AddKeyAsync(server, server.Alice, $"pygit2-{keyType}", key.PublicKeyLine);
        var repository = await server.CreateRepositoryAsync(server.Alice, $"pygit2-{keyType}");
        var work = server.NewDirectory($"pygit2-{keyType}");
        var run = await ProcessRunner.RunAsync(python,
            [ClientMatrix.HelperFile("pygit2_client.py"), server.SshUrl(repository), work, key.PrivateKeyPath + ".pub", key.PrivateKeyPath],
            work, new Dictionary<string, string?> { ["HOME"] = server.Home });
        return (run, key, repository);
    }

    /// <summary>Clone, commit, push, clone again through pygit2, and the same commit seen by git over OpenSSH.</summary>
    internal static async Task Pygit2RoundTripAsync(WharfServer server, string keyType)
    {
        var (run, _, repository) = await Pygit2Async(server, keyType);
        Expect.ExitCode(0, run, server, $"pygit2 with an {keyType} key: clone, commit, push, clone again");
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Expect.That(lines.Length == 2 && lines[0].StartsWith("pushed ", StringComparison.Ordinal), "pygit2 printed no pushed commit", run, server);
        var pushed = lines[0]["pushed ".Length..];
        Expect.That(lines[1] == $"cloned {pushed}", "pygit2's second clone has another HEAD than it pushed", run, server);

        var check = server.NewDirectory($"pygit2-{keyType}-check");
        var clone = await server.GitAsync(server.Alice, check, ["clone", "-q", server.SshUrl(repository), "clone"]);
        Expect.Succeeded(clone, server, "git clone of what pygit2 pushed");
        Assert.Equal(pushed, await Workspace.RevParseAsync(server, server.Alice, Path.Combine(check, "clone"), "main"));
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

/// <summary>A server with <c>Ssh:AllowRsaSha1Signatures</c> on, for RSA keys in libssh2 1.10 clients.</summary>
public sealed class RsaSha1WharfServer : WharfServer
{
    protected override IReadOnlyDictionary<string, string?> ServerEnvironment { get; } =
        new Dictionary<string, string?> { ["WHARF_Ssh__AllowRsaSha1Signatures"] = "true" };
}

public sealed class Libssh2RsaKeyTests(RsaSha1WharfServer server) : IClassFixture<RsaSha1WharfServer>
{
    [Fact]
    public Task Pygit2ClonesAndPushesWithAnRsaKeyWhenSha1SignaturesAreAllowed() => Libssh2ClientTests.Pygit2RoundTripAsync(server, "rsa");
}
