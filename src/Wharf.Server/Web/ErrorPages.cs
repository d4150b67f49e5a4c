using Microsoft.AspNetCore.Authentication;
using Wharf.Server.Web.Accounts;
using Wharf.Server.Web.Components.Pages;

namespace Wharf.Server.Web;

/// <summary>
/// The styled pages for a 403, 404, 405 or 500 that an endpoint (or routing itself) answered without a body:
/// the site's frame, what happened, and a way home. The REST API (<c>/2.0</c>) keeps its JSON error bodies.
/// </summary>
public static class ErrorPages
{
    public static IApplicationBuilder UseErrorPages(this IApplicationBuilder app) => app.UseStatusCodePages(async context =>
    {
        var http = context.HttpContext;
        var status = http.Response.StatusCode;
        if (status is not (StatusCodes.Status403Forbidden or StatusCodes.Status404NotFound
            or StatusCodes.Status405MethodNotAllowed or StatusCodes.Status500InternalServerError)) return;
        if (!WantsPage(http.Request)) return;
        // The pages' session, not the API's token: a 404 for a signed-in person keeps their navigation.
        var session = await http.AuthenticateAsync(AccountEndpoints.Scheme);
        await Render(http, status, session.Succeeded ? session.Principal.Identity?.Name : null).ExecuteAsync(http);
    });

    /// <summary>The error page for <paramref name="status"/>; <paramref name="userName"/> shows the signed-in navigation.</summary>
    public static IResult Render(HttpContext http, int status, string? userName) =>
        WebPage.Render<ErrorPage>(http, new { StatusCode = status, UserName = userName }, status);

    /// <summary>A page that says <paramref name="message"/> under <paramref name="title"/>, with the session's navigation when there is one.</summary>
    public static IResult Message(HttpContext http, int status, string title, string message) =>
        WebPage.Render<MessagePage>(http, new
        {
            StatusCode = status,
            Title = title,
            Message = message,
            UserName = http.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : null,
        }, status);

    private static bool WantsPage(HttpRequest request) =>
        !request.Path.StartsWithSegments("/2.0") && !request.Path.StartsWithSegments("/static")
        && !request.Path.StartsWithSegments("/healthz") && !request.Path.StartsWithSegments("/readyz")
        && !request.Path.StartsWithSegments("/metrics");
}
