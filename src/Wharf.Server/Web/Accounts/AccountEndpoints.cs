using System.Globalization;
using System.Security.Claims;
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
/// <c>/signup</c>, <c>/signin</c>, <c>/signout</c>, sign out everywhere and the password form: web accounts with a
/// password (hashed with ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/>, PBKDF2 today) and a cookie
/// session that is also a row on the server (<see cref="IUserSessionStore"/>), so that it can be ended. Every form
/// carries an antiforgery token; sign-in is throttled per (user name, address) and per address (<see cref="LoginThrottle"/>).
/// </summary>
public static class AccountEndpoints
{
    public const string Scheme = CookieAuthenticationDefaults.AuthenticationScheme;
    /// <summary>The authorization policy of every signed-in page: the cookie, never an API token.</summary>
    public const string Policy = "web";
    public const string AfterSignIn = "/account/ssh-keys";

    public const string BadCredentials = "Incorrect user name or password.";
    public const string Throttled = "Too many failed sign-ins from your address. Wait a minute and try again.";

    public static IServiceCollection AddWebAccounts(this IServiceCollection services, WharfPaths paths)
    {
        // The keys that sign session cookies and antiforgery tokens live in DATA, like everything Wharf keeps.
        // ASP.NET's default (~/.aspnet/DataProtection-Keys) is outside it: lost when the data directory moves to
        // another machine, and shared by every Wharf the same OS user runs.
        services.AddDataProtection().SetApplicationName("wharf").PersistKeysToFileSystem(new DirectoryInfo(paths.WebKeys));
        services.AddSingleton<LoginThrottle>();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "wharf.af";
            // Secure whenever the request is HTTPS, directly or through a trusted proxy (Http:TrustedProxies).
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        return services;
    }

    /// <summary>How long a session cookie lives without being used (sliding): also how long an unused session row is kept.</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromDays(14);

    /// <summary>The claim that names the session's row in <see cref="IUserSessionStore"/>.</summary>
    public const string SessionClaim = "wharf:session";

    public const string SignOutEverywherePath = "/account/sessions/end-all";
    public const string PasswordPath = "/account/password";
    public const string WrongCurrentPassword = "Your current password is not correct.";
    public const string PasswordChanged = "Password changed. Every other session of your account has been signed out.";

    public static AuthenticationBuilder AddWebCookie(this AuthenticationBuilder auth) => auth.AddCookie(Scheme, o =>
    {
        o.Cookie.Name = "wharf.session";
        o.Cookie.HttpOnly = true;
        o.Cookie.SameSite = SameSiteMode.Lax;
        o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        o.LoginPath = "/signin";
        o.LogoutPath = "/signout";
        o.ExpireTimeSpan = SessionLifetime;
        o.SlidingExpiration = true;
        // The cookie alone proves nothing once its session has ended on the server (sign-out, sign out
        // everywhere, a password change): a copy kept from before is refused and its holder sent to sign in.
        o.Events.OnValidatePrincipal = ValidateSessionAsync;
    });

