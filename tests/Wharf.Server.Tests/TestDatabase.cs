using Npgsql;
using Wharf.Data;

namespace Wharf.Server.Tests;

/// <summary>
/// The database one test runs on. By default SQLite in the test's data directory. With
/// <c>WHARF_TEST_DATABASE=postgres</c> (scripts/test.sh's second run) every test gets a fresh PostgreSQL
/// database on the server named by <c>WHARF_TEST_POSTGRES</c> (a URL whose user may create databases),
/// dropped again at the end. Asking for PostgreSQL without a server fails the test: it is never skipped.
/// </summary>
public sealed class TestDatabase : IDisposable
{
    public const string ProviderVariable = "WHARF_TEST_DATABASE";
    public const string ServerVariable = "WHARF_TEST_POSTGRES";

    private readonly NpgsqlConnectionStringBuilder? _server;
    private readonly string? _name;

    private TestDatabase(DatabaseTarget target, string? url, NpgsqlConnectionStringBuilder? server, string? name)
    {
        Target = target;
        Url = url;
        _server = server;
        _name = name;
    }

    public DatabaseTarget Target { get; }

    /// <summary>What <c>--database</c> gets; null on SQLite, where the data directory says it all.</summary>
    public string? Url { get; }

    public static bool UsePostgres =>
        string.Equals(Environment.GetEnvironmentVariable(ProviderVariable), "postgres", StringComparison.OrdinalIgnoreCase);

    public static TestDatabase Create() => UsePostgres ? CreatePostgres() : Sqlite();

    public static TestDatabase Sqlite() => new(DatabaseTarget.Sqlite, null, null, null);

    /// <summary>The server URL from <c>WHARF_TEST_POSTGRES</c>; a missing one is a failure with the way to fix it.</summary>
    public static Uri ServerUrl()
    {
        var url = Environment.GetEnvironmentVariable(ServerVariable);
        if (string.IsNullOrWhiteSpace(url))
            throw new InvalidOperationException(
                $"{ServerVariable} is not set: these tests need a PostgreSQL server (scripts/test.sh starts a private one; " +
                "scripts/postgres-test-server.sh start prints the variable to export).");
        return new Uri(url);
    }

    /// <summary>A URL to a database that does not exist yet on the test server; <c>wharf</c> creates it at its first migration.</summary>
    public static string FreshDatabaseUrl(out string name)
    {
        name = "wharf_test_" + Guid.NewGuid().ToString("N");
        return new UriBuilder(ServerUrl()) { Path = "/" + name, Query = "" }.Uri.AbsoluteUri;
    }

    private static TestDatabase CreatePostgres()
    {
        var url = FreshDatabaseUrl(out var name);
        var target = DatabaseTarget.Postgres(PostgresConnection.Parse(url, ServerVariable));
        return new TestDatabase(target, url, PostgresConnection.Parse(ServerUrl().AbsoluteUri, ServerVariable), name);
    }

    public static void Drop(string name)
    {
        var server = PostgresConnection.Parse(ServerUrl().AbsoluteUri, ServerVariable);
        NpgsqlConnection.ClearAllPools();
        using var connection = new NpgsqlConnection(server.ConnectionString);
        connection.Open();
        using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        drop.ExecuteNonQuery();
    }

    public void Dispose()
    {
        if (_server is not null && _name is not null) Drop(_name);
    }
}
