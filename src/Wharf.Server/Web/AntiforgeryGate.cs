using Microsoft.AspNetCore.Antiforgery;

namespace Wharf.Server.Web;

/// <summary>
/// Every request that may change something (any method but GET, HEAD, OPTIONS and TRACE) to a page endpoint must
/// carry a valid antiforgery token, or it gets 400 and its handler never runs. Minimal APIs check the token only
/// while binding a form field, so a handler that binds none (a delete button, sign-out) would otherwise run
/// without it; checking here covers every such endpoint, those added later included. The REST API under
/// <c>/2.0</c> is exempt: it authenticates with tokens in a header, never with the session cookie, so a page on
/// another site cannot make a browser call it as the signed-in person.
/// </summary>
public static class AntiforgeryGate
{
    public const string ApiPrefix = Api.ApiResponses.Prefix;
    public const string Title = "Form expired";
    public const string Message =
        "This form was not sent from a current Wharf page (its security token is missing or out of date). Go back, reload the page and try again.";

    /// <summary>Whether a request to <paramref name="path"/> with <paramref name="method"/> must carry the token.</summary>
    public static bool Applies(string method, PathString path) =>
        !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method))
        && !path.StartsWithSegments(ApiPrefix, StringComparison.OrdinalIgnoreCase)
        // The Git LFS API authenticates with a header as well (Web/Lfs/LfsAuthentication.cs).
        && !Lfs.LfsEndpoints.IsLfsPath(path);

    /// <summary>After authentication (the token is bound to the signed-in user) and routing (only endpoints are checked).</summary>
    public static IApplicationBuilder UseAntiforgeryGate(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        // git's smart HTTP endpoints opt out (DisableAntiforgery): they take only an Authorization header, never the cookie.
        if (http.GetEndpoint() is { } endpoint && endpoint.Metadata.GetMetadata<IAntiforgeryMetadata>() is not { RequiresValidation: false }
            && Applies(http.Request.Method, http.Request.Path))
        {
            // UseAntiforgery has already validated endpoints that asked for it; validate the rest here.
            var valid = http.Features.Get<IAntiforgeryValidationFeature>() is { } feature
                ? feature.IsValid
                : await http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http);
            if (!valid)
            {
                await ErrorPages.Message(http, StatusCodes.Status400BadRequest, Title, Message).ExecuteAsync(http);
                return;
            }
        }
        await next(http);
    });
}
