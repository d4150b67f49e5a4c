using Wharf.Core.Errors;

namespace Wharf.Server.Cli;

/// <summary>
/// The CLI's exit codes, one per error category (docs/ARCHITECTURE.md, design rule 3). Scripts may rely on these numbers;
/// README.md lists them. 2 for a usage error follows the shell and BSD sysexits habit.
/// </summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>Anything unexpected: a bug, a broken disk or database. Details go to stderr.</summary>
    public const int InternalError = 1;
    public const int InvalidArgument = 2;
    public const int NotFound = 3;
    public const int AlreadyExists = 4;
    public const int PermissionDenied = 5;
    /// <summary>The database cannot be reached or refuses the login (PostgreSQL down, wrong password, no such database).</summary>
    public const int Unavailable = 6;

    public static int For(ErrorCategory category) => category switch
    {
        ErrorCategory.InvalidArgument => InvalidArgument,
        ErrorCategory.NotFound => NotFound,
        ErrorCategory.AlreadyExists => AlreadyExists,
        ErrorCategory.PermissionDenied => PermissionDenied,
        ErrorCategory.Unavailable => Unavailable,
        _ => InternalError,
    };
}
