using System.Diagnostics;
using System.Text;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests.Clients;

/// <summary>
/// PuTTY 0.78 (Debian's putty-tools and putty): `plink` with a key made by `puttygen` and saved as .ppk,
/// pinned to the server's host key with -hostkey as a careful Windows user would, and through `pageant`,
/// which runs headless (`pageant --debug`, no X display needed for an unencrypted key).
/// </summary>
public sealed class PuttyClientTests(WharfServer server) : IClassFixture<WharfServer>
{
    private TestUser Alice => server.Alice;

    private static string Plink => ClientMatrix.Require("plink", "putty-tools");

    private string Port => server.SshPort.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?> { ["HOME"] = server.Home };

    /// <summary>puttygen -t ed25519 -o KEY.ppk, no passphrase; its OpenSSH public key added to USER's account.</summary>
    private async Task<(string Ppk, string Fingerprint, string Comment)> NewPpkAsync(TestUser user)
    {
        var puttygen = ClientMatrix.Require("puttygen", "putty-tools");
        var id = Guid.NewGuid().ToString("N")[..8];
        var ppk = Path.Combine(server.KeysDirectory, $"putty_{id}.ppk");
        var comment = $"putty-{id}@wharf-interop";
        var noPassphrase = Path.Combine(server.KeysDirectory, $"empty_{id}");
        await File.WriteAllTextAsync(noPassphrase, "");
        var made = await ProcessRunner.RunAsync(puttygen, ["-t", "ed25519", "-C", comment, "-q", "--new-passphrase", noPassphrase, "-o", ppk]);
        Expect.Succeeded(made, null, "puttygen -t ed25519 -o key.ppk");
        Expect.That(File.ReadAllText(ppk).StartsWith("PuTTY-User-Key-File-3: ssh-ed25519", StringComparison.Ordinal), "puttygen wrote no PPK v3 file", made, null);

        var openssh = await ProcessRunner.RunAsync(puttygen, [ppk, "-O", "public-openssh"]);
        Expect.Succeeded(openssh, null, "puttygen -O public-openssh");
        var fingerprint = await ProcessRunner.RunAsync(puttygen, [ppk, "-l", "-E", "sha256"]);
        Expect.Succeeded(fingerprint, null, "puttygen -l");
        var sha256 = fingerprint.Stdout.Split(' ')[2].Trim();
        var added = await ClientMatrix.AddKeyAsync(server, user, $"putty-{id}", openssh.Stdout);
        Expect.That(added.Stdout.Contains(sha256, StringComparison.Ordinal), $"`wharf admin key add` must print the fingerprint puttygen -l shows ({sha256})", added, server);
        return (ppk, sha256, comment);
    }

    [Fact]
    public async Task PlinkDashTWithAPuttygenKeyGreetsAndExitsZero()
    {
        var (ppk, _, _) = await NewPpkAsync(Alice);
        var hostKey = await ClientMatrix.HostKeyFingerprintAsync(server);

        var run = await ProcessRunner.RunAsync(
            Plink,
            ["-batch", "-T", "-ssh", "-P", Port, "-i", ppk, "-hostkey", hostKey, $"git@{server.Host}"],
            server.Home,
            Environment);

        Expect.ExitCode(0, run, server, "plink -T with a .ppk key");
        ClientMatrix.ExpectGreeting(server, "alice", run, "plink -T with a .ppk key");
    }

    [Fact]
    public async Task PlinkWithoutDashTIsRefusedAPtyAndStillGreets()
    {
        // Plain `plink git@host` asks for a PTY first; Wharf says no and the shell request still works.
        var (ppk, _, _) = await NewPpkAsync(Alice);
        var hostKey = await ClientMatrix.HostKeyFingerprintAsync(server);

        var run = await ProcessRunner.RunAsync(
            Plink,
            ["-batch", "-ssh", "-P", Port, "-i", ppk, "-hostkey", hostKey, $"git@{server.Host}"],
            server.Home,
            Environment);

        Expect.ExitCode(0, run, server, "plink with a .ppk key, PTY requested");
        ClientMatrix.ExpectGreeting(server, "alice", run, "plink with a .ppk key, PTY requested");
        Expect.StderrContains("Server refused to allocate pty", run, server, "plink must be told no PTY");
    }

