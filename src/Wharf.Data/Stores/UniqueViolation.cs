using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Wharf.Data.Stores;

/// <summary>
/// Recognises a unique-index violation, the database's answer to two concurrent creates of the same
/// name or key. Each provider reports it its own way.
/// </summary>
internal static class UniqueViolation
{
    // SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY extended result codes.
    private const int SqliteConstraintUnique = 2067;
    private const int SqliteConstraintPrimaryKey = 1555;

    public static bool Is(DbUpdateException e) => Is((Exception)e);

    /// <summary>Also for ExecuteUpdate, which throws the provider's exception itself, not wrapped in DbUpdateException.</summary>
    public static bool Is(Exception e) => (e is DbUpdateException ? e.InnerException : e) switch
    {
        SqliteException s => s.SqliteExtendedErrorCode is SqliteConstraintUnique or SqliteConstraintPrimaryKey,
        // SQLSTATE 23505 unique_violation (a primary key is a unique index too).
        PostgresException p => p.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };
}
