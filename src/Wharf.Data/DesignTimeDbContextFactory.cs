using Microsoft.EntityFrameworkCore.Design;
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
