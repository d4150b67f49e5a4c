namespace Wharf.Core.Errors;

/// <summary>
/// A failure whose <see cref="Exception.Message"/> is written for the person who caused it: a front end
/// shows it as it is. Anything else that escapes a service is an internal error and is logged, not shown.
/// </summary>
public sealed class WharfException(ErrorCategory category, string message, string? code = null) : Exception(message)
{
    public ErrorCategory Category { get; } = category;

    /// <summary>
    /// A stable machine-readable reason (<c>key-truncated</c>, <c>key-in-use</c>, ...) that the API returns
    /// as <c>error.code</c>; null where the category says enough. Codes are listed in one table per feature
    /// (<see cref="Keys.KeyErrors"/>).
    /// </summary>
    public string? Code { get; } = code;

    /// <summary>Optional precision for a client that wants it (the API's <c>error.detail</c>), such as where in a request body the fault is.</summary>
    public string? Detail { get; init; }

    public static WharfException InvalidArgument(string message, string? code = null) => new(ErrorCategory.InvalidArgument, message, code);
    public static WharfException NotFound(string message, string? code = null) => new(ErrorCategory.NotFound, message, code);
    public static WharfException AlreadyExists(string message, string? code = null) => new(ErrorCategory.AlreadyExists, message, code);
    public static WharfException PermissionDenied(string message, string? code = null) => new(ErrorCategory.PermissionDenied, message, code);
    public static WharfException Unavailable(string message, string? code = null) => new(ErrorCategory.Unavailable, message, code);
}
