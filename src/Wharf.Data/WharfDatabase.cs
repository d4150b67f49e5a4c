using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Core;

namespace Wharf.Data;

/// <summary>Opens and prepares an instance's database: SQLite in the data directory, or PostgreSQL.</summary>
public static class WharfDatabase
{
    /// <summary>
    /// How long a statement waits for another process's write lock (SQLite's busy handler) before failing.
    /// The admin commands and the server share one file; writes take milliseconds, so 30 s is only ever
    /// reached when something is stuck. Matches Microsoft.Data.Sqlite's default command timeout.
    /// </summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    private static string MigrationsAssembly => typeof(WharfDatabase).Assembly.GetName().Name!;

    public static string SqliteConnectionString(WharfPaths paths) => new SqliteConnectionStringBuilder
    {
        DataSource = paths.Database,
        Mode = SqliteOpenMode.ReadWriteCreate,
        DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        ForeignKeys = true,
    }.ToString();

    public static void ConfigureSqlite(DbContextOptionsBuilder options, WharfPaths paths) =>
        options.UseSqlite(SqliteConnectionString(paths), sqlite => sqlite.MigrationsAssembly(MigrationsAssembly));

    public static void ConfigurePostgres(DbContextOptionsBuilder options, DatabaseTarget target) =>
        options.UseNpgsql(target.PostgresConnectionString, npgsql => npgsql.MigrationsAssembly(MigrationsAssembly));

    /// <summary>Registers <see cref="WharfDbContext"/> as the provider's own derived context (each has its migrations).</summary>
    public static IServiceCollection AddWharfDatabase(this IServiceCollection services, DatabaseTarget target, WharfPaths paths)
    {
        services.AddSingleton(target);
        return target.Provider switch
        {
            DatabaseProvider.Postgres => services.AddDbContext<WharfDbContext, PostgresWharfDbContext>(o => ConfigurePostgres(o, target)),
            _ => services.AddDbContext<WharfDbContext, SqliteWharfDbContext>(o => ConfigureSqlite(o, paths)),
        };
    }

    public static SqliteWharfDbContext OpenSqlite(WharfPaths paths)
    {
        var builder = new DbContextOptionsBuilder<SqliteWharfDbContext>();
        ConfigureSqlite(builder, paths);
        return new SqliteWharfDbContext(builder.Options);
    }

    /// <summary>A context outside dependency injection (tests, design time); the caller disposes it.</summary>
    public static WharfDbContext Open(DatabaseTarget target, WharfPaths paths)
    {
        if (target.Provider != DatabaseProvider.Postgres) return OpenSqlite(paths);
        var builder = new DbContextOptionsBuilder<PostgresWharfDbContext>();
        ConfigurePostgres(builder, target);
        return new PostgresWharfDbContext(builder.Options);
    }

    /// <summary>
    /// Brings the schema up to date; every command runs this first. WAL lets the server read while an
    /// admin command writes (and the reverse); the setting is stored in the file, so it is set once per
    /// database, before the first migration writes. On PostgreSQL, EF Core creates the database when it
    /// does not exist (the user needs CREATEDB for that) and holds a lock on the migrations history table
    /// while it migrates, so nodes starting together apply each migration once. A server that cannot be
    /// reached or refuses the login is an Unavailable error that names the target without its password.
    /// </summary>
    public static async Task MigrateAsync(WharfDbContext db, CancellationToken cancellationToken)
    {
        if (db.Database.IsSqlite())
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            await db.Database.MigrateAsync(cancellationToken);
            return;
        }
        try
        {
            await db.Database.MigrateAsync(cancellationToken);
        }
        catch (Exception e) when (Stores.DatabaseUnavailable.Describe(e) is { } reason)
        {
            var target = PostgresConnection.Describe(new Npgsql.NpgsqlConnectionStringBuilder(db.Database.GetConnectionString()));
            throw Core.Errors.WharfException.Unavailable($"Cannot use the PostgreSQL database {target}: {reason}.");
        }
    }
}
