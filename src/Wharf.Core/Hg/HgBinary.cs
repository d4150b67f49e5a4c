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

    /// <summary>Whether a Mercurial transaction in <paramref name="repository"/> was started and not finished (<c>.hg/store/journal</c>).</summary>
    public static bool HasInterruptedTransaction(string repository) => File.Exists(Path.Combine(repository, ".hg", "store", "journal"));

    /// <summary>
    /// Rolls back a transaction a killed hg left open (hg then refuses every write: "abandoned transaction found - run hg
    /// recover"), with <c>hg recover</c>. Only when no live process holds the store lock: hg breaks a lock whose holder on this
    /// host is gone, and with <c>ui.timeout=0</c> gives up at once on a live holder, whose transaction is still running.
    /// Returns whether a transaction was rolled back.
    /// </summary>
    public async Task<bool> RecoverAsync(string repository, CancellationToken cancellationToken)
    {
        if (!HasInterruptedTransaction(repository)) return false;
        var run = await ChildProcess.RunToEndAsync(Start, StartInfo("--config", "ui.timeout=0", "-R", repository, "recover"), cancellationToken);
        return run.ExitCode == 0 && !HasInterruptedTransaction(repository);
    }
}