    private static async Task ValidateSessionAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal;
        var active = Guid.TryParse(principal?.FindFirstValue(SessionClaim), out var session)
            && long.TryParse(principal!.FindFirstValue(ClaimTypes.NameIdentifier), NumberStyles.None, CultureInfo.InvariantCulture, out var userId)
            && await context.HttpContext.RequestServices.GetRequiredService<IUserSessionStore>().IsActiveAsync(
                session, userId, context.HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow(), context.HttpContext.RequestAborted);
        if (active) return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(Scheme);
    }

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
            var address = ClientAddress(http);
            if (throttle.IsBlocked(lowerName, address))
                return SignInPage(http, Throttled, username, returnUrl, StatusCodes.Status429TooManyRequests);

            var user = Names.IsValidUserName(username) ? await store.FindByNameAsync(username, ct) : null;
            // An account without a password (made by `wharf admin user create`) cannot sign in, and says so no
            // differently than a wrong password: the page must not tell which user names exist.
            var ok = passwords.Verify(user, password ?? "");
            if (!ok)
            {
                throttle.Fail(lowerName, address);
                return SignInPage(http, BadCredentials, username, returnUrl, StatusCodes.Status401Unauthorized);
            }
            throttle.Succeed(lowerName, address);
            await SignInAsync(http, user!);
            return Results.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : AfterSignIn);
        });

        app.MapPost("/signout", async (HttpContext http, IUserSessionStore sessions, CancellationToken ct) =>
        {
            // Ends the session on the server too: a copy of the cookie taken before is worth nothing after.
            if (Guid.TryParse(http.User.FindFirstValue(SessionClaim), out var session))
                await sessions.EndAsync(session, ct);
            await http.SignOutAsync(Scheme);
            return Results.Redirect("/");
        }).RequireAuthorization(Policy); // The form's token was issued to the signed-in person: validate it as them.

        // "Sign out everywhere": every session of the account ends, this one included.
        app.MapPost(SignOutEverywherePath, async (HttpContext http, ClaimsPrincipal me, IUserStore users, IUserSessionStore sessions, CancellationToken ct) =>
        {
            var user = await SshKeyPages.CurrentAsync(me, users, ct);
            await sessions.EndAllAsync(user.Id, ct);
            await http.SignOutAsync(Scheme);
            return Results.Redirect("/signin");
        }).RequireAuthorization(Policy);

        // A minimal form: the current password (so that a borrowed session cannot lock the owner out), the new one.
        app.MapGet(PasswordPath, async (HttpContext http, ClaimsPrincipal me, IUserStore users, CancellationToken ct) =>
            PasswordPage(http, (await SshKeyPages.CurrentAsync(me, users, ct)).Name, null)).RequireAuthorization(Policy);

        app.MapPost(PasswordPath, async ([FromForm] string? current, [FromForm] string? password, HttpContext http, ClaimsPrincipal me,
            IUserStore users, PasswordService passwords, LoginThrottle throttle, CancellationToken ct) =>
        {
            var user = await SshKeyPages.CurrentAsync(me, users, ct);
            var address = ClientAddress(http);
            // Guessing the current password here is guessing a sign-in: the same throttle counts it.
            if (throttle.IsBlocked(user.LowerName, address))
                return PasswordPage(http, user.Name, Throttled, StatusCodes.Status429TooManyRequests);
            if (!passwords.Verify(user, current ?? ""))
            {
                throttle.Fail(user.LowerName, address);
                return PasswordPage(http, user.Name, WrongCurrentPassword, StatusCodes.Status400BadRequest);
            }
            try
            {
                // Ends every session of the account, this one included; this browser then gets a new one.
                await passwords.SetAsync(user, password ?? "", ct);
            }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument)
            {
                return PasswordPage(http, user.Name, e.Message, StatusCodes.Status400BadRequest);
            }
            await SignInAsync(http, user);
            return PasswordPage(http, user.Name, null, note: PasswordChanged);
        }).RequireAuthorization(Policy);
        return app;
    }

    private static IResult PasswordPage(HttpContext http, string userName, string? error, int status = 200, string? note = null) => Page(http, "Change password",
        (note is null ? "" : $"<p id=\"password-changed\" class=\"note\" role=\"status\">{E(note)}</p>") + Error(error) +
        $"<form method=\"post\" action=\"{PasswordPath}\">{Antiforgery(http)}" +
        "<label for=\"current\">Current password</label><input id=\"current\" name=\"current\" type=\"password\" required autocomplete=\"current-password\">" +
        $"<label for=\"password\">New password</label><input id=\"password\" name=\"password\" type=\"password\" required minlength=\"{PasswordRules.MinLength}\" autocomplete=\"new-password\">" +
        $"<p class=\"note\">At least {PasswordRules.MinLength} characters. Every other session of your account is signed out.</p>" +
        $"<button type=\"submit\">Change password</button></form><p><a href=\"{SshKeyPages.Path}\">Back to SSH keys</a></p>",
        userName, status: error is null ? 200 : status);

    /// <summary>The client's address: behind a trusted proxy, the one it forwarded (<c>Http:TrustedProxies</c>).</summary>
    private static string? ClientAddress(HttpContext http) =>
        http.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : null;

    /// <summary>The link to change the password and the button that ends every session (shown on the SSH keys page).</summary>
    public static string SessionControls(HttpContext http) =>
        $"<p><a id=\"password-link\" href=\"{PasswordPath}\">Change password</a></p>" +
        $"<form id=\"sign-out-everywhere\" method=\"post\" action=\"{SignOutEverywherePath}\">{Antiforgery(http)}" +
        "<button type=\"submit\">Sign out everywhere</button> <span class=\"note\">Ends every session of your account, on every browser and device, this one included.</span></form>";

    private static async Task SignInAsync(HttpContext http, User user)
    {
        var services = http.RequestServices;
        var session = await services.GetRequiredService<IUserSessionStore>().StartAsync(
            user.Id, services.GetRequiredService<TimeProvider>().GetUtcNow(), SessionLifetime, http.RequestAborted);
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(CultureInfo.InvariantCulture)), new Claim(ClaimTypes.Name, user.Name),
             new Claim(SessionClaim, session.ToString("D"))], Scheme);
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
