namespace Wharf.Server.Cli;

/// <summary>
/// The process's console and environment, passed in so that tests run commands in-process.
/// <see cref="InputIsTerminal"/> is true when a person types at standard input: a secret is then read without echo.
/// </summary>
public sealed record CliContext(TextReader In, TextWriter Out, TextWriter Error, Func<string, string?> GetEnvironmentVariable, bool InputIsTerminal = false)
{
    public static CliContext System => new(Console.In, Console.Out, Console.Error, Environment.GetEnvironmentVariable, !Console.IsInputRedirected)
    {
        OpenBinary = () => (Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.OpenStandardError()),
    };

    /// <summary>
    /// The raw standard streams, for <c>wharf shell</c>, which carries git's and hg's binary protocols: the text
    /// readers and writers above would decode and re-encode them. Null where no such streams exist.
    /// </summary>
    public Func<(Stream In, Stream Out, Stream Error)>? OpenBinary { get; init; }

    /// <summary>
    /// Called by <c>serve</c> once it listens, with the running server's services (tests read its route table
    /// and stores through it). Null outside tests.
    /// </summary>
    public Action<IServiceProvider>? Serving { get; init; }
}
