using Microsoft.Data.Sqlite;
using Wharf.Core;
using Wharf.Core.Errors;

namespace Wharf.Data;

/// <summary>
/// A consistent copy of the SQLite database while the server runs. <c>VACUUM INTO</c> reads inside one
/// read transaction, so the copy is the database as of one moment; with WAL, writers go on meanwhile. The
/// copy is one self-contained file (no -wal beside it), written under a temporary name and renamed into
/// place, so a half-written backup never carries the final name.
/// </summary>
public static class SqliteBackup
{
    public static async Task<long> WriteAsync(WharfPaths paths, string destination, CancellationToken cancellationToken)
    {
        // Not MigrateAsync: a backup taken before an upgrade must be of the schema as it was.
        if (!File.Exists(paths.Database))
            throw WharfException.NotFound($"No database at {paths.Database}.");
        var target = Path.GetFullPath(destination);
        if (File.Exists(target) || Directory.Exists(target))
            throw WharfException.AlreadyExists($"{target} already exists; choose a new file name.");
        var directory = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(directory))
            throw WharfException.InvalidArgument($"Directory {directory} does not exist.");

        var temporary = Path.Combine(directory, "." + Path.GetFileName(target) + ".partial-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            // Unpooled: the connection, and its handle on the file, ends with this command.
            var connectionString = new SqliteConnectionStringBuilder(WharfDatabase.SqliteConnectionString(paths)) { Pooling = false }.ToString();
            await using (var connection = new SqliteConnection(connectionString))
            {
                await connection.OpenAsync(cancellationToken);
                await using var command = connection.CreateCommand();
                command.CommandText = "VACUUM INTO $path";
                command.Parameters.AddWithValue("$path", temporary);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            // No overwrite: a file that appeared meanwhile is not ours to replace.
            File.Move(temporary, target, overwrite: false);
            return new FileInfo(target).Length;
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
