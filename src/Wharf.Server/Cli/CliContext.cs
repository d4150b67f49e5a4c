namespace Wharf.Server.Cli;

/// <summary>The process's console and environment, passed in so that tests run commands in-process.</summary>
public sealed record CliContext(TextReader In, TextWriter Out, TextWriter Error, Func<string, string?> GetEnvironmentVariable)
{
    public static CliContext System => new(Console.In, Console.Out, Console.Error, Environment.GetEnvironmentVariable)
    {
        OpenBinary = () => (Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.OpenStandardError()),
    };

    /// <summary>
    /// The raw standard streams, for <c>wharf shell</c>, which carries git's and hg's binary protocols: the text
    /// readers and writers above would decode and re-encode them. Null where no such streams exist.
    /// </summary>
    public Func<(Stream In, Stream Out, Stream Error)>? OpenBinary { get; init; }
}
