using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// The informational SSH commands with the real OpenSSH client (docs/SSH-COMMANDS.md): exact stdout, stderr and exit
/// status, several commands in a row over one kept-open ControlMaster connection, and with a repository access key.
/// </summary>
public sealed partial class SshCommandsTests(WharfServer server) : IClassFixture<WharfServer>
{
    private string Help => SshSessionTests.HelpCommand(server);

    // LogLevel=ERROR: ssh's own "Permanently added ... to the list of known hosts" must not count as the server's stderr.
    private Task<ProcessResult> RunAsync(SshKey key, string? command, ControlMaster? master = null) =>
        server.SshAsync(key, master is null ? ["-o", "LogLevel=ERROR", "-T"] : [.. master.ThroughMaster, "-T"], command);

    private void ExpectOutput(string expected, ProcessResult run, string what)
    {
        Expect.ExitCode(0, run, server, what);
        Expect.StdoutIs(expected, run, server, what);
        Expect.That(run.Stderr == "", $"{what}: nothing on stderr", run, server);
    }

    [GeneratedRegex(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")]
    private static partial Regex TextTime();

    [Fact]
    public async Task SeveralCommandsInARowOverOneControlMasterConnection()
    {
        var carol = await server.CreateUserAsync("carol-" + Guid.NewGuid().ToString("N")[..6], "ed25519", "rsa");
        var site = await server.CreateRepositoryAsync(carol, "site");
        var notes = await server.CreateRepositoryAsync(carol, "notes", hg: true);
        var (ed25519, rsa) = (carol.Keys[0], carol.Keys[1]);
        await using var master = await ControlMaster.OpenAsync(server, ed25519);

        var greeting = await RunAsync(ed25519, null, master);
        ExpectOutput(SshSessionTests.Greeting(server, carol, ed25519), greeting, "ssh -T through the master");

        ExpectOutput(SshSessionTests.Greeting(server, carol, ed25519), await RunAsync(ed25519, "whoami", master), "whoami through the master");

        ExpectOutput($"{{\"account\":\"{carol.Name}\",\"access_key\":false,\"key\":{{\"label\":\"laptop-ed25519\",\"type\":\"ssh-ed25519\","
            + $"\"fingerprint\":\"{ed25519.Fingerprint}\",\"expires_at\":null}}}}\n", await RunAsync(ed25519, "whoami --json", master), "whoami --json");

        // By name: notes-N and site-N, each owned, so admin.
        var lines = new[] { $"admin hg  {notes}", $"admin git {site}" }.OrderBy(l => l[10..], StringComparer.Ordinal);
        ExpectOutput($"Repositories {carol.Name} may reach:\n\n" + string.Concat(lines.Select(l => l + "\n")), await RunAsync(ed25519, "info", master), "info");

        // The key in use was used now; the other never.
        var keys = await RunAsync(ed25519, "keys", master);
        Expect.ExitCode(0, keys, server, "keys");
        Expect.StdoutIs($"Keys of {carol.Name} (* marks the key in use):\n\n"
            + $"* laptop-ed25519  ssh-ed25519  {ed25519.Fingerprint}  last used TIME\n"
            + $"  laptop-rsa      ssh-rsa      {rsa.Fingerprint}  never used\n",
            keys with { Stdout = TextTime().Replace(keys.Stdout, "TIME") }, server, "keys");

        var keysJson = await RunAsync(ed25519, "keys --json", master);
        Expect.ExitCode(0, keysJson, server, "keys --json");
        var listed = JsonNode.Parse(keysJson.Stdout)!["keys"]!.AsArray();
        Assert.Equal([("laptop-ed25519", ed25519.Fingerprint, true), ("laptop-rsa", rsa.Fingerprint, false)],
            listed.Select(k => ((string)k!["label"]!, (string)k["fingerprint"]!, (bool)k["in_use"]!)));

        var unknown = await RunAsync(ed25519, "bogus --json", master);
        Expect.ExitCode(1, unknown, server, "an unknown command through the master");
        Expect.StdoutIs("", unknown, server, "an unknown command prints nothing on stdout");
        Expect.That(unknown.Stderr == $"wharf: Unknown command 'bogus --json'. Try '{Help}'.\n", "the unknown command's exact message", unknown, server);

        var help = await RunAsync(ed25519, "help", master);
        ExpectOutput($"Usage: ssh -p {server.SshPort} git@{server.Host} [COMMAND] [--json]\n\n"
            + "With no command, ssh -T says who you are. Commands:\n\n"
            + "  whoami         the account and key you are logged in with, and when the key expires\n"
            + "  info           the repositories this key may read and write\n"
            + "  keys           your account's SSH keys; * marks the key in use\n"
            + "  host_key_info  this server's host keys, as fingerprints and known_hosts lines\n"
            + "  help           this list\n"
            + "\n--json prints one JSON object instead of text. git and hg clients run their own commands as usual.\n", help, "help");

        var hostKeys = await RunAsync(ed25519, "host_key_info --json", master);
        Expect.ExitCode(0, hostKeys, server, "host_key_info --json");
        Assert.Equal($"[{server.Host}]:{server.SshPort}", (string)JsonNode.Parse(hostKeys.Stdout)!["host"]!);

        // Still the one connection: the master is up and no other login happened.
        Expect.Succeeded(await master.CheckAsync(), server, "ssh -O check after eight commands");
    }

    [Fact]
    public async Task ARepositoryAccessKeySeesItsRepositoriesAndOnlyItself()
    {
        var readOnly = await server.CreateRepositoryAsync(server.Alice, "deploy-read", hg: false);
        var readWrite = await server.CreateRepositoryAsync(server.Bob, "deploy-write", hg: true);
        var key = await SshKey.GenerateAsync(server.KeysDirectory, "deploy-" + Guid.NewGuid().ToString("N")[..8], "ed25519");
        await server.AddAccessKeyAsync(readOnly, key, write: false);
        await server.AddAccessKeyAsync(readWrite, key, write: true);

        var expectedGreeting = $"logged in with access key {key.Fingerprint}.\n\nThis key can read {readOnly}.\nThis key can read and write {readWrite}.\n\n"
            + $"You can use git or hg to connect to Wharf. Shell access is disabled.\nRun '{Help}' for the other commands.\n";
        ExpectOutput(expectedGreeting, await RunAsync(key, null), "ssh -T with an access key");
        ExpectOutput(expectedGreeting, await RunAsync(key, "whoami"), "whoami with an access key");

        ExpectOutput($"Repositories access key {key.Fingerprint} may reach:\n\nread  git {readOnly}\nwrite hg  {readWrite}\n",
            await RunAsync(key, "info"), "info with an access key");
        ExpectOutput($"{{\"account\":null,\"repositories\":[{{\"name\":\"{readOnly}\",\"scm\":\"git\",\"access\":\"read\"}},"
            + $"{{\"name\":\"{readWrite}\",\"scm\":\"hg\",\"access\":\"write\"}}]}}\n", await RunAsync(key, "info --json"), "info --json with an access key");

        var keys = await RunAsync(key, "keys");
        Expect.ExitCode(0, keys, server, "keys with an access key");
        Expect.StdoutIs($"This is a repository access key: it belongs to no account.\n\n* -  ssh-ed25519  {key.Fingerprint}  last used TIME\n",
            keys with { Stdout = TextTime().Replace(keys.Stdout, "TIME") }, server, "keys with an access key");

        var unknown = await RunAsync(key, "cat /etc/passwd");
        Expect.ExitCode(1, unknown, server, "an access key's unknown command");
        Expect.StdoutIs("", unknown, server, "an access key's unknown command");
        Expect.That(unknown.Stderr == $"wharf: Unknown command 'cat /etc/passwd'. Try '{Help}'.\n", "the unknown command's exact message", unknown, server);
    }
}
