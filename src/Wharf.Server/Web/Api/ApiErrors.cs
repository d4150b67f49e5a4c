using Wharf.Core.Errors;

namespace Wharf.Server.Web.Api;

/// <summary>Bitbucket Cloud's error body: <c>{"type": "error", "error": {"message", "detail", "code"}}</c>.</summary>
public sealed record ApiError(string Type, ApiErrorBody Error)
{
    public static ApiError Of(string message, string? code, string? detail = null) => new("error", new ApiErrorBody(message, detail, code));
}

public sealed record ApiErrorBody(string Message, string? Detail, string? Code);

/// <summary>How a <see cref="WharfException"/> reaches an API client: one table of HTTP statuses (docs/ARCHITECTURE.md, design rule 3).</summary>
public static class ApiErrors
{
    public static int Status(ErrorCategory category) => category switch
    {
        ErrorCategory.InvalidArgument => StatusCodes.Status400BadRequest,
        ErrorCategory.NotFound => StatusCodes.Status404NotFound,
        ErrorCategory.AlreadyExists => StatusCodes.Status409Conflict,
        ErrorCategory.PermissionDenied => StatusCodes.Status403Forbidden,
        ErrorCategory.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>Codes for the categories that have no more specific one.</summary>
    public static string DefaultCode(ErrorCategory category) => category switch
    {
        ErrorCategory.InvalidArgument => "invalid-argument",
        ErrorCategory.NotFound => "not-found",
        ErrorCategory.AlreadyExists => "already-exists",
        ErrorCategory.PermissionDenied => "forbidden",
        ErrorCategory.Unavailable => "unavailable",
        _ => "internal-error",
    };

    /// <summary>The body is not sent as JSON (no or another Content-Type; curl's <c>-d</c> sends a form).</summary>
    public const string BodyNotJson = "body-not-json";
    /// <summary>The body is empty, not JSON, or JSON of the wrong shape.</summary>
    public const string BodyInvalidJson = "body-invalid-json";

    public static IResult Result(WharfException e) =>
        Results.Json(ApiError.Of(e.Message, e.Code ?? DefaultCode(e.Category), e.Detail), statusCode: Status(e.Category));

    /// <summary>Turns a refusal from a service into its JSON error; anything else stays a 500 for the log.</summary>
    public static RouteGroupBuilder WithApiErrors(this RouteGroupBuilder group) => group.AddEndpointFilter(async (context, next) =>
    {
        try { return await next(context); }
        catch (WharfException e) when (!context.HttpContext.Response.HasStarted)
        {
            // A streaming answer (a file's bytes) may have set its type and length before the read failed.
            context.HttpContext.Response.Clear();
            return Result(e);
        }
    });
}
