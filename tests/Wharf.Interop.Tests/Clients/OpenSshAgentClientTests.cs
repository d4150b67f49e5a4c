using System.Diagnostics;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests.Clients;

/// <summary>
/// OpenSSH `ssh` the way most people use it: a passphrase-protected key, unlocked once with `ssh-add` into
/// an `ssh-agent`, and ssh (alone or as git's transport) signing through the agent. Each test has its own
/// agent on a private socket, stopped when the test ends.
/// </summary>
public sealed class OpenSshAgentClientTests(WharfServer server) : IClassFixture<WharfServer>
{
    private const string Passphrase = "correct horse battery staple";

    private TestUser Alice => server.Alice;

    /// <summary>ssh's options without -i and IdentitiesOnly: the agent offers the key.</summary>
    private IReadOnlyList<string> AgentSshOptions() =>
    [
        "-F", "/dev/null",
        "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "BatchMode=yes",
        "-p", server.SshPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ];

    [Fact]
    public async Task SshDashTSignsWithThePassphraseKeyLoadedIntoSshAgent()
    {
        await using var agent = await PrivateAgent.StartAsync(server, Alice);

        // BatchMode=yes: ssh could not ask for the passphrase, so only the agent can sign.
        var run = await ProcessRunner.RunAsync(
            Tools.Ssh,
            [.. AgentSshOptions(), "-v", "-T", $"git@{server.Host}"],
            server.Home,
            agent.Environment(server));

        Expect.ExitCode(0, run, server, "ssh -T with the key in ssh-agent");
        ClientMatrix.ExpectGreeting(server, "alice", run, "ssh -T with the key in ssh-agent");
        Expect.StderrContains($"Server accepts key: {agent.Comment} ED25519 {agent.Fingerprint} agent", run, server, "ssh -v must show the agent's key was the one accepted");
    }

    [Fact]
    public async Task AgentForwardingAskedForWithDashAIsNotGrantedAndTheGreetingStillComes()
    {
        // auth-agent-req@openssh.com goes without want_reply: the server must ignore it, not end the session.
        await using var agent = await PrivateAgent.StartAsync(server, Alice);

        var run = await ProcessRunner.RunAsync(
            Tools.Ssh,
            [.. AgentSshOptions(), "-v", "-T", "-A", $"git@{server.Host}"],
            server.Home,
            agent.Environment(server));

        Expect.ExitCode(0, run, server, "ssh -T -A");
        ClientMatrix.ExpectGreeting(server, "alice", run, "ssh -T -A");
        Expect.StderrContains("Requesting authentication agent forwarding.", run, server, "ssh -v -A must have asked for agent forwarding");
        // A granted forwarding shows as the server opening an agent channel back to the client, which ssh -v logs.
        Expect.That(!run.Stderr.Contains("ctype auth-agent@openssh.com", StringComparison.Ordinal),
            "the server must not open an agent channel to the client", run, server);
    }

    [Fact]
    public async Task GitCloneAndPushSignThroughSshAgent()
    {
        await using var agent = await PrivateAgent.StartAsync(server, Alice);
        var transport = new Dictionary<string, string?>(agent.Environment(server))
        {
            ["GIT_SSH_COMMAND"] = string.Join(' ', new[] { Tools.Ssh }.Concat(AgentSshOptions()).Select(ProcessRunner.Quote)),
        };

        await ClientMatrix.CloneAndPushAsync(server, Alice, "ssh with ssh-agent", transport, server.Url);
    }

    [Fact]
    public async Task CloneOfSeveralMegabytesWithRekeyLimit256kRekeysAndCompletes()
    {
        // One direction at a time, with curve25519-sha256: OpenSSH 9.2's client can hang with sntrup761 and
        // RekeyLimit when data flows both ways at once, against its own sshd too (see the report of issue 3).
        await using var agent = await PrivateAgent.StartAsync(server, Alice);
        string[] rekeyOften = ["-o", "RekeyLimit=256k", "-o", "KexAlgorithms=curve25519-sha256", "-o", "LogLevel=DEBUG1"];
        var plain = new Dictionary<string, string?>(agent.Environment(server))
        {
            ["GIT_SSH_COMMAND"] = string.Join(' ', new[] { Tools.Ssh }.Concat(AgentSshOptions()).Select(ProcessRunner.Quote)),
        };
        var rekeying = new Dictionary<string, string?>(agent.Environment(server))
        {
            ["GIT_SSH_COMMAND"] = string.Join(' ', new[] { Tools.Ssh }.Concat(AgentSshOptions()).Concat(rekeyOften).Select(ProcessRunner.Quote)),
        };

        var repository = await server.CreateRepositoryAsync(Alice, "rekey-clone");
        var parent = server.NewDirectory("rekey-clone");
        var first = Path.Combine(parent, "first");
        Expect.Succeeded(await server.GitAsync(Alice, parent, ["clone", server.Url(repository), "first"], extraEnvironment: plain), server, "git clone (empty)");
        await Workspace.WriteRandomFileAsync(first, "noise-1.bin", 3 * 1024 * 1024, seed: 11);
        await Workspace.WriteRandomFileAsync(first, "noise-2.bin", 3 * 1024 * 1024, seed: 12);
        var head = await Workspace.CommitAllAsync(server, Alice, first, "Six MiB of noise");
        var branch = await Workspace.CurrentBranchAsync(server, Alice, first);
        Expect.Succeeded(await server.GitAsync(Alice, first, ["push", "origin", branch], extraEnvironment: plain), server, "git push of 6 MiB");

        var clone = await server.GitAsync(Alice, parent, ["clone", server.Url(repository), "second"], extraEnvironment: rekeying);

        Expect.Succeeded(clone, server, "git clone of 6 MiB with RekeyLimit=256k");
        var exchanges = clone.Stderr.Split('\n').Count(line => line.StartsWith("debug1: SSH2_MSG_NEWKEYS received", StringComparison.Ordinal));
        // Not 24: data already in flight when ssh sends KEXINIT (loopback socket buffers hold MiBs) still counts
        // against the old keys, so ssh sees between about 9 and 24 exchanges depending on timing.
        Expect.That(exchanges >= 3, $"expected the first key exchange and at least two re-keys during the clone, ssh saw {exchanges}", clone, server);
        var second = Path.Combine(parent, "second");
        Assert.Equal(head, await Workspace.RevParseAsync(server, Alice, second, "HEAD"));
        ClientMatrix.AssertSameFiles(first, second, "ssh -o RekeyLimit=256k");
        Expect.Succeeded(await server.GitAsync(Alice, second, ["fsck", "--full", "--strict"]), server, "git fsck of the rekeyed clone");
    }

