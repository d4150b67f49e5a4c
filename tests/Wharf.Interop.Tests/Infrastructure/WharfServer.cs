using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Wharf.Interop.Tests.Infrastructure;

/// <summary>
/// One real `wharf serve` process per test class, on ephemeral loopback ports, with its own data directory,
/// and the accounts the tests use, made with the real `wharf admin` CLI on the same data directory while the
/// server runs: alice (ed25519, rsa 3072 and ecdsa 256 keys) and bob (ed25519), plus a key nobody added.
/// Everything lives in one temporary directory that is removed when the class is done.
/// </summary>
public partial class WharfServer : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly object logLock = new();
    private readonly StringBuilder log = new();
    private readonly List<(string Node, string Line)> stderrLines = [];
    private Process? server;
    private readonly List<Process> otherNodes = [];
    private int repositoryCounter;

    public WharfServer()
    {
        Root = Path.Combine(Path.GetTempPath(), "wharf-interop-" + Guid.NewGuid().ToString("N")[..12]);
    }

    public string Root { get; }

    public string DataDirectory => Path.Combine(Root, "data");

    /// <summary>HOME for ssh and git: empty, so no configuration of this machine's users applies.</summary>
    public string Home => Path.Combine(Root, "home");

    public string KeysDirectory => Path.Combine(Root, "keys");

    public string WorkDirectory => Path.Combine(Root, "work");

    public string Host => "127.0.0.1";

    public int SshPort { get; private set; }

    /// <summary>The web server's base URL, e.g. http://127.0.0.1:41234, from the "HTTP listening on" line.</summary>
    public string HttpBaseUrl { get; private set; } = "";

    public Uri HttpAddress => new(HttpBaseUrl);

    /// <summary>
    /// Options every `wharf` command of this fixture gets besides --data: none here (SQLite in the data
    /// directory); <see cref="WharfCluster"/> names its PostgreSQL database.
    /// </summary>
    protected virtual IReadOnlyList<string> DatabaseArguments => [];

    /// <summary>`--ssh` of every node: one address by default; several separated by ';' to test several listeners.</summary>
    protected virtual string SshListen => DefaultSshListen;

    private const string DefaultSshListen = "127.0.0.1:0";

    /// <summary>The port of every "SSH listening on" line of the first node, in order (the first is <see cref="SshPort"/>).</summary>
    public IReadOnlyList<int> SshPorts
    {
        get
        {
            lock (logLock)
            {
                return [.. sshPorts];
            }
        }
    }

    private readonly List<int> sshPorts = [];

    /// <summary>Environment for `wharf serve` on top of the cleaned one (settings such as WHARF_Logging__Format).</summary>
    protected virtual IReadOnlyDictionary<string, string?> ServerEnvironment { get; } = new Dictionary<string, string?>();

    /// <summary>The `wharf serve` process (under coreutils' timeout, which passes signals on).</summary>
    public Process Process => server ?? throw new InvalidOperationException("the server is not running");

    /// <summary>Every line the server wrote to stderr (its logs) so far, in order.</summary>
    public IReadOnlyList<string> StderrLines()
    {
        lock (logLock)
        {
            return [.. stderrLines.Select(l => l.Line)];
        }
    }

    /// <summary>
    /// The name of the first node in <see cref="StderrLines(string)"/>; the others are named when started
    /// (<see cref="StartNodeAsync"/>).
    /// </summary>
    public const string FirstNode = "serve";

    /// <summary>Every line the node named <paramref name="node"/> wrote to stderr so far, in order.</summary>
    public IReadOnlyList<string> StderrLines(string node)
    {
        lock (logLock)
        {
            return [.. stderrLines.Where(l => l.Node == node).Select(l => l.Line)];
        }
    }

    /// <summary>
    /// Sends SIGTERM to `wharf serve` alone, as systemd's stop does with KillMode=mixed. Not to `timeout`: it would
    /// pass the signal to its whole process group, git children included.
    /// </summary>
    public async Task TerminateAsync()
    {
        var child = await ProcessRunner.RunAsync("pgrep", ["-P", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "-x", "dotnet"]);
        var pid = child.Stdout.Trim();
        if (child.ExitCode != 0 || pid.Length == 0) throw new InvalidOperationException($"no `wharf serve` under timeout\n{child.Describe()}");
        var kill = await ProcessRunner.RunAsync("kill", ["-TERM", pid]);
        if (kill.ExitCode != 0) throw new InvalidOperationException(kill.Describe());
    }

    /// <summary>
    /// Stops `wharf serve` as systemd does (<see cref="TerminateAsync"/>), waits for it to exit, and starts it again over the
    /// same data on the same SSH port, so clients' known_hosts entries (<c>[127.0.0.1]:PORT</c>) still name it.
    /// </summary>
    public async Task RestartAsync()
    {
        var old = Process;
        await TerminateAsync();
        if (!old.WaitForExit(60_000)) throw new InvalidOperationException($"`wharf serve` did not exit within 60 s of SIGTERM\n{ServerLog()}");
        old.Dispose();
        server = null;
        (SshPort, HttpBaseUrl) = await StartNodeAsync(FirstNode, SshPort);
    }

    public TestUser Alice { get; private set; } = null!;

    public TestUser Bob { get; private set; } = null!;

    /// <summary>A key that no account has.</summary>
    public SshKey StrangerKey { get; private set; } = null!;

    public static string WharfDll
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "wharf.dll");
            return File.Exists(path)
                ? path
                : throw new InvalidOperationException(
                    $"wharf.dll is not next to the test assembly in {AppContext.BaseDirectory}: the project " +
                    "reference to src/Wharf.Server should put it there.");
        }
    }

    [GeneratedRegex(@"SSH listening on (?<host>\[[^\]]+\]|[^\s:]+):(?<port>\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex SshListeningLine();

    [GeneratedRegex(@"^HTTP listening on (?<url>https?://\S+)$")]
    private static partial Regex HttpListeningLine();

    public virtual async Task InitializeAsync()
    {
        // Fail at once, with the install hint, when a client is missing.
        _ = Tools.Ssh;
        _ = Tools.SshKeygen;
        _ = Tools.Git;
        _ = WharfDll;

        Directory.CreateDirectory(DataDirectory);
        Directory.CreateDirectory(Home);
        Directory.CreateDirectory(KeysDirectory);
        Directory.CreateDirectory(WorkDirectory);

        await StartAsync();
        Alice = await CreateUserAsync("alice", "ed25519", "rsa", "ecdsa");
        Bob = await CreateUserAsync("bob", "ed25519");
        StrangerKey = await SshKey.GenerateAsync(KeysDirectory, "stranger_ed25519", "ed25519");
    }

    public virtual Task DisposeAsync()
    {
        foreach (var node in otherNodes)
        {
            ProcessRunner.Kill(node);
            node.Dispose();
        }

        if (server is not null)
        {
            ProcessRunner.Kill(server);
            server.Dispose();
        }

        if (Environment.GetEnvironmentVariable("WHARF_KEEP_TEST_DATA") is null)
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS to clean; nothing else uses it.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return Task.CompletedTask;
    }

    private async Task StartAsync()
    {
        if (SshListen != DefaultSshListen)
        {
            (SshPort, HttpBaseUrl) = await StartNodeAsync(FirstNode);
            return;
        }

        // The first node may be restarted on its port (RestartAsync, StartAfterCrashAsync): a port outside the range
        // connect() picks from, so no connection made meanwhile can hold it (LocalPorts.FreeBelowEphemeralRange).
        // Another test's server may take the port between the probe and the bind: then another port.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                (SshPort, HttpBaseUrl) = await StartNodeAsync(FirstNode, LocalPorts.FreeBelowEphemeralRange());
                return;
            }
            catch (InvalidOperationException) when (attempt < 5 && server is { HasExited: true } failed && ServerLog(20).Contains("address already in use", StringComparison.Ordinal))
            {
                failed.Dispose();
                server = null;
            }
        }
    }

    /// <summary>
    /// Starts one `wharf serve` on this fixture's data directory (and database) on fresh ports and waits until it
    /// says where it listens. The first is <see cref="Process"/>; more are nodes of the same service.
    /// </summary>
    protected async Task<(int SshPort, string HttpBaseUrl)> StartNodeAsync(string name, int listenPort = 0)
    {
        // Under coreutils' timeout: a server whose test host was killed (a hang, Ctrl+C) still goes away.
        string[] arguments =
        [
            "--kill-after=10s", "30m",
            Tools.Dotnet, WharfDll, "serve", "--data", DataDirectory, .. DatabaseArguments, "--http", "127.0.0.1:0", "--ssh",
            listenPort == 0 ? SshListen : "127.0.0.1:" + listenPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ];
        // Each node its own HOME, as if on its own machine: nothing may be shared through the user's home
        // directory (ASP.NET keeps data protection keys there unless told otherwise).
        var home = Path.Combine(Root, "node-home-" + name.Replace(' ', '-'));
        Directory.CreateDirectory(home);
        var environment = new Dictionary<string, string?>(ServerEnvironment) { ["HOME"] = home };
        var info = ProcessRunner.StartInfo(Tools.Require("timeout", "coreutils"), arguments, Root, environment);
        var httpBaseUrl = "";
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var httpListening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };

        void OnLine(string stream, string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (logLock)
            {
                log.Append('[').Append(name).Append(' ').Append(stream).Append("] ").AppendLine(line);
                if (stream == "err")
                {
                    stderrLines.Add((name, line));
                }
            }

            var http = HttpListeningLine().Match(line);
            if (http.Success)
            {
                httpBaseUrl = http.Groups["url"].Value;
                httpListening.TrySetResult();
            }

            var match = SshListeningLine().Match(line);
            if (match.Success)
            {
                if (ReferenceEquals(process, server))
                {
                    lock (logLock)
                    {
                        sshPorts.Add(int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture));
                    }
                }

                listening.TrySetResult(int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture));
            }

        }

        process.OutputDataReceived += (_, e) => OnLine("out", e.Data);
        process.ErrorDataReceived += (_, e) => OnLine("err", e.Data);
        process.Exited += (_, _) =>
        {
            listening.TrySetException(new InvalidOperationException(
                $"`wharf serve` exited with status {process.ExitCode} before printing `SSH listening on 127.0.0.1:PORT`"));
            httpListening.TrySetException(new InvalidOperationException(
                $"`wharf serve` exited with status {process.ExitCode} before printing `HTTP listening on URL`"));
        };

        if (server is null)
        {
            server = process;
        }
        else
        {
            otherNodes.Add(process);
        }

        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();

        var command = ProcessRunner.Display(info);
        try
        {
            var sshPort = await listening.Task.WaitAsync(StartTimeout);
            // Printed right after the SSH line, once the web server is up.
            await httpListening.Task.WaitAsync(StartTimeout);
            return (sshPort, httpBaseUrl);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException(
                $"`{command}` did not print `SSH listening on 127.0.0.1:PORT` within {StartTimeout.TotalSeconds} s\n{ServerLog()}");
        }
        catch (InvalidOperationException e)
        {
            // Let the last lines arrive before showing them.
            process.WaitForExit(2_000);
            throw new InvalidOperationException($"{e.Message}\n$ {command}\n{ServerLog()}", e);
        }
    }

    /// <summary>The server's stdout and stderr so far, for assertion messages.</summary>
    public string ServerLog(int lastLines = 200)
    {
        string text;
        lock (logLock)
        {
            text = log.ToString();
        }

        var lines = text.Split('\n');
        if (lines.Length > lastLines)
        {
            text = $"(first {lines.Length - lastLines} lines left out)\n" + string.Join('\n', lines[^lastLines..]);
        }

        var state = server is { HasExited: true } ? $"exited with status {server.ExitCode}" : "running";
        return $"--- wharf serve ({state}; data in {DataDirectory}) ---\n{text}";
    }

    /// <summary>`dotnet wharf.dll ARGS... --data DIR`.</summary>
    public Task<ProcessResult> WharfAsync(IEnumerable<string> arguments, string? stdin = null) =>
        ProcessRunner.RunAsync(Tools.Dotnet, [WharfDll, .. arguments, "--data", DataDirectory, .. DatabaseArguments], Root, stdin: stdin);

    public async Task<ProcessResult> WharfOrThrowAsync(IEnumerable<string> arguments, string? stdin = null)
    {
        var result = await WharfAsync(arguments, stdin);
        if (result.ExitCode != 0 || result.TimedOut)
        {
            throw new InvalidOperationException($"setting up test data failed\n{result.Describe()}\n{ServerLog()}");
        }

        return result;
    }

    public async Task<TestUser> CreateUserAsync(string name, params string[] keyTypes)
    {
        var email = $"{name}@example.com";
        await WharfOrThrowAsync(["admin", "user", "create", name, "--email", email]);
        var keys = new List<SshKey>();
        var runs = new List<ProcessResult>();
        foreach (var type in keyTypes)
        {
            var key = await SshKey.GenerateAsync(KeysDirectory, $"{name}_{type}", type);
            runs.Add(await WharfOrThrowAsync(["admin", "key", "add", name, "--label", $"laptop-{type}"], key.PublicKeyLine + "\n"));
            keys.Add(key);
        }

        return new TestUser(name, email, keys, runs);
    }

    /// <summary>Makes OWNER/NAME-N with the admin CLI and returns "OWNER/NAME-N" (no .git).</summary>
    public async Task<string> CreateRepositoryAsync(TestUser owner, string name)
    {
        var path = $"{owner.Name}/{name}-{Interlocked.Increment(ref repositoryCounter)}";
        await WharfOrThrowAsync(["admin", "repo", "create", path]);
        return path;
    }

    /// <summary>The scp-like URL a user copies: git@127.0.0.1:OWNER/NAME.git (the port is in the ssh command).</summary>
    public string Url(string repository) => $"git@{Host}:{repository}.git";

    /// <summary>The URL form that carries the port: ssh://git@127.0.0.1:PORT/OWNER/NAME.git.</summary>
    public string SshUrl(string repository) => $"ssh://git@{Host}:{SshPort}/{repository}.git";

    /// <summary>The ssh options that reach this server (or the node on <paramref name="port"/>) with KEY and nothing else.</summary>
    public IReadOnlyList<string> SshOptions(SshKey key, int? port = null) =>
    [
        "-F", "/dev/null",
        "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "IdentitiesOnly=yes",
        "-o", "BatchMode=yes",
        "-i", key.PrivateKeyPath,
        "-p", (port ?? SshPort).ToString(System.Globalization.CultureInfo.InvariantCulture),
    ];

    /// <summary>ssh OPTIONS ARGS... git@127.0.0.1 [COMMAND], with the private options above.</summary>
    public Task<ProcessResult> SshAsync(SshKey key, IEnumerable<string> argumentsBeforeHost, string? remoteCommand = null, int? port = null)
    {
        List<string> arguments = [.. SshOptions(key, port), .. argumentsBeforeHost, $"git@{Host}"];
        if (remoteCommand is not null)
        {
            arguments.Add(remoteCommand);
        }

        return ProcessRunner.RunAsync(Tools.Ssh, arguments, Home, new Dictionary<string, string?> { ["HOME"] = Home });
    }

    public IReadOnlyDictionary<string, string?> GitEnvironment(TestUser user, SshKey key, IEnumerable<string>? extraSshOptions = null, int? port = null) => new Dictionary<string, string?>
    {
        ["HOME"] = Home,
        ["XDG_CONFIG_HOME"] = Path.Combine(Home, ".config"),
        ["GIT_CONFIG_NOSYSTEM"] = "1",
        ["GIT_TERMINAL_PROMPT"] = "0",
        ["GIT_SSH_COMMAND"] = string.Join(' ', new[] { Tools.Ssh }.Concat(SshOptions(key, port)).Concat(extraSshOptions ?? []).Select(ProcessRunner.Quote)),
        ["GIT_AUTHOR_NAME"] = user.Name,
        ["GIT_AUTHOR_EMAIL"] = user.Email,
        ["GIT_COMMITTER_NAME"] = user.Name,
        ["GIT_COMMITTER_EMAIL"] = user.Email,
        ["GIT_CONFIG_COUNT"] = "2",
        ["GIT_CONFIG_KEY_0"] = "init.defaultBranch",
        ["GIT_CONFIG_VALUE_0"] = "main",
        ["GIT_CONFIG_KEY_1"] = "advice.detachedHead",
        ["GIT_CONFIG_VALUE_1"] = "false",
    };

    /// <summary>git ARGS... in WORKDIR as USER, reaching this server with KEY (default: the user's first key).</summary>
    public Task<ProcessResult> GitAsync(
        TestUser user,
        string workingDirectory,
        IEnumerable<string> arguments,
        SshKey? key = null,
        IReadOnlyDictionary<string, string?>? extraEnvironment = null,
        IEnumerable<string>? extraSshOptions = null,
        int? port = null)
    {
        var environment = new Dictionary<string, string?>(GitEnvironment(user, key ?? user.Key, extraSshOptions, port));
        foreach (var (name, value) in extraEnvironment ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }

        return ProcessRunner.RunAsync(Tools.Git, arguments, workingDirectory, environment);
    }

    /// <summary>A new empty directory under the work directory.</summary>
    public string NewDirectory(string name)
    {
        var path = Path.Combine(WorkDirectory, $"{name}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(path);
        return path;
    }
}
