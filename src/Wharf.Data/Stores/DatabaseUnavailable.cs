using System.Net.Sockets;
using Npgsql;

namespace Wharf.Data.Stores;

/// <summary>
/// Tells "the database server cannot be used" (down, unreachable, refuses the login, no such database,
/// no right to create it) from a bug, and says which in words an operator acts on. The text comes from
/// the server's error fields or the socket error, never from the connection string, so it holds no password.
/// </summary>
public static class DatabaseUnavailable
{
    public static string? Describe(Exception e) => e switch
    {
        PostgresException p when IsUnavailable(p.SqlState) => $"{p.MessageText} (SQLSTATE {p.SqlState})",
        PostgresException => null,
        NpgsqlException { InnerException: SocketException s } => s.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused (is the server running, and on that port?)",
            SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "unknown host",
            _ => s.Message,
        },
        NpgsqlException { InnerException: TimeoutException } => "no answer before the connection timeout",
        NpgsqlException n => n.Message,
        InvalidOperationException { InnerException: { } inner } => Describe(inner),
        _ => null,
    };

    // Class 08 connection exception, 28 invalid authorization, 3D000 no such database, 53 insufficient
    // resources (too many connections), 57P cannot connect now / shutting down, 42501 no right to create
    // the database. See https://www.postgresql.org/docs/current/errcodes-appendix.html.
    private static bool IsUnavailable(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal) || sqlState.StartsWith("28", StringComparison.Ordinal) ||
        sqlState == "3D000" || sqlState.StartsWith("53", StringComparison.Ordinal) ||
        sqlState.StartsWith("57P", StringComparison.Ordinal) || sqlState == "42501";
}
