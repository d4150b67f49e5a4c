using System.Diagnostics;

namespace Wharf.Core.Hg;

/// <summary>
/// How Wharf starts Mercurial. Every hg process gets the server's environment minus every <c>HG*</c>
/// variable, with <c>HGPLAIN=1</c> (no localised or user-configured output) and an empty <c>HGRCPATH</c>:
/// only the repository's own .hg/hgrc and the options Wharf passes apply, never a user's ~/.hgrc, whose
/// hooks or extensions would run as the server.
/// </summary>
public sealed class HgBinary(string executable = "hg")
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
        foreach (var name in psi.Environment.Keys.Where(k => k.StartsWith("HG", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(name);
        psi.Environment["HGPLAIN"] = "1";
        psi.Environment["HGRCPATH"] = "";
        psi.Environment["HGENCODING"] = "utf-8";
        return psi;
    }

    public Process Start(ProcessStartInfo psi) => ChildProcess.Start(psi, "Mercurial");

    /// <summary>Runs <c>hg init</c>; throws with Mercurial's own message when it fails.</summary>
    public async Task InitAsync(string directory, CancellationToken cancellationToken)
    {
        var run = await ChildProcess.RunToEndAsync(Start, StartInfo("init", directory), cancellationToken);
        if (run.ExitCode != 0)
            throw new InvalidOperationException($"hg init failed with exit code {run.ExitCode}: {run.Stderr.Trim()}");
    }
}
