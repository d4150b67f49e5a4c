
namespace Wharf.Server.Web;

/// <summary>
/// What a page request gets when something fails that no endpoint expected (a bug, a broken database or disk, git
/// missing): 500 with a page that says so, never an empty answer, and never the exception (ASP.NET's exception
/// handler logs it in full). The API under <c>/2.0</c> answers its own failures in its error JSON
/// (<see cref="Api.ApiResponses"/>, inside this one).
/// </summary>
public static class UnexpectedErrors
{
    public const string Title = "Something went wrong";
    public const string Message = "Wharf could not do this because of an error on the server. The server log has the details.";

    public static IApplicationBuilder UseUnexpectedErrors(this IApplicationBuilder app) =>
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = http => ErrorPages.Message(http, StatusCodes.Status500InternalServerError, Title, Message).ExecuteAsync(http),
        });
}
