namespace Wharf.Core.Errors;

/// <summary>
/// A failure whose <see cref="Exception.Message"/> is written for the person who caused it: a front end
/// shows it as it is. Anything else that escapes a service is an internal error and is logged, not shown.
/// </summary>
public sealed class WharfException(ErrorCategory category, string message) : Exception(message)
{
    public ErrorCategory Category { get; } = category;

    public static WharfException InvalidArgument(string message) => new(ErrorCategory.InvalidArgument, message);
    public static WharfException NotFound(string message) => new(ErrorCategory.NotFound, message);
    public static WharfException AlreadyExists(string message) => new(ErrorCategory.AlreadyExists, message);
    public static WharfException PermissionDenied(string message) => new(ErrorCategory.PermissionDenied, message);
}
