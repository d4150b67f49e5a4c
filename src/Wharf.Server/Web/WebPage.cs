using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Wharf.Server.Web;

/// <summary>
/// How an endpoint answers with a page: a Razor component (static server rendering, no HTML assembled from
/// strings) under the site's security headers, and the one-shot flash message a change leaves for the page its
/// redirect lands on.
/// </summary>
public static class WebPage
{
    public const string ContentType = "text/html; charset=utf-8";

    // Scripts and styles from this origin only; no inline script or style anywhere.
    public const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

    private const string FlashCookie = "wharf.flash";
    private const string FlashPurpose = "Wharf.Web.Flash";
    internal const string FlashItem = "wharf.flash";

    /// <summary>Renders <typeparamref name="TPage"/> with <paramref name="parameters"/> (an anonymous object or a dictionary).</summary>
    public static IResult Render<TPage>(HttpContext http, object? parameters = null, int status = StatusCodes.Status200OK)
        where TPage : IComponent
    {
        SetHeaders(http.Response);
        // Taken here, before anything is written, so its cookie can still be cleared; PageShell shows it.
        http.Items[FlashItem] = TakeFlash(http);
        return parameters switch
        {
            null => new RazorComponentResult<TPage> { StatusCode = status, ContentType = ContentType },
            IReadOnlyDictionary<string, object?> d => new RazorComponentResult<TPage>(d) { StatusCode = status, ContentType = ContentType },
            _ => new RazorComponentResult<TPage>(parameters) { StatusCode = status, ContentType = ContentType },
        };
    }

    public static void SetHeaders(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "same-origin";
        response.Headers.CacheControl = "no-store";
    }

    /// <summary>Redirects after a change, leaving <paramref name="message"/> for the next page (post, redirect, get).</summary>
    public static IResult RedirectWithFlash(HttpContext http, string location, string message)
    {
        var protector = http.RequestServices.GetRequiredService<IDataProtectionProvider>().CreateProtector(FlashPurpose);
        http.Response.Cookies.Append(FlashCookie, protector.Protect(message), new CookieOptions
        {
            HttpOnly = true,
            IsEssential = true,
            SameSite = SameSiteMode.Lax,
            Secure = http.Request.IsHttps,
            Path = "/",
            MaxAge = TimeSpan.FromMinutes(1),
        });
        return Results.Redirect(location);
    }

    /// <summary>The flash message the previous request left, if any; it is shown once.</summary>
    public static string? TakeFlash(HttpContext http)
    {
        if (!http.Request.Cookies.TryGetValue(FlashCookie, out var sealedMessage)) return null;
        if (!http.Response.HasStarted) http.Response.Cookies.Delete(FlashCookie, new CookieOptions { Path = "/" });
        try
        {
            return http.RequestServices.GetRequiredService<IDataProtectionProvider>().CreateProtector(FlashPurpose).Unprotect(sealedMessage);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null; // not one of ours, or from an older key: show nothing
        }
    }
}
