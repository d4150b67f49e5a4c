using System.Diagnostics;

namespace Wharf.Core.Git;

/// <summary>
/// How Wharf starts git. Every git process gets the server's environment minus every <c>GIT_*</c>
/// variable: an inherited GIT_DIR, GIT_CONFIG_* or GIT_EXEC_PATH would redirect git away from the
/// repository that access control just checked.
/// </summary>
public sealed class GitBinary(string executable = "git")
{
    public string Executable { get; } = executable;

    public ProcessStartInfo StartInfo(params IEnumerable<string> arguments)
    {
        var psi = new ProcessStartInfo(Executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        foreach (var name in psi.Environment.Keys.Where(k => k.StartsWith("GIT_", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(name);
        return psi;
    }

    public Process Start(ProcessStartInfo psi) => ChildProcess.Start(psi, "git");

    /// <summary>Runs <c>git init --bare</c>; throws with git's own message when it fails.</summary>
    public async Task InitBareAsync(string directory, CancellationToken cancellationToken)
    {
        var run = await ChildProcess.RunToEndAsync(Start, StartInfo("init", "--bare", "--quiet", directory), cancellationToken);
        if (run.ExitCode != 0)
            throw new InvalidOperationException($"git init --bare failed with exit code {run.ExitCode}: {run.Stderr.Trim()}");
    }

    /// <summary>
    /// Every ref and the object it points at, one per line: compared before and after a push to learn whether
    /// it changed anything (a push of nothing new still runs receive-pack and exits 0).
    /// </summary>
    public async Task<string> RefsAsync(string repository, CancellationToken cancellationToken) =>
        (await ChildProcess.RunToEndAsync(Start, StartInfo("--git-dir", repository, "for-each-ref", "--format=%(objectname) %(refname)"),
            cancellationToken)).Stdout;
}
