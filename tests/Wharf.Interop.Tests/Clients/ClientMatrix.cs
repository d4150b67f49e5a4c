using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests.Clients;

/// <summary>
/// What the client matrix shares: the greeting every client must show, the server's host key as each client
/// wants to be told it, the helper programs next to the test assembly, and one git round trip (clone, push,
/// push again, clone again) through whatever ssh program a client provides.
/// </summary>
public static partial class ClientMatrix
{
    /// <summary>Debian's paramiko and asyncssh belong to this interpreter; the first python3 on PATH may be another.</summary>
    public const string DebianPython = "/usr/bin/python3";

    /// <summary>
    /// The greeting of a client whose key the test did not keep (the client matrix makes keys in each client's own
    /// format): the exact first line and tail, and a key line of the right shape.
    /// </summary>
    public static void ExpectGreeting(WharfServer server, string user, ProcessResult run, string because)
    {
        var lines = run.Stdout.Split('\n');
        var fixedParts = lines.Length == 6 && lines[0] == $"logged in as {user}." && lines[2] == ""
            && lines[3] == "You can use git or hg to connect to Wharf. Shell access is disabled."
            && lines[4] == $"Run '{SshSessionTests.HelpCommand(server)}' for the other commands." && lines[5] == "";
        Expect.That(fixedParts && KeyLine().IsMatch(lines[1]), $"{because}: the greeting of {user}", run, server);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^Key '[^']+': [a-z0-9@.-]+ SHA256:[A-Za-z0-9+/]{43}, does not expire\.$")]
    private static partial System.Text.RegularExpressions.Regex KeyLine();

    /// <summary>A program of a Debian package, or a failure that says scripts/test.sh installs it.</summary>
    public static string Require(string program, string debianPackage) => Tools.Require(program, debianPackage);

    /// <summary>/usr/bin/python3 with MODULE importable, or a failure that says which package scripts/test.sh installs.</summary>
    public static async Task<string> RequirePythonModuleAsync(string module, string debianPackage)
    {
        var hint = $"scripts/test.sh installs it (Debian package {debianPackage}): run the tests with `bash scripts/test.sh`, " +
                   $"or `apt-get install {debianPackage}` first.";
        if (!File.Exists(DebianPython))
        {
            throw new InvalidOperationException($"{DebianPython} does not exist. {hint}");
        }

        var run = await ProcessRunner.RunAsync(DebianPython, ["-c", $"import {module}"]);
        if (run.ExitCode != 0 || run.TimedOut)
        {
            throw new InvalidOperationException($"{DebianPython} cannot import {module}. {hint}\n{run.Describe()}");
        }

        return DebianPython;
    }

