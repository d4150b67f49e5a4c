using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Wharf.Core;

namespace Wharf.Data;

/// <summary>Opens and prepares the database of a data directory.</summary>
public static class WharfDatabase
{
    /// <summary>
    /// How long a statement waits for another process's write lock (SQLite's busy handler) before failing.
    /// The admin commands and the server share one file; writes take milliseconds, so 30 s is only ever
    /// reached when something is stuck. Matches Microsoft.Data.Sqlite's default command timeout.
    /// </summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    public static string SqliteConnectionString(WharfPaths paths) => new SqliteConnectionStringBuilder
    {
        DataSource = paths.Database,
        Mode = SqliteOpenMode.ReadWriteCreate,
        DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        ForeignKeys = true,
    }.ToString();

    public static void ConfigureSqlite(DbContextOptionsBuilder options, WharfPaths paths) =>
        options.UseSqlite(SqliteConnectionString(paths), sqlite =>
            sqlite.MigrationsAssembly(typeof(WharfDatabase).Assembly.GetName().Name));

    public static SqliteWharfDbContext OpenSqlite(WharfPaths paths)
    {
        var builder = new DbContextOptionsBuilder<SqliteWharfDbContext>();
        ConfigureSqlite(builder, paths);
        return new SqliteWharfDbContext(builder.Options);
    }

    /// <summary>
    /// Brings the schema up to date; every command runs this first. WAL lets the server read while an
    /// admin command writes (and the reverse); the setting is stored in the file, so it is set once per
    /// database, before the first migration writes.
    /// </summary>
    public static async Task MigrateAsync(WharfDbContext db, CancellationToken cancellationToken)
    {
        if (db.Database.IsSqlite())
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
    }
}
