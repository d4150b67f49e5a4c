namespace Wharf.Server.Web.Api;

/// <summary>
/// What every response under <c>/2.0</c> has, whichever part of the server produced it: a Content-Type, and for
/// an error a Bitbucket error body (<see cref="ApiError"/>). Bitbucket clients read the Content-Type of every
/// response, empty ones included, to choose how to read the body (the <c>bitbucket</c> npm client fails on a
/// response without one), and read <c>error.message</c> from every error. The endpoints write their own bodies;
/// this covers what they never see: a route that does not exist (404), a method a route does not take (405),
/// query parameters routing cannot bind (400), an unexpected failure (500), and empty answers (204).
/// </summary>
public static partial class ApiResponses
{
    public const string Prefix = "/2.0";

    /// <summary>The Content-Type of an empty answer: text, so a client reads the empty body as the empty string, not as JSON.</summary>
    public const string EmptyContentType = "text/plain; charset=utf-8";

    public const string RouteNotFound = "not-found";
    public const string MethodNotAllowed = "method-not-allowed";

    public static IApplicationBuilder UseApiResponses(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (!context.Request.Path.StartsWithSegments(Prefix))
        {
            await next(context);
            return;
        }
        var response = context.Response;
        response.OnStarting(() =>
        {
            if (string.IsNullOrEmpty(response.ContentType)) response.ContentType = EmptyContentType;
            return Task.CompletedTask;
        });
        try
        {
            await next(context);
        }
        catch (Exception e) when (!response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            // Logged in full for the operator; the client learns only that it failed.
            Log.Unhandled(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApiResponses)), e,
                context.Request.Method, context.Request.Path);
            response.Clear();
            response.StatusCode = StatusCodes.Status500InternalServerError;
        }
        if (response.HasStarted || response.StatusCode < 400 || response.ContentLength > 0) return;
        var (message, code) = response.StatusCode switch
        {
            StatusCodes.Status404NotFound => ($"There is no API route {context.Request.Method} {context.Request.Path}.", RouteNotFound),
            StatusCodes.Status405MethodNotAllowed => ($"{context.Request.Path} does not take {context.Request.Method}.", MethodNotAllowed),
            StatusCodes.Status400BadRequest => ("The request is malformed (a query parameter of the wrong type, or headers the server cannot read).", "invalid-argument"),
            StatusCodes.Status500InternalServerError => ("Something went wrong on the server; it has been logged.", "internal-error"),
            var status => ($"The request failed with HTTP status {status}.", "http-" + status),
        };
        await response.WriteAsJsonAsync(ApiError.Of(Core.Errors.Display.Printable(message), code), context.RequestAborted);
    });

    private static partial class Log
    {
        [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Unhandled failure of API request {Method} {Path}")]
        public static partial void Unhandled(ILogger logger, Exception exception, string method, PathString path);
    }
}
