using System.Diagnostics;
using System.Text;

namespace Wharf.Interop.Tests.Infrastructure;

/// <summary>
/// A real OpenSSH ControlMaster connection (<c>ssh -o ControlMaster=yes -o ControlPersist=yes -fN</c>), the way people
/// keep one logged-in connection open and run every later ssh and git through it. Closed with <c>ssh -O exit</c>.
/// </summary>
public sealed class ControlMaster : IAsyncDisposable
{
    private readonly WharfServer _server;
    private readonly SshKey _key;

    private ControlMaster(WharfServer server, SshKey key, string path)
    {
        _server = server;
        _key = key;
        ControlPath = path;
    }

    /// <summary>The control socket; short, because a Unix socket path has at most 107 bytes.</summary>
    public string ControlPath { get; }

    /// <summary>ssh options that send a session through this master and never open a connection of their own.</summary>
    public IReadOnlyList<string> ThroughMaster => ["-o", "ControlPath=" + ControlPath, "-o", "ControlMaster=no"];

    public static async Task<ControlMaster> OpenAsync(WharfServer server, SshKey key)
    {
        var master = new ControlMaster(server, key, Path.Combine(server.Root, "cm-" + Guid.NewGuid().ToString("N")[..8]));
        var run = await server.SshAsync(key, ["-o", "ControlMaster=yes", "-o", "ControlPath=" + master.ControlPath, "-o", "ControlPersist=yes", "-f", "-N"]);
        Expect.Succeeded(run, server, "opening an OpenSSH ControlMaster connection");
        Expect.Succeeded(await master.CheckAsync(), server, "ssh -O check right after the master was opened");
        return master;
    }

    /// <summary><c>ssh -O check</c>: exit 0 while the master connection is up.</summary>
    public Task<ProcessResult> CheckAsync() => _server.SshAsync(_key, ["-o", "ControlPath=" + ControlPath, "-O", "check"]);

    /// <summary>Polls <c>ssh -O check</c> until the master is gone or <paramref name="within"/> has passed; returns the last check.</summary>
    public async Task<ProcessResult> WaitUntilClosedAsync(TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var check = await CheckAsync();
            if (check.ExitCode != 0 || deadline.Elapsed > within) return check;
            await Task.Delay(250);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if ((await CheckAsync()).ExitCode == 0) await _server.SshAsync(_key, ["-o", "ControlPath=" + ControlPath, "-O", "exit"]);
    }
}

/// <summary>
/// An ssh command whose standard input stays open, as a git client's does while it waits: for commands that must be
/// running while the test changes something on the server.
/// </summary>
public sealed class HeldCommand : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly string _command;

    private HeldCommand(Process process, string command)
    {
        _process = process;
        _command = command;
    }

    public static HeldCommand Start(WharfServer server, SshKey key, string remoteCommand, IEnumerable<string>? options = null)
    {
        List<string> arguments = [.. server.SshOptions(key), .. options ?? [], "-T", $"git@{server.Host}", remoteCommand];
        var info = ProcessRunner.StartInfo(Tools.Ssh, arguments, server.Home, new Dictionary<string, string?> { ["HOME"] = server.Home });
        var process = new Process { StartInfo = info };
        var held = new HeldCommand(process, ProcessRunner.Display(info));
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (held._stdout) held._stdout.Append(e.Data).Append('\n'); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (held._stderr) held._stderr.Append(e.Data).Append('\n'); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return held;
    }

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Waits until the command printed something on stdout (git's ref advertisement): it is running on the server.</summary>
    public async Task<bool> WaitForOutputAsync(TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        while (Stdout.Length == 0 && !_process.HasExited && deadline.Elapsed < within) await Task.Delay(100);
        return Stdout.Length > 0;
    }

    /// <summary>Waits for the command to end by itself (its input stays open) up to <paramref name="within"/>; TimedOut when it did not.</summary>
    public async Task<ProcessResult> WaitForExitAsync(TimeSpan within)
    {
        using var limit = new CancellationTokenSource(within);
        var timedOut = false;
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
        }

        if (!timedOut) _process.WaitForExit(); // the last lines of output
        return new ProcessResult(_command, _process.HasExited ? _process.ExitCode : -1, Stdout, Stderr, timedOut);
    }

    public void Dispose()
    {
        ProcessRunner.Kill(_process);
        _process.Dispose();
    }
}
