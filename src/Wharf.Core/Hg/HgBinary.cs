using System.ComponentModel;
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

    public Process Start(ProcessStartInfo psi)
    {
        try
        {
            return Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {Executable}.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Could not start '{Executable}': is Mercurial installed and on PATH? ({e.Message})", e);
        }
    }

    /// <summary>Runs <c>hg init</c>; throws with Mercurial's own message when it fails.</summary>
    public Task InitAsync(string directory, CancellationToken cancellationToken) =>
        RunToEndAsync(StartInfo("init", directory), "hg init", cancellationToken);

    /// <summary>Runs a read-only hg command and returns its standard output; throws with its message when it fails.</summary>
    public async Task<string> RunToEndAsync(ProcessStartInfo psi, string what, CancellationToken cancellationToken)
    {
        psi.RedirectStandardInput = false;
        using var process = Start(psi);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var message = (await stderr).Trim();
        var output = await stdout;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{what} failed with exit code {process.ExitCode}: {message}");
        return output;
    }
}
