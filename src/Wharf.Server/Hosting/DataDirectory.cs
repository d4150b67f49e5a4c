using Wharf.Core;
using Wharf.Server.Cli;

namespace Wharf.Server.Hosting;

/// <summary>Which data directory a command works on: <c>--data</c>, else <c>WHARF_DATA</c>, else <c>./data</c>.</summary>
public static class DataDirectory
{
    public const string EnvironmentVariable = OpenSsh.FrontEndProtocol.DataEnvironmentVariable;
    public const string Default = OpenSsh.FrontEndProtocol.DefaultDataDirectory;

    public static WharfPaths Resolve(CliArguments arguments, CliContext console)
    {
        var dir = arguments[CliCommand.Data.Name];
        if (string.IsNullOrWhiteSpace(dir)) dir = console.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(dir)) dir = Default;
        return new WharfPaths(dir);
    }
}
