using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Wharf.Core;
using Wharf.Core.Errors;
using Wharf.Core.Users;
using Wharf.Server.Accounts;
using static Wharf.Server.Web.Html;

namespace Wharf.Server.Web.Accounts;

/// <summary>
/// <c>/signup</c>, <c>/signin</c> and <c>/signout</c>: web accounts with a password (hashed with ASP.NET Core
/// Identity's <see cref="PasswordHasher{TUser}"/>, PBKDF2 today) and a cookie session. Every form carries an
/// antiforgery token; sign-in is throttled per user name and per address (<see cref="LoginThrottle"/>).
/// </summary>
public static class AccountEndpoints
{
    public const string Scheme = CookieAuthenticationDefaults.AuthenticationScheme;
    /// <summary>The authorization policy of every signed-in page: the cookie, never an API token.</summary>
    public const string Policy = "web";
    public const string AfterSignIn = "/account/ssh-keys";

    public const string BadCredentials = "Incorrect user name or password.";
    public static readonly string Throttled =
        $"Too many failed sign-ins for this user name or from your address. Wait a minute and try again.";

    public static IServiceCollection AddWebAccounts(this IServiceCollection services, WharfPaths paths)
    {
        // The keys that sign session cookies and antiforgery tokens live in DATA, like everything Wharf keeps.
        // ASP.NET's default (~/.aspnet/DataProtection-Keys) is outside it: lost when the data directory moves to
        // another machine, and shared by every Wharf the same OS user runs.
        services.AddDataProtection().SetApplicationName("wharf").PersistKeysToFileSystem(new DirectoryInfo(paths.WebKeys));
        services.AddSingleton<LoginThrottle>();
        services.AddAntiforgery(o => o.Cookie.Name = "wharf.af");
        return services;
    }

    public static AuthenticationBuilder AddWebCookie(this AuthenticationBuilder auth) => auth.AddCookie(Scheme, o =>
    {
        o.Cookie.Name = "wharf.session";
        o.Cookie.HttpOnly = true;
        o.Cookie.SameSite = SameSiteMode.Lax;
        o.LoginPath = "/signin";
        o.LogoutPath = "/signout";
        o.ExpireTimeSpan = TimeSpan.FromDays(14);
        o.SlidingExpiration = true;
    });

    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder app)
    {
        app.MapGet("/signup", (HttpContext http) => SignUpPage(http, null, "", ""));

        app.MapPost("/signup", async ([FromForm] string? username, [FromForm] string? email, [FromForm] string? password,
            HttpContext http, UserService users, PasswordService passwords, CancellationToken ct) =>
        {
            username = username?.Trim() ?? "";
            email = email?.Trim() ?? "";
            password ??= "";
            User user;
            try
            {
                user = await users.CreateAsync(username, email, ct, passwordHash: passwords.Hash(password));
            }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument or ErrorCategory.AlreadyExists)
            {
                return SignUpPage(http, e.Message, username, email);
            }
            await SignInAsync(http, user);
            return Results.Redirect(AfterSignIn);
        });

        app.MapGet("/signin", (HttpContext http, string? returnUrl) => SignInPage(http, null, "", returnUrl));

        app.MapPost("/signin", async ([FromForm] string? username, [FromForm] string? password, [FromForm] string? returnUrl,
            HttpContext http, IUserStore store, PasswordService passwords, LoginThrottle throttle, CancellationToken ct) =>
        {
            username = username?.Trim() ?? "";
            // Names that cannot exist share one key: the throttle stays small however long or varied the input.
            var lowerName = Names.IsValidUserName(username) ? Names.Lower(username) : "";
            var address = http.Connection.RemoteIpAddress?.ToString();
            if (throttle.IsBlocked(lowerName, address))
                return SignInPage(http, Throttled, username, returnUrl, StatusCodes.Status429TooManyRequests);

            var user = Names.IsValidUserName(username) ? await store.FindByNameAsync(username, ct) : null;
            // An account without a password (made by `wharf admin user create`) cannot sign in, and says so no
            // differently than a wrong password: the page must not tell which user names exist.
            var ok = user is not null && passwords.Verify(user, password ?? "");
            if (!ok)
            {
                throttle.Fail(lowerName, address);
                return SignInPage(http, BadCredentials, username, returnUrl, StatusCodes.Status401Unauthorized);
            }
            throttle.Succeed(lowerName);
            await SignInAsync(http, user!);
            return Results.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : AfterSignIn);
        });

        app.MapPost("/signout", async (HttpContext http) =>
        {
            await http.SignOutAsync(Scheme);
            return Results.Redirect("/");
        }).WithMetadata(new RequireAntiforgeryTokenAttribute());
        return app;
    }

    private static async Task SignInAsync(HttpContext http, User user)
    {
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(CultureInfo.InvariantCulture)), new Claim(ClaimTypes.Name, user.Name)], Scheme);
        await http.SignInAsync(Scheme, new ClaimsPrincipal(identity));
    }

    private static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'));

    private static IResult SignUpPage(HttpContext http, string? error, string username, string email) => Page(http, "Sign up",
        Error(error) +
        $"<form method=\"post\" action=\"/signup\">{Antiforgery(http)}" +
        $"<label for=\"username\">User name</label><input id=\"username\" name=\"username\" value=\"{E(username)}\" required maxlength=\"{Names.MaxUserNameLength}\" autocomplete=\"username\">" +
        $"<label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" value=\"{E(email)}\" required autocomplete=\"email\">" +
        $"<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" required minlength=\"{PasswordRules.MinLength}\" autocomplete=\"new-password\">" +
        $"<p class=\"note\">At least {PasswordRules.MinLength} characters.</p>" +
        "<button type=\"submit\">Sign up</button></form><p>Have an account? <a href=\"/signin\">Sign in</a>.</p>",
        status: error is null ? 200 : 400);

    private static IResult SignInPage(HttpContext http, string? error, string username, string? returnUrl, int status = 200) => Page(http, "Sign in",
        Error(error) +
        $"<form method=\"post\" action=\"/signin\">{Antiforgery(http)}" +
        (IsLocal(returnUrl) ? $"<input type=\"hidden\" name=\"returnUrl\" value=\"{E(returnUrl)}\">" : "") +
        $"<label for=\"username\">User name</label><input id=\"username\" name=\"username\" value=\"{E(username)}\" required autocomplete=\"username\">" +
        "<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" required autocomplete=\"current-password\">" +
        "<button type=\"submit\">Sign in</button></form><p>No account yet? <a href=\"/signup\">Sign up</a>.</p>",
        status: error is null ? 200 : status);
}
