using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>The real OpenSSH client logging in to `wharf serve`: the greeting, refusals, no shell.</summary>
public sealed class SshSessionTests(WharfServer server) : IClassFixture<WharfServer>
{
    public static string Greeting(string user) =>
        $"logged in as {user}.\n\nYou can use git or hg to connect to Wharf. Shell access is disabled.\n";

    [Theory]
    [InlineData("ed25519")]
    [InlineData("rsa")]
    [InlineData("ecdsa")]
    public async Task SshDashTGreetsTheKeysOwnerAndExitsZero(string keyType)
    {
        var run = await server.SshAsync(server.Alice.KeyOfType(keyType), ["-T"]);

        Expect.ExitCode(0, run, server, $"ssh -T with alice's {keyType} key");
        Expect.StdoutIs(Greeting("alice"), run, server, $"ssh -T with alice's {keyType} key");
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
    [InlineData("HostKeyAlgorithms=ssh-ed25519")]
    [InlineData("Compression=yes")]
    public async Task SshDashTGreetsWithEachRequiredAlgorithm(params string[] options)
    {
        // The client offers only this one algorithm, so the session fails unless the server does it.
        var run = await server.SshAsync(server.Alice.Key, [.. options.SelectMany(o => new[] { "-o", o }), "-T"]);

        Expect.ExitCode(0, run, server, $"ssh -T with {string.Join(", ", options)}");
        Expect.StdoutIs(Greeting("alice"), run, server, $"ssh -T with {string.Join(", ", options)}");
    }

    [Fact]
    public async Task TheKeyDecidesTheAccountNotTheSshUserName()
    {
        var run = await server.SshAsync(server.Bob.Key, ["-T"]);

        Expect.ExitCode(0, run, server, "ssh -T git@ with bob's key");
        Expect.StdoutIs(Greeting("bob"), run, server, "ssh -T git@ with bob's key");
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
            run.Stdout.Replace("\r", "", StringComparison.Ordinal).Contains(Greeting("alice"), StringComparison.Ordinal),
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
        Expect.StdoutIs(Greeting("bob"), run, server, "ssh -T with a passphrase typed after 3 s");
    }

    [Fact]
    public async Task RemoteCommandsOtherThanGitAreRefused()
    {
        var run = await server.SshAsync(server.Alice.Key, ["-T"], "cat /etc/passwd");

        Expect.ExitCode(1, run, server, "ssh git@host 'cat /etc/passwd' must not run a command");
        Expect.StderrContains(
            "wharf: Unsupported command 'cat /etc/passwd': Wharf runs only git-upload-pack, git-receive-pack, git-upload-archive and hg -R OWNER/NAME serve --stdio over SSH.\n",
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
