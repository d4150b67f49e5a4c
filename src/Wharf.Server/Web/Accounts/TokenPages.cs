using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Wharf.Core.Errors;
using Wharf.Core.Tokens;
using Wharf.Core.Users;

namespace Wharf.Server.Web.Accounts;

/// <summary>
/// <c>/account/tokens</c>: the signed-in person's API tokens. A new token is shown once, alone, on the page that
/// answers its creation; only its SHA-256 is stored. It authenticates the REST API (Basic with the user name, or Bearer)
/// and git over HTTPS; the scopes ticked on the form limit it (none ticked: every scope).
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
                var (token, secret) = await service.CreateAsync(user.Name, name, ct, AuditPages.ActorOf(user.Name, http),
                    (await http.Request.ReadFormAsync(ct))["scopes"].OfType<string>());
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
                return await ListPageAsync(http, user, tokens, null, name ?? "", ct, StatusCodes.Status400BadRequest, e.Message);
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
                return WebPage.Render<TokenCreatedView>(http, new { UserName = user.Name });
            return WebPage.Render<TokenCreatedView>(http, new { UserName = user.Name, TokenName = tokenName, Secret = secret });
        });

        pages.MapPost("/{id:long}/delete", async (long id, HttpContext http, ClaimsPrincipal me, IUserStore users,
            IApiTokenStore tokens, ApiTokenService service, CancellationToken ct) =>
        {
            var user = await SshKeyPages.CurrentAsync(me, users, ct);
            if (await service.DeleteAsync(user.Id, id, AuditPages.ActorOf(user.Name, http), ct) is not { } deleted)
                return await ListPageAsync(http, user, tokens, "No such token on your account.", "", ct, StatusCodes.Status404NotFound);
            return WebPage.RedirectWithFlash(http, Path, $"Token '{deleted.Name}' deleted.");
        });
        return app;
    }

    private static async Task<IResult> ListPageAsync(HttpContext http, User user, IApiTokenStore tokens, string? error,
        string name, CancellationToken ct, int status = 200, string? nameError = null) =>
        WebPage.Render<TokensView>(http, new
        {
            UserName = user.Name, Tokens = await tokens.ListAsync(user.Id, ct), Error = error, Name = name, NameError = nameError,
        }, status);
}
