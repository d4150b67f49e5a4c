using System.Data;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Wharf.Core.Audit;

namespace Wharf.Data.Stores;

/// <summary>
/// Adds an audit entry unless a matching one is already there, so that what it records (a reminder mail, an
/// expired-key refusal) happens once even when two nodes, or two logins, do it at the same moment. The check and
/// the insert are one serializable transaction. SQLite: the transaction takes the write lock at BEGIN, so the
/// second waits and then sees the first's entry. PostgreSQL (read committed by default would let both insert):
/// serializable snapshot isolation aborts one of two such transactions with SQLSTATE 40001, and the standard
/// answer is to run it again, when it sees the other's entry.
/// </summary>
internal static class AuditOnce
{
    // Two racers need one retry; more leaves room for unrelated conflicts on the same index pages.
    private const int Attempts = 5;

    public static async Task<bool> RecordAsync(WharfDbContext db, AuditEntry entry, Expression<Func<AuditEntry, bool>> existing,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);
                if (await db.AuditLog.AnyAsync(existing, cancellationToken)) return false;
                db.AuditLog.Add(entry);
                await db.SaveChangesAsync(cancellationToken);
                await tx.CommitAsync(cancellationToken);
                return true;
            }
            catch (Exception e) when (attempt < Attempts && IsSerializationFailure(e))
            {
                db.Entry(entry).State = EntityState.Detached;
                entry.Id = 0;
            }
        }
    }

    private static bool IsSerializationFailure(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure }) return true;
        return false;
    }
}
