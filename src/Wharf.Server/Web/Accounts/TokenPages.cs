using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Wharf.Core.Errors;
using Wharf.Core.Tokens;
using Wharf.Core.Users;
using static Wharf.Server.Web.Html;

namespace Wharf.Server.Web.Accounts;

/// <summary>
/// <c>/account/tokens</c>: the signed-in person's API tokens. A new token is shown once, alone, on the page that
/// answers its creation; only its SHA-256 is stored. It authenticates the REST API (Basic with the user name, or Bearer).
/// </summary>
public static class TokenPages
{
    public const string Path = "/account/tokens";
    public const string ShownOnce = "Copy this token now: it cannot be shown again. Wharf keeps only a hash of it.";
    public const string AlreadyShown =
        "A new token is shown only once, on the page right after it was created. If you did not copy it, delete it and create another.";
    public const string CreatedPath = Path + "/created";
    private const string CreatedCookie = "wharf.newtoken";
    /// <summary>Time enough to follow the redirect; a secret never waits longer than this in a cookie.</summary>
    private static readonly TimeSpan CreatedCookieLifetime = TimeSpan.FromMinutes(2);

    // Time-limited: the cookie's value is worthless after its lifetime even if a browser kept it.
    private static ITimeLimitedDataProtector Protector(IDataProtectionProvider protection) =>
        protection.CreateProtector("Wharf.TokenPages.Created").ToTimeLimitedDataProtector();

    public static IEndpointRouteBuilder MapTokenPages(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup(Path).RequireAuthorization(AccountEndpoints.Policy);

        pages.MapGet("/", async (HttpContext http, ClaimsPrincipal me, IUserStore users, IApiTokenStore tokens, CancellationToken ct) =>
        {
            var user = await SshKeyPages.CurrentAsync(me, users, ct);
            return await ListPageAsync(http, user, tokens, null, "", ct);
        });

        // Post, redirect, get: the new secret travels to the page that shows it in a short-lived cookie that only
        // this server can read (Data Protection), and that page deletes it. Reloading that page shows no secret and
        // creates nothing; reloading the form's answer cannot happen, since the answer is a redirect.
        pages.MapPost("/", async ([FromForm] string? name, HttpContext http, ClaimsPrincipal me, IUserStore users,
            IApiTokenStore tokens, ApiTokenService service, IDataProtectionProvider protection, CancellationToken ct) =>
        {
            var user = await SshKeyPages.CurrentAsync(me, users, ct);
            try
            {
                var (token, secret) = await service.CreateAsync(user.Name, name, ct);
                var payload = string.Join('\n', user.Id.ToString(CultureInfo.InvariantCulture), token.Name, secret);
                http.Response.Cookies.Append(CreatedCookie, Protector(protection).Protect(payload, CreatedCookieLifetime), new CookieOptions
                {
                    Path = CreatedPath, HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = http.Request.IsHttps,
                    MaxAge = CreatedCookieLifetime, IsEssential = true,
                });
                return Results.Redirect(CreatedPath);
            }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument)
            {
                return await ListPageAsync(http, user, tokens, e.Message, name ?? "", ct, StatusCodes.Status400BadRequest);
            }
        });

        pages.MapGet("/created", async (HttpContext http, ClaimsPrincipal me, IUserStore users, IDataProtectionProvider protection, CancellationToken ct) =>
        {
            var user = await SshKeyPages.CurrentAsync(me, users, ct);
            http.Response.Headers.CacheControl = "no-store";
            string[]? created = null;
            if (http.Request.Cookies.TryGetValue(CreatedCookie, out var cookie))
            {
                http.Response.Cookies.Delete(CreatedCookie, new CookieOptions { Path = CreatedPath });
                try { created = Protector(protection).Unprotect(cookie).Split('\n', 3); }
                catch (System.Security.Cryptography.CryptographicException) { created = null; }
            }
            // Only for the account that created it, whoever else's browser the cookie might have reached.
            if (created is not [var owner, var tokenName, var secret] || owner != user.Id.ToString(CultureInfo.InvariantCulture))
                return Page(http, "New API token",
                    $"<p id=\"token-gone\">{E(AlreadyShown)}</p><p><a href=\"{Path}\">Back to API tokens</a></p>", user.Name);
            var body = new StringBuilder()
                .Append(CultureInfo.InvariantCulture, $"<p>Token <strong>{E(tokenName)}</strong> created.</p>")
                .Append(CultureInfo.InvariantCulture, $"<p id=\"token-note\" class=\"note\">{E(ShownOnce)}</p>")
                .Append(CultureInfo.InvariantCulture, $"<pre id=\"new-token\">{E(secret)}</pre>")
                .Append(CultureInfo.InvariantCulture, $"<p><a href=\"{Path}\">Back to API tokens</a></p>");
            return Page(http, "New API token", body.ToString(), user.Name);
        });

        pages.MapPost("/{id:long}/delete", async (long id, HttpContext http, ClaimsPrincipal me, IUserStore users,
            IApiTokenStore tokens, CancellationToken ct) =>
        {
            var user = await SshKeyPages.CurrentAsync(me, users, ct);
            if (!await tokens.RemoveAsync(user.Id, id, ct))
                return await ListPageAsync(http, user, tokens, "No such token on your account.", "", ct, StatusCodes.Status404NotFound);
            return Results.Redirect(Path);
        });
        return app;
    }

    private static async Task<IResult> ListPageAsync(HttpContext http, User user, IApiTokenStore tokens, string? error,
        string name, CancellationToken ct, int status = 200)
    {
        var list = await tokens.ListAsync(user.Id, ct);
        var body = new StringBuilder();
        body.Append("<p class=\"note\">Tokens authenticate the REST API: HTTP Basic with your user name and the token, or <code>Authorization: Bearer TOKEN</code>.</p>");
        if (list.Count == 0) body.Append("<p id=\"no-tokens\">No API tokens yet.</p>");
        else
        {
            body.Append("<table id=\"tokens\"><thead><tr><th>Name</th><th>Created</th><th>Last used</th><th></th></tr></thead><tbody>");
            foreach (var t in list)
                body.Append(CultureInfo.InvariantCulture, $"<tr class=\"token\" data-id=\"{t.Id}\"><td>{E(t.Name)}</td><td>{SshKeyPages.When(t.CreatedAt, "")}</td>")
                    .Append(CultureInfo.InvariantCulture, $"<td>{SshKeyPages.When(t.LastUsedAt, "never")}</td><td>")
                    .Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{Path}/{t.Id}/delete\">{Antiforgery(http)}")
                    .Append(CultureInfo.InvariantCulture, $"<button type=\"submit\">Delete {E(t.Name)}</button></form></td></tr>");
            body.Append("</tbody></table>");
        }
        body.Append("<h2>Create token</h2>").Append(Error(error, "token-error"))
            .Append(CultureInfo.InvariantCulture, $"<form id=\"create-token\" method=\"post\" action=\"{Path}\">{Antiforgery(http)}")
            .Append(CultureInfo.InvariantCulture, $"<label for=\"token-name\">Name</label><input id=\"token-name\" name=\"name\" value=\"{E(name)}\" maxlength=\"{ApiTokenService.MaxNameLength}\">")
            .Append("<button type=\"submit\">Create token</button></form>")
            .Append(CultureInfo.InvariantCulture, $"<p><a href=\"{SshKeyPages.Path}\">Back to SSH keys</a></p>");
        return Page(http, "API tokens", body.ToString(), user.Name, null, status);
    }
}
