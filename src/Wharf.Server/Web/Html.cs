using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;

namespace Wharf.Server.Web;

/// <summary>
/// The few pieces every server-rendered page shares: encoding, the antiforgery field, and the page frame.
/// Pages are plain strings built by their endpoints; no view engine, no inline script (the CSP forbids it).
/// </summary>
public static class Html
{
    public const string ContentType = "text/html; charset=utf-8";

    // Scripts only from this origin: the keys page's checker is a static file, never inline.
    private const string ContentSecurityPolicy =
        "default-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private const string Style =
        "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;line-height:1.4}" +
        "label{display:block;font-weight:600;margin-top:.75rem}input,textarea{font:inherit;width:100%;max-width:40rem;box-sizing:border-box}" +
        "input[type=checkbox],input[type=radio]{width:auto;margin-right:.4rem}label.choice{font-weight:400}fieldset{border:0;padding:0;margin:0}" +
        "legend{font-weight:600;margin-top:.75rem;padding:0}pre{background:#f4f4f4;padding:.5rem;overflow-x:auto}" +
        ".copy input{max-width:34rem}.copy button{margin:0 .4rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dd{margin:0}" +
        "textarea{font-family:monospace}button{margin-top:.75rem}table{border-collapse:collapse;width:100%}" +
        "th,td{border-bottom:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}code{word-break:break-all}" +
        ".error{color:#a00;font-weight:600}.note{color:#555}.inline{display:inline}nav form{display:inline}";

    /// <summary>HTML-encodes text for element content and quoted attribute values.</summary>
    public static string E(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    /// <summary>The hidden antiforgery field every form carries; the POST endpoints refuse a form without it.</summary>
    public static string Antiforgery(HttpContext http)
    {
        var tokens = http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http);
        return $"<input type=\"hidden\" name=\"{E(tokens.FormFieldName)}\" value=\"{E(tokens.RequestToken)}\">";
    }

    public static string Error(string? message, string id = "form-error") =>
        message is null ? "" : $"<p id=\"{id}\" class=\"error\" role=\"alert\">{E(message)}</p>";

    /// <summary>A whole page. <paramref name="userName"/> shows the signed-in navigation (with the sign-out form).</summary>
    public static IResult Page(HttpContext http, string title, string body, string? userName = null, string? script = null, int status = 200)
    {
        var nav = new StringBuilder("<nav><a href=\"/\">Wharf</a> · ");
        if (userName is null) nav.Append("<a href=\"/signin\">Sign in</a> · <a href=\"/signup\">Sign up</a>");
        else nav.Append($"Signed in as <strong>{E(userName)}</strong> · <a href=\"/repositories\">Repositories</a> · <a href=\"/account/ssh-keys\">SSH keys</a> · ")
            .Append($"<form method=\"post\" action=\"/signout\">{Antiforgery(http)}<button type=\"submit\">Sign out</button></form>");
        nav.Append("</nav>");
        var html = $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">" +
            $"<title>{E(title)} · Wharf</title><style>{Style}</style>" +
            (script is null ? "" : $"<script src=\"{E(script)}\" defer></script>") +
            $"</head><body>{nav}<main><h1>{E(title)}</h1>{body}</main></body></html>";
        http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.CacheControl = "no-store";
        return Results.Content(html, ContentType, Encoding.UTF8, status);
    }
}
