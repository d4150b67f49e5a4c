using System.Diagnostics;
using System.Text;

namespace Wharf.Interop.Tests.Infrastructure;

/// <summary>What one finished (or killed) child process did.</summary>
public sealed record ProcessResult(string Command, int ExitCode, string Stdout, string Stderr, bool TimedOut)
{
    /// <summary>Everything a person would need to see when an assertion on this run fails.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append("$ ").AppendLine(Command);
        text.AppendLine(TimedOut ? $"(killed after the time limit; exit {ExitCode})" : $"(exit {ExitCode})");
        text.AppendLine("--- stdout ---").Append(Stdout);
        if (Stdout.Length > 0 && !Stdout.EndsWith('\n')) text.AppendLine();
        text.AppendLine("--- stderr ---").Append(Stderr);
        if (Stderr.Length > 0 && !Stderr.EndsWith('\n')) text.AppendLine();
        return text.ToString();
    }
}

/// <summary>
/// Runs a real program with a time limit, so that a hang fails the test instead of blocking CI.
/// Environment: GIT_*, WHARF_*, ASPNETCORE_* and SSH agent variables of the machine are dropped and the C locale is set, so that
/// nothing a developer has configured leaks into the run and messages come out in English.
/// </summary>
public static class ProcessRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public static ProcessStartInfo StartInfo(
        string fileName,
        IEnumerable<string> arguments,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = Utf8,
            StandardOutputEncoding = Utf8,
            StandardErrorEncoding = Utf8,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var name in info.Environment.Keys.ToList())
        {
            // The machine's git, ssh-agent, Wharf and ASP.NET settings would change what the programs do.
            if (name.StartsWith("GIT_", StringComparison.Ordinal) ||
                name.StartsWith("WHARF_", StringComparison.Ordinal) ||
                name.StartsWith("ASPNETCORE_", StringComparison.Ordinal) ||
                name is "SSH_AUTH_SOCK" or "SSH_AGENT_PID" or "SSH_ASKPASS" or "DOTNET_URLS")
            {
                info.Environment.Remove(name);
            }
        }

        info.Environment["LC_ALL"] = "C";
        info.Environment["LANG"] = "C";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                if (value is null)
                {
                    info.Environment.Remove(name);
                }
                else
                {
                    info.Environment[name] = value;
                }
            }
        }

        return info;
    }

    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? stdin = null,
        TimeSpan? timeout = null)
    {
        var info = StartInfo(fileName, arguments, workingDirectory, environment);
        var command = Display(info);
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"could not start `{command}`: {e.Message}", e);
        }

        var stdoutTask = process.StandardOutput.ReadToEndAsync();
        var stderrTask = process.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program exited without reading its input; what it printed says why.
        }

        var timedOut = false;
        using (var limit = new CancellationTokenSource(timeout ?? DefaultTimeout))
        {
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                Kill(process);
            }
        }

        // A grandchild that survived could hold the pipes open: do not wait for it forever.
        var output = Task.WhenAll(stdoutTask, stderrTask);
        if (await Task.WhenAny(output, Task.Delay(TimeSpan.FromSeconds(10))) != output)
        {
            Kill(process);
            return new ProcessResult(command, ExitCodeOf(process), "", "(output not closed 10 s after the process ended)", true);
        }

        return new ProcessResult(command, ExitCodeOf(process), await stdoutTask, await stderrTask, timedOut);
    }

    public static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public static string Display(ProcessStartInfo info) =>
        string.Join(' ', new[] { info.FileName }.Concat(info.ArgumentList).Select(Quote));

    private static int ExitCodeOf(Process process)
    {
        try
        {
            return process.HasExited ? process.ExitCode : -1;
        }
        catch (InvalidOperationException)
        {
            return -1;
        }
    }

    /// <summary>POSIX shell single quoting, so a shown command can be pasted into a shell.</summary>
    public static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@,+%".Contains(c))
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
