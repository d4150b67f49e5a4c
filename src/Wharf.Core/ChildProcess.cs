using System.ComponentModel;
using System.Diagnostics;

namespace Wharf.Core;

/// <summary>What a short-lived child process printed, and how it ended.</summary>
public sealed record ProcessOutput(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// Starting git and hg, and running their short commands (init, for-each-ref, log) to the end. The long-running
/// protocol commands are pumped by <see cref="Git.GitProcessRunner"/> instead.
/// </summary>
public static class ChildProcess
{
    /// <param name="program">What to call the program in the error, e.g. "git".</param>
    public static Process Start(ProcessStartInfo psi, string program)
    {
        try
        {
            return Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {psi.FileName}.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Could not start '{psi.FileName}': is {program} installed and on PATH? ({e.Message})", e);
        }
    }

    /// <summary>Runs a command with no input, reading both outputs at once (either may fill its pipe first).</summary>
    public static async Task<ProcessOutput> RunToEndAsync(Func<ProcessStartInfo, Process> start, ProcessStartInfo psi, CancellationToken cancellationToken)
    {
        psi.RedirectStandardInput = false;
        using var process = start(psi);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return new ProcessOutput(process.ExitCode, await stdout, await stderr);
    }
}