    [Fact]
    public async Task GitCloneAndPushThroughPlink()
    {
        var (ppk, _, _) = await NewPpkAsync(Alice);
        var hostKey = await ClientMatrix.HostKeyFingerprintAsync(server);
        var transport = new Dictionary<string, string?>
        {
            ["GIT_SSH_COMMAND"] = string.Join(' ', new[] { Plink, "-batch", "-i", ppk, "-hostkey", hostKey }.Select(ProcessRunner.Quote)),
            ["GIT_SSH_VARIANT"] = "plink",
        };

        // git gives plink the port as -P PORT, from the ssh:// URL.
        await ClientMatrix.CloneAndPushAsync(server, Alice, "plink", transport, server.SshUrl);
    }

    [Fact]
    public async Task PlinkDashTSignsThroughPageant()
    {
        var (ppk, _, comment) = await NewPpkAsync(Alice);
        var hostKey = await ClientMatrix.HostKeyFingerprintAsync(server);
        await using var pageant = await Pageant.StartAsync(server, ppk);

        var run = await ProcessRunner.RunAsync(
            Plink,
            ["-batch", "-T", "-v", "-ssh", "-P", Port, "-hostkey", hostKey, $"git@{server.Host}"],
            server.Home,
            new Dictionary<string, string?> { ["HOME"] = server.Home, ["SSH_AUTH_SOCK"] = pageant.Socket });

        Expect.ExitCode(0, run, server, $"plink -T with the key in pageant\n{pageant.Log()}");
        ClientMatrix.ExpectGreeting(server, "alice", run, $"plink -T with the key in pageant\n{pageant.Log()}");
        Expect.StderrContains($"Authenticating with public key \"{comment}\" from agent", run, server, "plink -v must show it signed through pageant");
    }

    [Fact]
    public async Task GitCloneAndPushThroughPlinkAndPageant()
    {
        var (ppk, _, _) = await NewPpkAsync(Alice);
        var hostKey = await ClientMatrix.HostKeyFingerprintAsync(server);
        await using var pageant = await Pageant.StartAsync(server, ppk);
        var transport = new Dictionary<string, string?>
        {
            ["SSH_AUTH_SOCK"] = pageant.Socket,
            ["GIT_SSH_COMMAND"] = string.Join(' ', new[] { Plink, "-batch", "-hostkey", hostKey }.Select(ProcessRunner.Quote)),
            ["GIT_SSH_VARIANT"] = "plink",
        };

        await ClientMatrix.CloneAndPushAsync(server, Alice, "plink with pageant", transport, server.SshUrl);
    }

    /// <summary>`pageant --debug --symlink SOCKET KEY.ppk`: in the foreground, so the test owns and stops it.</summary>
    private sealed class Pageant : IAsyncDisposable
    {
        private readonly Process process;
        private readonly StringBuilder log = new();

        private Pageant(Process process, string socket)
        {
            this.process = process;
            Socket = socket;
        }

        public string Socket { get; }

        public string Log()
        {
            lock (log)
            {
                return $"--- pageant --debug ---\n{log}";
            }
        }

        public static async Task<Pageant> StartAsync(WharfServer server, string ppk)
        {
            var socket = Path.Combine(server.Root, $"pageant-{Guid.NewGuid().ToString("N")[..8]}.sock");
            var info = ProcessRunner.StartInfo(
                ClientMatrix.Require("pageant", "putty"),
                ["--debug", "--symlink", socket, ppk],
                server.Home,
                new Dictionary<string, string?> { ["HOME"] = server.Home, ["DISPLAY"] = null, ["WAYLAND_DISPLAY"] = null });
            var process = new Process { StartInfo = info };
            var pageant = new Pageant(process, socket);
            // Read what it logs all the time: --debug writes a line per request, and a full pipe would block it.
            process.OutputDataReceived += (_, e) => pageant.Append(e.Data);
            process.ErrorDataReceived += (_, e) => pageant.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            process.StandardInput.Close();
            try
            {
                await ClientMatrix.WaitForAgentSocketAsync(socket, process, "pageant --debug", pageant.Log);
                return pageant;
            }
            catch
            {
                await pageant.DisposeAsync();
                throw;
            }
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (log)
            {
                log.AppendLine(line);
            }
        }

        public async ValueTask DisposeAsync()
        {
            // SIGTERM first: pageant then removes its socket under /tmp/pageant.USER; SIGKILL would leave it.
            if (!process.HasExited)
            {
                await ProcessRunner.RunAsync(
                    ClientMatrix.Require("kill", "procps"),
                    ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                    timeout: TimeSpan.FromSeconds(10));
                process.WaitForExit(5_000);
            }

            ProcessRunner.Kill(process);
            process.Dispose();
        }
    }
}
