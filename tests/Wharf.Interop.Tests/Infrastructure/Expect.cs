namespace Wharf.Interop.Tests.Infrastructure;

/// <summary>
/// Assertions on what a user sees from a real program. Every failure message shows the command, its exit
/// status, stdout, stderr and the server's own output, so a red test explains itself in the CI log.
/// </summary>
public static class Expect
{
    public static void Fail(string what, ProcessResult run, WharfServer? server) =>
        Assert.Fail($"{what}\n{run.Describe()}{(server is null ? "" : server.ServerLog())}");

    public static void ExitCode(int expected, ProcessResult run, WharfServer? server, string because)
    {
        if (run.TimedOut || run.ExitCode != expected)
        {
            Fail($"{because}: expected exit status {expected}, got {run.ExitCode}", run, server);
        }
    }

    public static void Succeeded(ProcessResult run, WharfServer? server, string because) => ExitCode(0, run, server, because);

    public static void Failed(ProcessResult run, WharfServer? server, string because)
    {
        if (run.TimedOut)
        {
            Fail($"{because}: expected a refusal, but the command hung until its time limit", run, server);
        }

        if (run.ExitCode == 0)
        {
            Fail($"{because}: expected a non-zero exit status, got 0", run, server);
        }
    }

    public static void StdoutIs(string expected, ProcessResult run, WharfServer? server, string because)
    {
        if (run.Stdout != expected)
        {
            Fail($"{because}: stdout differs\nexpected: {Visible(expected)}\nactual:   {Visible(run.Stdout)}", run, server);
        }
    }

    public static void StderrContains(string expected, ProcessResult run, WharfServer? server, string because)
    {
        if (!run.Stderr.Contains(expected, StringComparison.Ordinal))
        {
            Fail($"{because}: stderr does not contain {Visible(expected)}", run, server);
        }
    }

    public static void That(bool condition, string what, ProcessResult run, WharfServer? server)
    {
        if (!condition)
        {
            Fail(what, run, server);
        }
    }

    /// <summary>A string as a C# literal, so that newlines and spaces show.</summary>
    public static string Visible(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\r", "\\r", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal)
            .Replace("\t", "\\t", StringComparison.Ordinal) + "\"";
}
