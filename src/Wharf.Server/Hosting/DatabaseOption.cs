using Wharf.Core.Errors;
using Wharf.Data;
using Wharf.Server.Cli;

namespace Wharf.Server.Hosting;

/// <summary>
/// Which database a command uses, first match wins: <c>--database URL</c>, else <c>WHARF_DATABASE</c>, else the
/// settings <c>Database:Provider</c> (<c>sqlite</c> or <c>postgres</c>) with <c>ConnectionStrings:Wharf</c>,
/// else SQLite in the data directory. A URL is <c>postgres://USER:PASSWORD@HOST:PORT/DATABASE</c>; the word
/// <c>sqlite</c> picks the default file. Every <c>wharf</c> command resolves it the same way.
/// </summary>
public static class DatabaseOption
{
    public const string EnvironmentVariable = "WHARF_DATABASE";
    public const string ProviderSetting = "Database:Provider";
    public const string ConnectionStringSetting = "ConnectionStrings:Wharf";

    public static DatabaseTarget Resolve(CliArguments arguments, CliContext console, IConfiguration configuration)
    {
        if (arguments[CliCommand.Database.Name] is { } option)
            return Parse(option, CliCommand.Database.Name);
        if (console.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env)
            return Parse(env, EnvironmentVariable);
        return FromSettings(configuration);
    }

    public static DatabaseTarget FromSettings(IConfiguration configuration)
    {
        var provider = configuration[ProviderSetting]?.Trim();
        var connectionString = configuration[ConnectionStringSetting];
        switch (provider?.ToLowerInvariant())
        {
            case null or "":
                return string.IsNullOrWhiteSpace(connectionString)
                    ? DatabaseTarget.Sqlite
                    : DatabaseTarget.Postgres(PostgresConnection.Parse(connectionString, ConnectionStringSetting));
            case "sqlite":
                if (!string.IsNullOrWhiteSpace(connectionString))
                    throw WharfException.InvalidArgument($"{ConnectionStringSetting} is for PostgreSQL; SQLite always uses wharf.db in the data directory.");
                return DatabaseTarget.Sqlite;
            case "postgres" or "postgresql" or "npgsql":
                if (string.IsNullOrWhiteSpace(connectionString))
                    throw WharfException.InvalidArgument($"{ProviderSetting} is '{provider}' but {ConnectionStringSetting} is not set ({PostgresConnection.Example}).");
                return DatabaseTarget.Postgres(PostgresConnection.Parse(connectionString, ConnectionStringSetting));
            default:
                throw WharfException.InvalidArgument($"Invalid {ProviderSetting} {Display.Quote(provider)}: expected 'sqlite' or 'postgres'.");
        }
    }

    public static DatabaseTarget Parse(string text, string source) =>
        text.Trim().Equals("sqlite", StringComparison.OrdinalIgnoreCase)
            ? DatabaseTarget.Sqlite
            : DatabaseTarget.Postgres(PostgresConnection.Parse(text, source));
}
