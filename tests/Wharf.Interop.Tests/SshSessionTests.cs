using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>The real OpenSSH client logging in to `wharf serve`: the greeting, refusals, no shell.</summary>
public sealed class SshSessionTests(WharfServer server) : IClassFixture<WharfServer>
{
    /// <summary>What <c>ssh -T</c> prints for USER logging in with KEY (added by <see cref="WharfServer.CreateUserAsync"/> as laptop-TYPE, no expiry).</summary>
    public static string Greeting(WharfServer server, TestUser user, SshKey? key = null, string? label = null)
    {
        key ??= user.Key;
        return $"logged in as {user.Name}.\n"
            + $"Key '{label ?? "laptop-" + key.Type}': {key.PublicKeyLine.Split(' ')[0]} {key.Fingerprint}, does not expire.\n\n"
            + "You can use git or hg to connect to Wharf. Shell access is disabled.\n"
            + $"Run '{HelpCommand(server)}' for the other commands.\n";
    }

    /// <summary><c>ssh -p PORT git@127.0.0.1 help</c>: the server's public host and port, as the help hints give them.</summary>
    public static string HelpCommand(WharfServer server) => $"ssh -p {server.SshPort} git@{server.Host} help";


    [Theory]
    [InlineData("ed25519")]
    [InlineData("rsa")]
    [InlineData("ecdsa")]
    public async Task SshDashTGreetsTheKeysOwnerAndExitsZero(string keyType)
    {
        var run = await server.SshAsync(server.Alice.KeyOfType(keyType), ["-T"]);

        Expect.ExitCode(0, run, server, $"ssh -T with alice's {keyType} key");
        Expect.StdoutIs(Greeting(server, server.Alice, server.Alice.KeyOfType(keyType)), run, server, $"ssh -T with alice's {keyType} key");
    }

    [Theory]
    [InlineData("Ciphers=chacha20-poly1305@openssh.com")]
    [InlineData("Ciphers=aes256-gcm@openssh.com")]
    [InlineData("Ciphers=aes128-gcm@openssh.com")]
    [InlineData("Ciphers=aes128-ctr", "MACs=hmac-sha2-256-etm@openssh.com")]
    [InlineData("Ciphers=aes256-ctr", "MACs=hmac-sha2-256-etm@openssh.com")]
    // What libssh2 1.10 (libgit2, curl) can use: AES-CTR with a plain SHA-2 MAC (docs/SSH-INTEROP.md §17).
    [InlineData("Ciphers=aes128-ctr", "MACs=hmac-sha2-256")]
    [InlineData("Ciphers=aes128-ctr", "MACs=hmac-sha2-512")]
    [InlineData("KexAlgorithms=curve25519-sha256")]
    [InlineData("KexAlgorithms=curve25519-sha256@libssh.org")]
    // OpenSSH 9.x's default, and the post-quantum hybrid whose sntrup761 half Wharf encapsulates itself (Sntrup761.cs).
    [InlineData("KexAlgorithms=sntrup761x25519-sha512@openssh.com")]
    [InlineData("HostKeyAlgorithms=ssh-ed25519")]
    [InlineData("Compression=yes")]
    public async Task SshDashTGreetsWithEachRequiredAlgorithm(params string[] options)
    {
        // The client offers only this one algorithm, so the session fails unless the server does it.
        var run = await server.SshAsync(server.Alice.Key, [.. options.SelectMany(o => new[] { "-o", o }), "-T"]);

        Expect.ExitCode(0, run, server, $"ssh -T with {string.Join(", ", options)}");
        Expect.StdoutIs(Greeting(server, server.Alice), run, server, $"ssh -T with {string.Join(", ", options)}");
    }

    [Fact]
    public async Task TheKeyDecidesTheAccountNotTheSshUserName()
    {
        var run = await server.SshAsync(server.Bob.Key, ["-T"]);

        Expect.ExitCode(0, run, server, "ssh -T git@ with bob's key");
        Expect.StdoutIs(Greeting(server, server.Bob), run, server, "ssh -T git@ with bob's key");
    }

    [Fact]
    public async Task UnknownKeyIsRefusedWithPermissionDenied()
    {
        var run = await server.SshAsync(server.StrangerKey, ["-T"]);

        Expect.ExitCode(255, run, server, "ssh -T with a key no account has");
        Expect.StderrContains("Permission denied (publickey).", run, server, "ssh -T with a key no account has");
        Expect.StdoutIs("", run, server, "a refused key must see nothing of the server");
    }

