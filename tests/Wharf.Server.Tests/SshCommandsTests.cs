using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Server.Hosting;
using Wharf.Server.Operations;
using Wharf.Server.Ssh;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Server;

namespace Wharf.Server.Tests;

/// <summary>
/// The informational SSH commands (ssh -T, whoami, info, keys, host_key_info, help, and the refusal of anything
/// else) as the handler answers them, for an account key and for a repository access key (docs/SSH-COMMANDS.md).
/// </summary>
public sealed class SshCommandsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 10, 30, 0, TimeSpan.Zero);
    private const string Help = "ssh -p 2222 git@git.example.org help";

    private readonly TestData _data = new();
    private readonly string _aliceKey = TestKeys.Ed25519("alice@laptop");
    private readonly string _aliceDesktop = TestKeys.EcdsaP256("alice@desktop");
    private readonly string _deployKey = TestKeys.Ed25519("ci@build");
    private ServiceProvider _services = null!;
    private WharfSshHandler _handler = null!;

    public async Task InitializeAsync()
    {
        await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org");
        await _data.RunAsync("admin", "user", "create", "bob", "--email", "bob@example.org");
        await _data.PipeAsync(_aliceKey, "admin", "key", "add", "alice");
        await _data.PipeAsync(_aliceDesktop, "admin", "key", "add", "alice", "--label", "desktop", "--expires", "2027-01-31");
        await _data.RunAsync("admin", "repo", "create", "alice/site");
        await _data.RunAsync("admin", "repo", "create", "alice/notes", "--hg");
        await _data.RunAsync("admin", "repo", "create", "bob/secret");
        await _data.RunAsync("admin", "repo", "create", "bob/open", "--public");
        await _data.RunAsync("admin", "repo", "create", "bob/shared");
        await _data.RunAsync("admin", "repo", "grant", "bob/shared", "alice", "--permission", "write");
        await _data.PipeAsync(_deployKey, "admin", "repo", "access-key", "add", "bob/secret", "--label", "ci");
        await _data.PipeAsync(_deployKey, "admin", "repo", "access-key", "add", "alice/site", "--label", "deploy", "--write");
        _services = Services();
        _handler = _services.GetRequiredService<WharfSshHandler>();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        _data.Dispose();
    }

    private sealed class FixedClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private ServiceProvider Services(SshHostKey? hostKey = null)
    {
        var services = new ServiceCollection().AddLogging().AddWharf(_data.Paths, _data.Database);
        services.AddSingleton<TimeProvider>(new FixedClock());
        services.AddSingleton<WharfSshHandler>();
        services.AddOperations();
        if (hostKey is not null) services.AddSingleton(new PublishedHostKeys([hostKey]));
        var provider = services.BuildServiceProvider();
        var address = provider.GetRequiredService<WebAddress>();
        address.SshHost = "git.example.org";
        address.SshPort = 2222;
        return provider;
    }

    private async Task<(int Status, string Out, string Error)> RunAsync(string? command, SshPrincipal principal, WharfSshHandler? handler = null)
    {
        var output = new MemoryStream();
        var error = new MemoryStream();
        var session = new SshSession
        {
            Principal = principal,
            UserName = "git",
            Command = command,
            Environment = new Dictionary<string, string>(),
            Input = new MemoryStream(),
            Output = output,
            Error = error,
        };
        var status = await (handler ?? _handler).RunSessionAsync(session, CancellationToken.None);
        return (status, Encoding.UTF8.GetString(output.ToArray()), Encoding.UTF8.GetString(error.ToArray()));
    }

    private async Task<SshPrincipal> LoginAsync(string keyLine) =>
        (await _handler.FindPrincipalAsync(new SshAuthRequest("git", SshPublicKey.ParseOpenSsh(keyLine), new IPEndPoint(IPAddress.Loopback, 50000)),
            CancellationToken.None))!;

    private string AliceGreeting =>
        "logged in as alice.\n"
        + $"Key 'alice@laptop': ssh-ed25519 {TestKeys.Fingerprint(_aliceKey)}, does not expire.\n\n"
        + "You can use git or hg to connect to Wharf. Shell access is disabled.\n"
        + $"Run '{Help}' for the other commands.\n";

    [Fact]
    public async Task SshDashTGreetsWithTheAccountKeyLabelFingerprintAndExpiry() =>
        Assert.Equal((0, AliceGreeting, ""), await RunAsync(null, await LoginAsync(_aliceKey)));

    [Fact]
    public async Task WhoamiPrintsTheGreeting() =>
        Assert.Equal((0, AliceGreeting, ""), await RunAsync("whoami", await LoginAsync(_aliceKey)));

    [Fact]
    public async Task AKeyWithAnExpiryDateSaysWhenItExpires()
    {
        var (status, output, error) = await RunAsync("whoami", await LoginAsync(_aliceDesktop));
        Assert.Equal((0, "logged in as alice.\n"
            + $"Key 'desktop': ecdsa-sha2-nistp256 {TestKeys.Fingerprint(_aliceDesktop)}, expires 2027-01-31 00:00:00 UTC.\n\n"
            + "You can use git or hg to connect to Wharf. Shell access is disabled.\n"
            + $"Run '{Help}' for the other commands.\n", ""), (status, output, error));
    }

    [Fact]
    public async Task WhoamiJsonGivesTheSameFacts()
    {
        var (status, output, error) = await RunAsync("whoami --json", await LoginAsync(_aliceDesktop));
        Assert.Equal((0, "{\"account\":\"alice\",\"access_key\":false,\"key\":{\"label\":\"desktop\",\"type\":\"ecdsa-sha2-nistp256\","
            + $"\"fingerprint\":\"{TestKeys.Fingerprint(_aliceDesktop)}\",\"expires_at\":\"2027-01-31T00:00:00Z\"}}}}\n", ""), (status, output, error));
    }

    [Fact]
    public async Task InfoListsTheRepositoriesTheKeyReachesWithScmAndLevel()
    {
        var (status, output, error) = await RunAsync("info", await LoginAsync(_aliceKey));
        // Owned (admin), granted (write), public (read); bob's private repository is not there.
        Assert.Equal((0, "Repositories alice may reach:\n\n"
            + "admin hg  alice/notes\n"
            + "admin git alice/site\n"
            + "read  git bob/open\n"
            + "write git bob/shared\n", ""), (status, output, error));
    }

    [Fact]
    public async Task InfoJsonListsNameScmAndAccess()
    {
        var (status, output, error) = await RunAsync("info --json", await LoginAsync(_aliceKey));
        Assert.Equal((0, "{\"account\":\"alice\",\"repositories\":["
            + "{\"name\":\"alice/notes\",\"scm\":\"hg\",\"access\":\"admin\"},"
            + "{\"name\":\"alice/site\",\"scm\":\"git\",\"access\":\"admin\"},"
            + "{\"name\":\"bob/open\",\"scm\":\"git\",\"access\":\"read\"},"
            + "{\"name\":\"bob/shared\",\"scm\":\"git\",\"access\":\"write\"}]}\n", ""), (status, output, error));
    }

    [Fact]
    public async Task KeysListsTheAccountsKeysAndMarksTheOneInUse()
    {
        var (status, output, error) = await RunAsync("keys", await LoginAsync(_aliceKey));
        Assert.Equal((0, "Keys of alice (* marks the key in use):\n\n"
            + $"* alice@laptop  ssh-ed25519          {TestKeys.Fingerprint(_aliceKey)}  last used 2026-12-05 10:30:00 UTC\n"
            + $"  desktop       ecdsa-sha2-nistp256  {TestKeys.Fingerprint(_aliceDesktop)}  never used\n", ""), (status, output, error));
    }

    [Fact]
    public async Task KeysJsonGivesEachKeyWithLastUseExpiryAndWhichIsInUse()
    {
        var (status, output, error) = await RunAsync("keys --json", await LoginAsync(_aliceDesktop));
        Assert.Equal((0, "{\"account\":\"alice\",\"keys\":["
            + $"{{\"label\":\"alice@laptop\",\"type\":\"ssh-ed25519\",\"fingerprint\":\"{TestKeys.Fingerprint(_aliceKey)}\",\"last_used\":null,\"expires_at\":null,\"in_use\":false}},"
            + $"{{\"label\":\"desktop\",\"type\":\"ecdsa-sha2-nistp256\",\"fingerprint\":\"{TestKeys.Fingerprint(_aliceDesktop)}\",\"last_used\":\"2026-12-05T10:30:00Z\",\"expires_at\":\"2027-01-31T00:00:00Z\",\"in_use\":true}}]}}\n",
            ""), (status, output, error));
    }

    [Fact]
    public async Task HelpListsTheCommandsWithThisServersAddress()
    {
        await using var services = Services(SshHostKey.GenerateEd25519());
        var handler = services.GetRequiredService<WharfSshHandler>();
        var (status, output, error) = await RunAsync("help", await LoginAsync(_aliceKey), handler);
        Assert.Equal((0, "Usage: ssh -p 2222 git@git.example.org [COMMAND] [--json]\n\n"
            + "With no command, ssh -T says who you are. Commands:\n\n"
            + "  whoami         the account and key you are logged in with, and when the key expires\n"
            + "  info           the repositories this key may read and write\n"
            + "  keys           your account's SSH keys; * marks the key in use\n"
            + "  host_key_info  this server's host keys, as fingerprints and known_hosts lines\n"
            + "  help           this list\n"
            + "\n--json prints one JSON object instead of text. git and hg clients run their own commands as usual.\n", ""), (status, output, error));

        var json = JsonNode.Parse((await RunAsync("help --json", await LoginAsync(_aliceKey), handler)).Out)!;
        Assert.Equal(["whoami", "info", "keys", "host_key_info", "help"], json["commands"]!.AsArray().Select(c => (string)c!["name"]!));
    }

    [Fact]
    public async Task HostKeyInfoJsonGivesEachKeyAndTheKnownHostsLines()
    {
        var key = SshHostKey.GenerateEd25519();
        await using var provider = Services(key);
        var line = key.PublicKey.ToOpenSshLine(includeComment: false);

        var (status, output, error) = await RunAsync("host_key_info --json", await LoginAsync(_aliceKey), provider.GetRequiredService<WharfSshHandler>());
        Assert.Equal((0, "{\"host\":\"[git.example.org]:2222\",\"keys\":[{\"type\":\"ssh-ed25519\",\"bits\":256,"
            + $"\"fingerprint\":\"{key.PublicKey.FingerprintSha256}\",\"public_key\":\"{line}\",\"state\":\"active\"}}],\"known_hosts\":[\"[git.example.org]:2222 {line}\"]}}\n", ""),
            (status, output, error));
    }

    [Theory]
    [InlineData("ls -la", "ls -la")]
    [InlineData("whoami now", "whoami now")]
    [InlineData("keys --all", "keys --all")]
    [InlineData("info --json --json", "info --json --json")]
    [InlineData("WHOAMI", "WHOAMI")]
    [InlineData("whoami\n", "whoami?")]
    public async Task AnythingElseIsAnUnknownCommandPointingAtHelp(string command, string shown)
    {
        var (status, output, error) = await RunAsync(command, await LoginAsync(_aliceKey));
        Assert.Equal((1, "", $"wharf: Unknown command '{shown}'. Try '{Help}'.\n"), (status, output, error));
    }

    [Fact]
    public async Task WithoutTheBuiltInServersHostKeysHostKeyInfoIsUnknownAndHelpLeavesItOut()
    {
        // As through wharf shell, behind OpenSSH's sshd, whose host keys Wharf does not know.
        var alice = await LoginAsync(_aliceKey);
        Assert.Equal((1, "", $"wharf: Unknown command 'host_key_info'. Try '{Help}'.\n"), await RunAsync("host_key_info", alice));
        Assert.DoesNotContain("host_key_info", (await RunAsync("help", alice)).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAccessKeyIsGreetedWithItsRepositories()
    {
        var expected = $"logged in with access key {TestKeys.Fingerprint(_deployKey)}.\n\n"
            + "This key can read bob/secret.\nThis key can read and write alice/site.\n\n"
            + "You can use git or hg to connect to Wharf. Shell access is disabled.\n"
            + $"Run '{Help}' for the other commands.\n";
        var deploy = await LoginAsync(_deployKey);
        Assert.Equal((0, expected, ""), await RunAsync(null, deploy));
        Assert.Equal((0, expected, ""), await RunAsync("whoami", deploy));
    }

    [Fact]
    public async Task AnAccessKeysInfoListsJustItsRepositories()
    {
        var deploy = await LoginAsync(_deployKey);
        Assert.Equal((0, $"Repositories access key {TestKeys.Fingerprint(_deployKey)} may reach:\n\n"
            + "write git alice/site\n"
            + "read  git bob/secret\n", ""), await RunAsync("info", deploy));
        Assert.Equal((0, "{\"account\":null,\"repositories\":[{\"name\":\"alice/site\",\"scm\":\"git\",\"access\":\"write\"},"
            + "{\"name\":\"bob/secret\",\"scm\":\"git\",\"access\":\"read\"}]}\n", ""), await RunAsync("info --json", deploy));
    }

    [Fact]
    public async Task AnAccessKeysKeysAndWhoamiJsonShowOnlyThatKey()
    {
        var deploy = await LoginAsync(_deployKey);
        var fingerprint = TestKeys.Fingerprint(_deployKey);
        Assert.Equal((0, "This is a repository access key: it belongs to no account.\n\n"
            + $"* -  ssh-ed25519  {fingerprint}  last used 2026-12-05 10:30:00 UTC\n", ""), await RunAsync("keys", deploy));
        Assert.Equal((0, "{\"account\":null,\"access_key\":true,\"key\":{\"label\":null,\"type\":\"ssh-ed25519\",\"fingerprint\":\"" + fingerprint
            + "\",\"expires_at\":null},\"repositories\":[{\"name\":\"alice/site\",\"access\":\"write\"},{\"name\":\"bob/secret\",\"access\":\"read\"}]}\n", ""),
            await RunAsync("whoami --json", deploy));
    }
}
