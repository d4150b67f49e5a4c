using Wharf.Data;
using Wharf.Server.Cli;
using Wharf.Server.Hosting;

namespace Wharf.Server.Admin;

public static class BackupCommands
{
    public static readonly CliCommand Backup = new(
        "admin backup",
        "Writes a consistent copy of the SQLite database to FILE (safe while the server runs; FILE must not exist).",
        [], [new CliOption("--to", "FILE", Required: true)],
        async (args, console, ct) =>
        {
            // Not AdminCommand.RunAsync: that migrates first, and a backup before an upgrade must not.
            var paths = DataDirectory.Resolve(args, console);
            var target = DatabaseOption.Resolve(args, console, WharfConfiguration.Load(paths));
            // PostgreSQL has its own consistent dump; a copy of a wharf.db that is not in use would be a wrong answer.
            if (target.Provider != DatabaseProvider.Sqlite)
                throw Wharf.Core.Errors.WharfException.InvalidArgument(
                    $"wharf admin backup copies the SQLite database; this Wharf uses {target.Description}. Back it up with pg_dump (docs/OPERATIONS.md, Backups).");
            var bytes = await SqliteBackup.WriteAsync(paths, args["--to"]!, ct);
            await console.Out.WriteLineAsync($"Backed up {paths.Database} to {Wharf.Core.Errors.Display.Printable(Path.GetFullPath(args["--to"]!))} ({bytes} bytes).");
            return ExitCodes.Success;
        });
}
