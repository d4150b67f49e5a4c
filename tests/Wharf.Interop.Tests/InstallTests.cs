using System.Diagnostics;
using System.Text;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// The install that docs/OPERATIONS.md ("Install as a systemd service") gives, run as written: a self-contained
/// <c>dotnet publish</c>, copied into place, the service account, the data directory, <c>wharf serve</c> run as
/// that account, an account and key added by the admin commands as that account, then a real <c>ssh -T</c>.
/// Paths move under a temporary prefix and ports to 0; nothing else changes. Each command is checked to be in
/// OPERATIONS.md word for word, so the document and this test cannot drift apart.
/// </summary>
public sealed class InstallTests : IDisposable
{
    // The commands exactly as docs/OPERATIONS.md prints them (without their trailing comments).
    private const string Publish = "dotnet publish src/Wharf.Server -c Release -r linux-x64 --self-contained --artifacts-path /tmp/wharf-build -o /tmp/wharf";
    private const string AptInstall = "apt-get install -y git mercurial";
    private const string Copy = "cp -r /tmp/wharf /opt/wharf";
    private const string AddUser = "useradd --system --home-dir /var/lib/wharf --shell /usr/sbin/nologin wharf";
    private const string MakeData = "install -d -o wharf -g wharf -m 0700 /var/lib/wharf";
    private const string Serve = "runuser -u wharf -- /opt/wharf/wharf serve --data /var/lib/wharf --ssh 127.0.0.1:2222 --http 127.0.0.1:8080";
    private const string CreateUser = "runuser -u wharf -- /opt/wharf/wharf admin user create alice --email alice@example.org --data /var/lib/wharf";
    private const string AddKey = "runuser -u wharf -- /opt/wharf/wharf admin key add alice --data /var/lib/wharf < id_ed25519.pub";
    private const string ServiceUser = "wharf";

    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(10);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "wharf-install-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public void OperationsGivesTheseCommandsWordForWord()
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "OPERATIONS.md"))
            .Select(l => (l.Contains(" # ", StringComparison.Ordinal) ? l[..l.IndexOf(" # ", StringComparison.Ordinal)] : l).Trim())
            .ToHashSet(StringComparer.Ordinal);
        string[] documented = [Publish, AptInstall, Copy, AddUser, MakeData, Serve, CreateUser, AddKey];
        var missing = documented.Where(c => !lines.Contains(c)).ToList();
        Assert.True(missing.Count == 0, "not in docs/OPERATIONS.md word for word:\n" + string.Join('\n', missing));
        // The unit file runs the same program, as the same account, on the same data directory.
        Assert.Contains("ExecStart=/opt/wharf/wharf serve --ssh 0.0.0.0:22 --http 127.0.0.1:8080", lines);
        Assert.Contains("User=" + ServiceUser, lines);
        Assert.Contains("Environment=WHARF_DATA=/var/lib/wharf", lines);
    }

    [Fact]
    public async Task TheDocumentedSelfContainedInstallServesSshAndHttpAsTheServiceAccount()
    {
        if (Environment.UserName != "root")
            throw new InvalidOperationException("The install test adds the service account and runs wharf as it (useradd, runuser), which needs root: run it through scripts/test.sh as root.");
        _ = Tools.Git;
        _ = Tools.Hg; // what `apt-get install -y git mercurial` provides; scripts/test.sh installs both
        Directory.CreateDirectory(Path.Combine(_root, "opt"));
        var work = Directory.CreateDirectory(Path.Combine(_root, "work")).FullName;

        var published = await ShellAsync(Publish, RepositoryRoot(), PublishTimeout);
        Assert.True(published.ExitCode == 0, published.Describe());
        // Self-contained: the runtime is in the directory, so the host needs no .NET.
        Assert.True(File.Exists(Path.Combine(_root, "publish", "libcoreclr.so")), "no libcoreclr.so in the published directory");

        await RunOrFailAsync(Copy, work);
        if ((await ProcessRunner.RunAsync("id", ["-u", ServiceUser])).ExitCode != 0) await RunOrFailAsync(AddUser, work, moved: false);
        await RunOrFailAsync(MakeData, work);
        var data = Path.Combine(_root, "var", "lib", "wharf");

        var keygen = await ProcessRunner.RunAsync(Tools.SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-C", "alice@install", "-f", Path.Combine(work, "id_ed25519")]);
        Assert.True(keygen.ExitCode == 0, keygen.Describe());
        await RunOrFailAsync(CreateUser, work);
        await RunOrFailAsync(AddKey, work);

        using var serve = Process.Start(ProcessRunner.StartInfo("bash", ["-c", "exec " + Moved(Serve, ports: true)], work,
            new Dictionary<string, string?> { ["DOTNET_ROOT"] = null }))!;
        var stderr = new StringBuilder();
        serve.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        serve.BeginErrorReadLine();
        try
        {
            var listening = new List<string>();
            using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                while (listening.Count < 2 && await serve.StandardOutput.ReadLineAsync(limit.Token) is { } line) listening.Add(line);
            }
            string Log() { lock (stderr) return $"stdout: [{string.Join(" | ", listening)}]\nstderr:\n{stderr}"; }
            Assert.True(listening.Count == 2, "wharf serve did not print its two listening lines\n" + Log());
            var ssh = Assert.Single(listening, l => l.StartsWith("SSH listening on 127.0.0.1:", StringComparison.Ordinal));
            var http = Assert.Single(listening, l => l.StartsWith("HTTP listening on http://127.0.0.1:", StringComparison.Ordinal));
            var sshPort = ssh["SSH listening on 127.0.0.1:".Length..];

            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            Assert.Equal("ok\n", await client.GetStringAsync(http["HTTP listening on ".Length..] + "/healthz"));

            // What serve created belongs to the service account: it could write its data directory.
            var owner = await ProcessRunner.RunAsync("stat", ["-c", "%U %a", data, Path.Combine(data, "ssh_host_ed25519_key")]);
            Assert.Equal($"{ServiceUser} 700\n{ServiceUser} 600\n", owner.Stdout);

            var greeting = await ProcessRunner.RunAsync(Tools.Ssh,
                ["-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes",
                 "-o", "BatchMode=yes", "-i", Path.Combine(work, "id_ed25519"), "-p", sshPort, "-T", "git@127.0.0.1"], work);
            Assert.True(greeting.ExitCode == 0 && greeting.Stdout.StartsWith("logged in as alice.\n", StringComparison.Ordinal),
                greeting.Describe() + "\n" + Log());
        }
        finally
        {
            ProcessRunner.Kill(serve);
        }
    }

    /// <summary>A documented command with its paths moved under this test's prefix (and, for serve, ports 0).</summary>
    private string Moved(string command, bool ports = false)
    {
        var moved = command
            .Replace("/tmp/wharf-build", Path.Combine(_root, "build"), StringComparison.Ordinal)
            .Replace("/tmp/wharf", Path.Combine(_root, "publish"), StringComparison.Ordinal)
            .Replace("/opt/wharf", Path.Combine(_root, "opt", "wharf"), StringComparison.Ordinal)
            .Replace("/var/lib/wharf", Path.Combine(_root, "var", "lib", "wharf"), StringComparison.Ordinal);
        return ports ? moved.Replace(":2222", ":0", StringComparison.Ordinal).Replace(":8080", ":0", StringComparison.Ordinal) : moved;
    }

    private Task<ProcessResult> ShellAsync(string command, string directory, TimeSpan? timeout = null, bool moved = true) =>
        ProcessRunner.RunAsync("bash", ["-c", moved ? Moved(command) : command], directory, timeout: timeout);

    private async Task RunOrFailAsync(string command, string directory, bool moved = true)
    {
        var run = await ShellAsync(command, directory, moved: moved);
        Assert.True(run.ExitCode == 0, run.Describe());
    }

    /// <summary>The checkout this test run was built from (the directory holding Wharf.slnx).</summary>
    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Wharf.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Wharf.slnx not found above " + AppContext.BaseDirectory);
    }
}
