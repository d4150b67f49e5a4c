namespace Wharf.Server.Cli;

/// <summary>
/// The process's console and environment, passed in so that tests run commands in-process.
/// <see cref="InputIsTerminal"/> is true when a person types at standard input: a secret is then read without echo.
/// </summary>
public sealed record CliContext(TextReader In, TextWriter Out, TextWriter Error, Func<string, string?> GetEnvironmentVariable, bool InputIsTerminal = false)
{
    public static CliContext System => new(Console.In, Console.Out, Console.Error, Environment.GetEnvironmentVariable, !Console.IsInputRedirected);
}
