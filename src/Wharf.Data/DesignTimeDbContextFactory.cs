using Microsoft.EntityFrameworkCore.Design;
using Npgsql;
using Wharf.Core;

namespace Wharf.Data;

/// <summary>
/// Lets <c>dotnet ef migrations add NAME --project src/Wharf.Data --output-dir Migrations/Sqlite
/// --context SqliteWharfDbContext</c> build the model without starting the server.
/// </summary>
public sealed class SqliteDesignTimeDbContextFactory : IDesignTimeDbContextFactory<SqliteWharfDbContext>
{
    public SqliteWharfDbContext CreateDbContext(string[] args) =>
        WharfDatabase.OpenSqlite(new WharfPaths(Path.Combine(Path.GetTempPath(), "wharf-design-time")));
}

/// <summary>
/// The same for <c>--output-dir Migrations/Postgres --context PostgresWharfDbContext</c>. Adding a
/// migration never connects, so the server named here need not exist.
/// </summary>
public sealed class PostgresDesignTimeDbContextFactory : IDesignTimeDbContextFactory<PostgresWharfDbContext>
{
    public PostgresWharfDbContext CreateDbContext(string[] args) =>
        (PostgresWharfDbContext)WharfDatabase.Open(
            DatabaseTarget.Postgres(new NpgsqlConnectionStringBuilder { Host = "localhost", Database = "wharf_design_time" }),
            new WharfPaths(Path.Combine(Path.GetTempPath(), "wharf-design-time")));
}
