namespace Wharf.Core.Errors;

/// <summary>
/// The few kinds of failure a person can be told about. Each front end (CLI exit code, SSH stderr and
/// exit status, later HTTP status) maps these once, in one table (CONVENTIONS §11).
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