    /// <summary>
    /// `ssh-agent -D -a SOCKET` (foreground, so the test owns the process) holding a new passphrase-protected
    /// ed25519 key that was added to USER's account and unlocked with `ssh-add` through an askpass program.
    /// </summary>
    private sealed class PrivateAgent : IAsyncDisposable
    {
        private readonly Process process;

        private PrivateAgent(Process process, string socket, string comment, string fingerprint)
        {
            this.process = process;
            Socket = socket;
            Comment = comment;
            Fingerprint = fingerprint;
        }

        public string Socket { get; }

        public string Comment { get; }

        public string Fingerprint { get; }

        public IReadOnlyDictionary<string, string?> Environment(WharfServer server) => new Dictionary<string, string?>
        {
            ["HOME"] = server.Home,
            ["SSH_AUTH_SOCK"] = Socket,
        };

        public static async Task<PrivateAgent> StartAsync(WharfServer server, TestUser user)
        {
            var id = Guid.NewGuid().ToString("N")[..8];
            var comment = $"agent-{id}@wharf-interop";
            var keyPath = Path.Combine(server.KeysDirectory, $"agent_{id}");
            var made = await ProcessRunner.RunAsync(Tools.SshKeygen, ["-t", "ed25519", "-N", Passphrase, "-C", comment, "-q", "-f", keyPath]);
            Expect.Succeeded(made, null, "ssh-keygen -t ed25519 with a passphrase");
            var publicKey = await File.ReadAllTextAsync(keyPath + ".pub");
            await ClientMatrix.AddKeyAsync(server, user, $"agent-{id}", publicKey);
            var listed = await ProcessRunner.RunAsync(Tools.SshKeygen, ["-l", "-E", "sha256", "-f", keyPath + ".pub"]);
            var fingerprint = listed.Stdout.Split(' ')[1];

            var askpass = Path.Combine(server.KeysDirectory, $"askpass_{id}.sh");
            await File.WriteAllTextAsync(askpass, $"#!/bin/sh\necho '{Passphrase}'\n");
            ClientMatrix.MakeExecutable(askpass);

            // A short socket path: sun_path holds 108 bytes.
            var socket = Path.Combine(server.Root, $"agent-{id}.sock");
            var info = ProcessRunner.StartInfo(
                ClientMatrix.Require("ssh-agent", "openssh-client"),
                ["-D", "-a", socket],
                server.Home,
                new Dictionary<string, string?> { ["HOME"] = server.Home });
            var process = Process.Start(info) ?? throw new InvalidOperationException("ssh-agent did not start");
            process.StandardInput.Close();
            var agent = new PrivateAgent(process, socket, comment, fingerprint);
            try
            {
                await ClientMatrix.WaitForAgentSocketAsync(socket, process, "ssh-agent -D", () => "");

                var added = await ProcessRunner.RunAsync(
                    ClientMatrix.Require("ssh-add", "openssh-client"),
                    [keyPath],
                    server.Home,
                    new Dictionary<string, string?>
                    {
                        ["HOME"] = server.Home,
                        ["SSH_AUTH_SOCK"] = socket,
                        ["SSH_ASKPASS"] = askpass,
                        ["SSH_ASKPASS_REQUIRE"] = "force",
                        ["DISPLAY"] = ":0",
                    },
                    timeout: TimeSpan.FromSeconds(30));
                Expect.Succeeded(added, null, "ssh-add of the passphrase-protected key");
                Expect.StderrContains($"Identity added: {keyPath} ({comment})", added, null, "ssh-add");
                return agent;
            }
            catch
            {
                await agent.DisposeAsync();
                throw;
            }
        }

        public ValueTask DisposeAsync()
        {
            ProcessRunner.Kill(process);
            process.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