    /// <summary>A helper program copied next to the test assembly from tests/Wharf.Interop.Tests/Clients.</summary>
    public static string HelperFile(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Clients", name);
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} is missing: the test project copies Clients/{name} to its output directory.");
    }

    public static string HostKeyFile(WharfServer server) => Path.Combine(server.DataDirectory, "ssh_host_ed25519_key");

    /// <summary>"SHA256:..." of the server's ed25519 host key, as ssh-keygen -l shows it (plink -hostkey takes this form).</summary>
    public static async Task<string> HostKeyFingerprintAsync(WharfServer server)
    {
        var run = await ProcessRunner.RunAsync(Tools.SshKeygen, ["-l", "-E", "sha256", "-f", HostKeyFile(server)]);
        var fingerprint = run.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(word => word.StartsWith("SHA256:", StringComparison.Ordinal));
        return run.ExitCode == 0 && fingerprint is not null
            ? fingerprint
            : throw new InvalidOperationException($"ssh-keygen -l gave no fingerprint for the server's host key\n{run.Describe()}\n{server.ServerLog()}");
    }

    /// <summary>The server's ed25519 host key as an OpenSSH public key file (what the Python clients trust).</summary>
    public static async Task<string> HostPublicKeyFileAsync(WharfServer server)
    {
        var run = await ProcessRunner.RunAsync(Tools.SshKeygen, ["-y", "-f", HostKeyFile(server)]);
        if (run.ExitCode != 0 || !run.Stdout.StartsWith("ssh-ed25519 ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"ssh-keygen -y could not read the server's host key\n{run.Describe()}");
        }

        var path = Path.Combine(server.KeysDirectory, $"server_host_ed25519_{Guid.NewGuid():N}.pub");
        await File.WriteAllTextAsync(path, run.Stdout);
        return path;
    }

    /// <summary>`wharf admin key add USER` with an OpenSSH public key line, as a user pastes it.</summary>
    public static Task<ProcessResult> AddKeyAsync(WharfServer server, TestUser user, string label, string publicKeyLine) =>
        server.WharfOrThrowAsync(["admin", "key", "add", user.Name, "--label", label], publicKeyLine.Trim() + "\n");

    /// <summary>A fresh OpenSSH ed25519 key without passphrase, added to USER's account.</summary>
    public static async Task<SshKey> NewAccountKeyAsync(WharfServer server, TestUser user, string name)
    {
        var key = await SshKey.GenerateAsync(server.KeysDirectory, $"{name}_{Guid.NewGuid().ToString("N")[..8]}", "ed25519");
        await AddKeyAsync(server, user, name, key.PublicKeyLine);
        return key;
    }

    public static void MakeExecutable(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>
    /// Waits until an agent accepts connections on its Unix socket. The socket file appears at bind(), before
    /// listen(): a client that only waits for the file can still get "Connection refused".
    /// </summary>
    public static async Task WaitForAgentSocketAsync(string socket, System.Diagnostics.Process agent, string what, Func<string> log)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            if (agent.HasExited)
            {
                throw new InvalidOperationException($"{what} exited with status {agent.ExitCode} before listening on {socket}\n{log()}");
            }

            if (File.Exists(socket))
            {
                using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                try
                {
                    await probe.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(socket));
                    return;
                }
                catch (System.Net.Sockets.SocketException)
                {
                    // Bound but not yet listening.
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"{what} did not accept connections on {socket} within 15 s\n{log()}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>What the git runs of one round trip did, for client-specific assertions.</summary>
    public sealed record RoundTrip(ProcessResult FirstClone, ProcessResult FirstPush, ProcessResult SecondPush, ProcessResult SecondClone);

    /// <summary>
    /// Through the ssh program in TRANSPORT (GIT_SSH_COMMAND, GIT_SSH_VARIANT...): clone a new empty repository,
    /// push a first commit of a few MiB (more than any channel window, so flow control is used), push a
    /// fast-forward, clone again, and check that the second clone has the same commit, the same files byte for
    /// byte, and passes git fsck.
    /// </summary>
    public static async Task<RoundTrip> CloneAndPushAsync(
        WharfServer server,
        TestUser user,
        string client,
        IReadOnlyDictionary<string, string?> transport,
        Func<string, string> url,
        int randomBytes = 3 * 1024 * 1024)
    {
        var repository = await server.CreateRepositoryAsync(user, client.Replace(' ', '-'));
        var parent = server.NewDirectory(client.Replace(' ', '-'));
        var first = Path.Combine(parent, "first");
        var second = Path.Combine(parent, "second");

        var firstClone = await server.GitAsync(user, parent, ["clone", url(repository), "first"], extraEnvironment: transport);
        Expect.Succeeded(firstClone, server, $"git clone of an empty repository through {client}");
        Expect.StderrContains("warning: You appear to have cloned an empty repository.", firstClone, server, $"git clone of an empty repository through {client}");

        await Workspace.WriteFileAsync(first, "README.md", $"# pushed through {client}\n");
        await Workspace.WriteFileAsync(first, "src/words.txt", string.Concat(Enumerable.Range(0, 20_000).Select(i => $"word {i} of a compressible file\n")));
        await Workspace.WriteRandomFileAsync(first, "assets/noise.bin", randomBytes, seed: client.Length);
        await Workspace.CommitAllAsync(server, user, first, $"First commit through {client}");
        var branch = await Workspace.CurrentBranchAsync(server, user, first);

        var firstPush = await server.GitAsync(user, first, ["push", "origin", branch], extraEnvironment: transport);
        Expect.Succeeded(firstPush, server, $"git push of the first commit through {client}");
        Expect.StderrContains($"* [new branch]      {branch} -> {branch}", firstPush, server, $"git push of the first commit through {client}");

        await Workspace.WriteFileAsync(first, "README.md", $"# pushed through {client}\n\nAnd a second commit.\n");
        await Workspace.WriteRandomFileAsync(first, "assets/more-noise.bin", 256 * 1024, seed: client.Length + 1);
        var previous = await Workspace.RevParseAsync(server, user, first, "HEAD");
        var head = await Workspace.CommitAllAsync(server, user, first, $"Second commit through {client}");

        var secondPush = await server.GitAsync(user, first, ["push", "origin", branch], extraEnvironment: transport);
        Expect.Succeeded(secondPush, server, $"git push of a fast-forward through {client}");
        Expect.StderrContains($"   {previous[..7]}..{head[..7]}  {branch} -> {branch}", secondPush, server, $"git push of a fast-forward through {client}");

        var secondClone = await server.GitAsync(user, parent, ["clone", url(repository), "second"], extraEnvironment: transport);
        Expect.Succeeded(secondClone, server, $"git clone after the pushes through {client}");

        Assert.Equal(head, await Workspace.RevParseAsync(server, user, second, "HEAD"));
        Assert.Equal(branch, await Workspace.CurrentBranchAsync(server, user, second));
        AssertSameFiles(first, second, client);
        Expect.Succeeded(await server.GitAsync(user, second, ["fsck", "--full", "--strict"]), server, $"git fsck of the clone made through {client}");
        return new RoundTrip(firstClone, firstPush, secondPush, secondClone);
    }

    public static void AssertSameFiles(string expectedCheckout, string actualCheckout, string client)
    {
        var expected = Workspace.Files(expectedCheckout);
        var actual = Workspace.Files(actualCheckout);
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (path, bytes) in expected)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(actual[path]), $"{path} differs between the pushed checkout and the clone made through {client}");
        }
    }
}
