namespace Wharf.Server.Cli;

/// <summary>The process's console and environment, passed in so that tests run commands in-process.</summary>
public sealed record CliContext(TextReader In, TextWriter Out, TextWriter Error, Func<string, string?> GetEnvironmentVariable)
{
    public static CliContext System => new(Console.In, Console.Out, Console.Error, Environment.GetEnvironmentVariable);
}
