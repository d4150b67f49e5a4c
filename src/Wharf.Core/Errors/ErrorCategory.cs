namespace Wharf.Core.Errors;

/// <summary>
/// The few kinds of failure a person can be told about. Each front end (CLI exit code, SSH stderr and
/// exit status, HTTP status) maps these once, in one table (docs/ARCHITECTURE.md, design rule 3).
/// </summary>
public enum ErrorCategory
{
    InvalidArgument,
    NotFound,
    AlreadyExists,
    PermissionDenied,
    /// <summary>Something Wharf depends on cannot be reached (the PostgreSQL server is down, refuses the login, has no such database).</summary>
    Unavailable,
}