    [Fact]
    public async Task SshFromATerminalStillGetsTheGreeting()
    {
        // What a person typing `ssh -p 2222 git@host` gets: ssh sees a terminal, asks for a PTY (which Wharf
        // may decline), then for a shell. util-linux's `script` gives ssh that terminal.
        var ssh = string.Join(' ', new[] { Tools.Ssh }.Concat(server.SshOptions(server.Alice.Key)).Append($"git@{server.Host}").Select(ProcessRunner.Quote));
        var run = await ProcessRunner.RunAsync(
            Tools.Require("script", "bsdutils"),
            ["-q", "-e", "-c", ssh, "/dev/null"],
            server.Home,
            new Dictionary<string, string?> { ["HOME"] = server.Home, ["TERM"] = "dumb" });

        Expect.ExitCode(0, run, server, "ssh git@host from a terminal");
        Expect.That(
            run.Stdout.Replace("\r", "", StringComparison.Ordinal).Contains(Greeting(server, server.Alice), StringComparison.Ordinal),
            "ssh git@host from a terminal: the terminal must show the greeting",
            run,
            server);
    }

    [Fact]
    public async Task KeyWhosePassphraseTakesSecondsToTypeStillLogsIn()
    {
        // ssh offers the public key, the server says it would accept it, and only then does ssh ask for the
        // passphrase to sign: a person takes seconds to type it. The askpass program stands in for them.
        var keyPath = Path.Combine(server.KeysDirectory, $"slow_{Guid.NewGuid():N}");
        var made = await ProcessRunner.RunAsync(Tools.SshKeygen, ["-t", "ed25519", "-N", "correct horse", "-q", "-f", keyPath]);
        Expect.Succeeded(made, null, "ssh-keygen with a passphrase");
        await server.WharfOrThrowAsync(["admin", "key", "add", "bob", "--label", "slow-typist"], await File.ReadAllTextAsync(keyPath + ".pub"));
        var askpass = Path.Combine(server.KeysDirectory, $"askpass_{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(askpass, "#!/bin/sh\nsleep 3\necho 'correct horse'\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(askpass, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        List<string> arguments = [.. server.SshOptions(new SshKey("slow", "ed25519", keyPath, "", ""))];
        arguments[arguments.IndexOf("BatchMode=yes")] = "BatchMode=no";
        var run = await ProcessRunner.RunAsync(
            Tools.Ssh,
            [.. arguments, "-T", $"git@{server.Host}"],
            server.Home,
            new Dictionary<string, string?> { ["HOME"] = server.Home, ["SSH_ASKPASS"] = askpass, ["SSH_ASKPASS_REQUIRE"] = "force", ["DISPLAY"] = null });

        Expect.ExitCode(0, run, server, "ssh -T with a passphrase typed after 3 s");
        Clients.ClientMatrix.ExpectGreeting(server, "bob", run, "ssh -T with a passphrase typed after 3 s");
    }

    [Fact]
    public async Task RemoteCommandsOtherThanGitAreRefused()
    {
        var run = await server.SshAsync(server.Alice.Key, ["-T"], "cat /etc/passwd");

        Expect.ExitCode(1, run, server, "ssh git@host 'cat /etc/passwd' must not run a command");
        Expect.StderrContains(
            $"wharf: Unknown command 'cat /etc/passwd'. Try '{HelpCommand(server)}'.\n",
            run,
            server,
            "ssh git@host 'cat /etc/passwd'");
        Expect.That(!run.Stdout.Contains("root:", StringComparison.Ordinal), "the server ran the command: /etc/passwd leaked", run, server);
    }

    [Fact]
    public async Task AddingAKeyPrintsTheFingerprintSshKeygenShows()
    {
        for (var i = 0; i < server.Alice.Keys.Count; i++)
        {
            var key = server.Alice.Keys[i];
            var run = server.Alice.KeyAddRuns[i];
            Expect.That(
                run.Stdout.Contains(key.Fingerprint, StringComparison.Ordinal),
                $"`wharf admin key add` for the {key.Type} key must print {key.Fingerprint} (ssh-keygen -l)",
                run,
                server);
        }
    }
}
