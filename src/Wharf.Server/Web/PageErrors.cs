using Wharf.Core.Browse;
using Wharf.Core.Errors;
using Wharf.Server.Web.Components.Pages;

namespace Wharf.Server.Web;

/// <summary>
/// How a refusal from a service reaches a person on a page: the service's own message in the page frame,
/// 404 for not found (which is also what a repository one may not read answers, so nobody can probe for
/// private names), 403 for permission denied, 503 "Too slow" for a repository read stopped at Browse:Timeout
/// (<see cref="BrowseErrors.TooSlow"/>), on every code page alike. Forms that can be corrected catch their own refusals first
/// and show them beside the form.
/// </summary>
public static class PageErrors
{
    public const string NotFoundTitle = "Not found";
    public const string ForbiddenTitle = "Not allowed";
    public const string TooSlowTitle = "Too slow";

    public static RouteGroupBuilder WithPageErrors(this RouteGroupBuilder group) => group.AddEndpointFilter(async (context, next) =>
    {
        try { return await next(context); }
        catch (WharfException e) when (e.Category is ErrorCategory.NotFound or ErrorCategory.PermissionDenied)
        {
            var http = context.HttpContext;
            var notFound = e.Category == ErrorCategory.NotFound;
            return ErrorPages.Message(http, notFound ? StatusCodes.Status404NotFound : StatusCodes.Status403Forbidden,
                notFound ? NotFoundTitle : ForbiddenTitle, e.Message);
        }
        catch (WharfException e) when (e.Code == BrowseErrors.TimeoutCode && !context.HttpContext.Response.HasStarted)
        {
            return TooSlow(context.HttpContext, e);
        }
    });

    /// <summary>The "Too slow" page for a read stopped at Browse:Timeout; drops what a streaming answer had set (its type, length, disposition).</summary>
    public static IResult TooSlow(HttpContext http, WharfException e)
    {
        http.Response.Clear();
        return ErrorPages.Message(http, StatusCodes.Status503ServiceUnavailable, TooSlowTitle, e.Message);
    }
}
