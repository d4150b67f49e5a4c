using System.Globalization;

namespace Wharf.Interop.Tests.Infrastructure;

/// <summary>Crashing `wharf serve` on purpose: SIGKILL, then a start over the same data on the same SSH port.</summary>
public partial class WharfServer
{
    /// <summary>
    /// SIGKILL to `wharf serve` (not to `timeout` above it), and with <paramref name="withChildren"/> to every process
    /// below it in the same `kill` (git receive-pack, index-pack, hg serve, hooks), as when the machine loses power or
    /// systemd kills the whole service. Waits until it is gone; <see cref="StartAfterCrashAsync"/> starts it again.
    /// Returns the process ids of its descendants as they were (left running, or killed, as asked).
    /// </summary>
    public async Task<IReadOnlyList<int>> KillAsync(bool withChildren)
    {
        var old = Process;
        var child = await ProcessRunner.RunAsync("pgrep", ["-P", old.Id.ToString(CultureInfo.InvariantCulture), "-x", "dotnet"]);
        var pid = child.Stdout.Trim();
        if (child.ExitCode != 0 || pid.Length == 0) throw new InvalidOperationException($"no `wharf serve` under timeout\n{child.Describe()}");
        List<string> tree = [pid];
        // Breadth first from wharf serve: every descendant as it is at this moment.
        for (var i = 0; i < tree.Count; i++)
        {
            var children = await ProcessRunner.RunAsync("pgrep", ["-P", tree[i]]);
            tree.AddRange(children.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        // One kill(1) for all: none of them gets to notice the others die first. A child that ended meanwhile makes kill
        // exit 1; wharf serve itself is still checked below.
        await ProcessRunner.RunAsync("kill", ["-KILL", .. withChildren ? tree : [pid]]);
        if (!old.WaitForExit(30_000)) throw new InvalidOperationException($"`wharf serve` did not die of SIGKILL within 30 s\n{ServerLog()}");
        old.Dispose();
        if (withChildren)
        {
            // A killed child lingers as a zombie until whoever adopted it reaps it (on a loaded machine, a second or more),
            // and to Mercurial's lock a zombie is a live holder: a crash means these processes are gone, so wait until
            // they are, before the test restarts the server on the same repositories.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (tree.Skip(1).Any(p => Directory.Exists("/proc/" + p)) && DateTime.UtcNow < deadline)
                await Task.Delay(50);
        }
        server = null;
        return [.. tree.Skip(1).Select(p => int.Parse(p, CultureInfo.InvariantCulture))];
    }

    /// <summary>Starts `wharf serve` again after <see cref="KillAsync"/>, over the same data and on the same SSH port.</summary>
    public async Task StartAfterCrashAsync()
    {
        if (server is not null) throw new InvalidOperationException("the server is still running");
        (SshPort, HttpBaseUrl) = await StartNodeAsync(FirstNode, SshPort);
    }

    /// <summary>Whether `wharf serve` is running (false between <see cref="KillAsync"/> and <see cref="StartAfterCrashAsync"/>).</summary>
    public bool IsRunning => server is { HasExited: false };
}
