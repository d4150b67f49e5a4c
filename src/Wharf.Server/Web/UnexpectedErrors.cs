using Wharf.Server.Web.Api;
using static Wharf.Server.Web.Html;

namespace Wharf.Server.Web;

/// <summary>
/// What a request gets when something fails that no endpoint expected (a bug, a broken database or disk, git
/// missing): 500 with a body that says so, never an empty answer. The API answers in its Bitbucket error JSON, the
/// pages with a page. Neither shows the exception; ASP.NET's exception handler logs it in full.
/// </summary>
public static class UnexpectedErrors
{
    public const string Title = "Something went wrong";
    public const string Message = "Wharf could not do this because of an error on the server. The server log has the details.";
    public const string ApiMessage = "Internal error; the server log has the details.";
    public const string ApiCode = "internal-error";

    public static IApplicationBuilder UseUnexpectedErrors(this IApplicationBuilder app) =>
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = WriteAsync });

    private static Task WriteAsync(HttpContext http)
    {
        var result = http.Request.Path.StartsWithSegments(AntiforgeryGate.ApiPrefix, StringComparison.OrdinalIgnoreCase)
            ? Results.Json(ApiError.Of(ApiMessage, ApiCode), statusCode: StatusCodes.Status500InternalServerError)
            : Page(http, Title, Error(Message, "page-error"), status: StatusCodes.Status500InternalServerError);
        return result.ExecuteAsync(http);
    }
}
