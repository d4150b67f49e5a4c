using Npgsql;

namespace Wharf.Data;

public enum DatabaseProvider
{
    /// <summary>DATA/wharf.db: the default, one machine, no server to run.</summary>
    Sqlite,
    /// <summary>A PostgreSQL server: several nodes can share it.</summary>
    Postgres,
}

/// <summary>
/// Which database an instance keeps its tables in. Built from <c>--database</c>, <c>WHARF_DATABASE</c> or
/// the settings (<see cref="PostgresConnection"/> reads the URL). The password is only ever handed to
/// Npgsql: <see cref="ToString"/> and <see cref="Description"/> leave it out, so logging or printing a
/// target is safe.
/// </summary>
public sealed class DatabaseTarget
{
    private readonly string? _connectionString;

    private DatabaseTarget(DatabaseProvider provider, string? connectionString, string description)
    {
        Provider = provider;
        _connectionString = connectionString;
        Description = description;
    }

    public DatabaseProvider Provider { get; }

    /// <summary>For people: "SQLite (wharf.db in the data directory)" or "postgres://wharf@db.example:5432/wharf".</summary>
    public string Description { get; }

    public static DatabaseTarget Sqlite { get; } = new(DatabaseProvider.Sqlite, null, "SQLite (wharf.db in the data directory)");

    /// <summary>A PostgreSQL target from an already checked Npgsql connection string builder.</summary>
    public static DatabaseTarget Postgres(NpgsqlConnectionStringBuilder builder) =>
        new(DatabaseProvider.Postgres, builder.ConnectionString, PostgresConnection.Describe(builder));

    /// <summary>The Npgsql connection string, password included: for Npgsql only, never for a message or a log.</summary>
    public string PostgresConnectionString =>
        _connectionString ?? throw new InvalidOperationException("Not a PostgreSQL database target.");

    public override string ToString() => Description;
}
