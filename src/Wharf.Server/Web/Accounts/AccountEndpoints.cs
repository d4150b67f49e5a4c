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
using Wharf.Server.Mail;

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
    public const string AccountDisabled = "This account is disabled. Ask your Wharf administrator.";
    public const string Throttled = "Too many failed sign-ins from your address. Wait a minute and try again.";

    public static IServiceCollection AddWebAccounts(this IServiceCollection services, WharfPaths paths)
    {
        // The keys that sign session cookies and antiforgery tokens live in DATA, like everything Wharf keeps.
        // ASP.NET's default (~/.aspnet/DataProtection-Keys) is outside it: lost when the data directory moves to
        // another machine, and shared by every Wharf the same OS user runs.
        services.AddDataProtection().SetApplicationName("wharf").PersistKeysToFileSystem(new DirectoryInfo(paths.WebKeys));
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<PasswordResetThrottle>();
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

    public const string AccountPath = "/account";
    public const string EmailPath = "/account/email";
    public const string ResendPath = "/account/email/resend";
    public const string PasswordResetSetPath = "/password-reset/set";
    public const string SameEmail = "That is already your email address.";
    public const string LinkRefused = "This link has expired or was already used. Ask for a new one.";
    public const string PasswordResetDone = "Password set, and every session of your account signed out. Sign in with your new password.";

    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder app)
    {
        // Closed sign-up: the page does not exist (404), and the navigation offers none.
        app.MapGet("/signup", async (HttpContext http, SignUpPolicy signUp) =>
            !signUp.Open ? Results.NotFound()
            : await SignedInUserAsync(http) is not null ? Results.Redirect("/")
            : WebPage.Render<SignUpPage>(http));

        app.MapPost("/signup", async ([FromForm] string? username, [FromForm] string? email, [FromForm] string? password,
            HttpContext http, SignUpPolicy signUp, UserService users, PasswordService passwords, AccountMailer mailer, CancellationToken ct) =>
        {
            if (!signUp.Open) return Results.NotFound();
            username = username?.Trim() ?? "";
            email = email?.Trim() ?? "";
            string? hash = null, passwordError = null, emailError = null, nameError = null;
            try { hash = passwords.Hash(password ?? ""); }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument) { passwordError = e.Message; }
            try { UserService.CheckEmail(email); }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument) { emailError = e.Message; }
            User? user = null;
            if (hash is not null && emailError is null)
            {
                try
                {
                    user = await users.CreateAsync(username, email, ct, passwordHash: hash);
                }
                catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument or ErrorCategory.AlreadyExists)
                {
                    // The taken address gets one fixed answer that names no account (see UserService.EmailUnavailable).
                    if (e.Message == UserService.EmailUnavailable) emailError = e.Message; else nameError = e.Message;
                }
            }
            if (user is null)
                return WebPage.Render<SignUpPage>(http, new { UserName = username, Email = email, UserNameError = nameError, EmailError = emailError, PasswordError = passwordError },
                    StatusCodes.Status400BadRequest);
            await mailer.SendVerificationAsync(user, user.Email, ct);
            await SignInAsync(http, user);
            return WebPage.RedirectWithFlash(http, AfterSignIn, WelcomeMessage(user));
        });

        app.MapGet("/signin", async (HttpContext http, SignUpPolicy signUp, string? returnUrl) =>
            await SignedInUserAsync(http) is not null ? Results.Redirect("/") : SignInPage(http, signUp, null, "", returnUrl));

        app.MapPost("/signin", async ([FromForm] string? username, [FromForm] string? password, [FromForm] string? returnUrl,
            HttpContext http, IUserStore store, PasswordService passwords, LoginThrottle throttle, SignUpPolicy signUp, CancellationToken ct) =>
        {
            username = username?.Trim() ?? "";
            // Names that cannot exist share one key: the throttle stays small however long or varied the input.
            var lowerName = Names.IsValidUserName(username) ? Names.Lower(username) : "";
            var address = ClientAddress(http);
            if (throttle.IsBlocked(lowerName, address))
                return SignInPage(http, signUp, Throttled, username, returnUrl, StatusCodes.Status429TooManyRequests);

            var user = Names.IsValidUserName(username) ? await store.FindByNameAsync(username, ct) : null;
            // An account without a password (made by `wharf admin user create`) cannot sign in, and says so no
            // differently than a wrong password: the page must not tell which user names exist.
            var ok = passwords.Verify(user, password ?? "");
            if (!ok)
            {
                throttle.Fail(lowerName, address);
                return SignInPage(http, signUp, BadCredentials, username, returnUrl, StatusCodes.Status401Unauthorized);
            }
            throttle.Succeed(lowerName, address);
            // Said only to someone who knew the password: it tells nobody else that the account exists.
            if (user!.IsDisabled) return SignInPage(http, signUp, AccountDisabled, username, returnUrl, StatusCodes.Status403Forbidden);
            await SignInAsync(http, user);
            return Results.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : AfterSignIn);
        });

        // A page with the button, not a sign-out on GET: any site could otherwise sign a visitor out with a link or an image.
        app.MapGet("/signout", async (HttpContext http, ClaimsPrincipal me, IUserStore users, CancellationToken ct) =>
            WebPage.Render<SignOutPage>(http, new { UserName = (await SshKeyPages.CurrentAsync(me, users, ct)).Name })).RequireAuthorization(Policy);

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

        app.MapGet(PasswordPath, async (HttpContext http, ClaimsPrincipal me, IUserStore users, CancellationToken ct) =>
            WebPage.Render<PasswordPage>(http, new { UserName = (await SshKeyPages.CurrentAsync(me, users, ct)).Name })).RequireAuthorization(Policy);

        app.MapPost(PasswordPath, async ([FromForm] string? current, [FromForm] string? password, HttpContext http, ClaimsPrincipal me,
            IUserStore users, PasswordService passwords, LoginThrottle throttle, CancellationToken ct) =>
        {
            var user = await SshKeyPages.CurrentAsync(me, users, ct);
            IResult Refuse(string? currentError, string? passwordError, int status) =>
                WebPage.Render<PasswordPage>(http, new { UserName = user.Name, CurrentError = currentError, PasswordError = passwordError }, status);
            var address = ClientAddress(http);
            // Guessing the current password here is guessing a sign-in: the same throttle counts it.
            if (throttle.IsBlocked(user.LowerName, address)) return Refuse(Throttled, null, StatusCodes.Status429TooManyRequests);
            if (!passwords.Verify(user, current ?? ""))
            {
                throttle.Fail(user.LowerName, address);
                return Refuse(WrongCurrentPassword, null, StatusCodes.Status400BadRequest);
            }
            try
            {
                // Ends every session of the account, this one included; this browser then gets a new one.
                await passwords.SetAsync(user, password ?? "", ct);
            }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument)
            {
                return Refuse(null, e.Message, StatusCodes.Status400BadRequest);
            }
            await SignInAsync(http, user);
            return WebPage.RedirectWithFlash(http, AccountPath, PasswordChanged);
        }).RequireAuthorization(Policy);

        MapEmail(app);
        MapPasswordReset(app);
        return app;
    }

    public static string WelcomeMessage(User user) =>
        $"Welcome, {user.Name}. We sent a link to {user.Email}: follow it to confirm your address.";

    /// <summary><c>/account</c>, changing the address, resending and following the verification link.</summary>
    private static void MapEmail(IEndpointRouteBuilder app)
    {
        app.MapGet(AccountPath, async (HttpContext http, ClaimsPrincipal me, IUserStore users, CancellationToken ct) =>
            WebPage.Render<AccountPage>(http, new { User = await SshKeyPages.CurrentAsync(me, users, ct) })).RequireAuthorization(Policy);

        app.MapPost(EmailPath, async ([FromForm] string? email, [FromForm] string? current, HttpContext http, ClaimsPrincipal me,
            IUserStore users, PasswordService passwords, LoginThrottle throttle, AccountMailer mailer, CancellationToken ct) =>
        {
            var user = await SshKeyPages.CurrentAsync(me, users, ct);
            email = email?.Trim() ?? "";
            IResult Refuse(string? emailError, string? passwordError, int status = StatusCodes.Status400BadRequest) =>
                WebPage.Render<AccountPage>(http, new { User = user, NewEmail = email, EmailError = emailError, PasswordError = passwordError }, status);
            var address = ClientAddress(http);
            // The password, so that a borrowed session cannot move the account (and its password resets) to another mailbox.
            if (throttle.IsBlocked(user.LowerName, address)) return Refuse(null, Throttled, StatusCodes.Status429TooManyRequests);
            if (!passwords.Verify(user, current ?? ""))
            {
                throttle.Fail(user.LowerName, address);
                return Refuse(null, WrongCurrentPassword);
            }
            try { UserService.CheckEmail(email); }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument) { return Refuse(e.Message, null); }
            var holder = await users.FindByEmailAsync(email, ct);
            if (holder?.Id == user.Id && string.Equals(user.Email, email, StringComparison.Ordinal)) return Refuse(SameEmail, null);
            if (holder is not null && holder.Id != user.Id) return Refuse(UserService.EmailUnavailable, null);
            // Nothing changes until the link is followed: the old address stays in use (and verified) meanwhile.
            await mailer.SendVerificationAsync(user, email, ct);
            return WebPage.RedirectWithFlash(http, AccountPath, $"We sent a link to {email}. Your address changes when you follow it.");
        }).RequireAuthorization(Policy);

        app.MapPost(ResendPath, async (HttpContext http, ClaimsPrincipal me, IUserStore users, AccountMailer mailer, CancellationToken ct) =>
        {
            var user = await SshKeyPages.CurrentAsync(me, users, ct);
            if (user.EmailVerified) return WebPage.RedirectWithFlash(http, AccountPath, "Your email address is already verified.");
            if (user.LowerEmail is null)
                return WebPage.RedirectWithFlash(http, AccountPath, "Another account uses this address. Change your email address instead.");
            await mailer.SendVerificationAsync(user, user.Email, ct);
            return WebPage.RedirectWithFlash(http, AccountPath, $"We sent a new link to {user.Email}.");
        }).RequireAuthorization(Policy);

        // The link in the mail. Following it is the proof, so it needs no session (the mail may be read on another device).
        app.MapGet(AccountMailer.VerifyPath, async (string? token, HttpContext http, IEmailTokenStore tokens, IUserStore users, AccountMailer mailer,
            TimeProvider time, CancellationToken ct) =>
        {
            var taken = string.IsNullOrEmpty(token) ? null
                : await tokens.TakeAsync(AccountMailer.HashToken(token), EmailTokenPurpose.Verify, time.GetUtcNow(), ct);
            var user = taken is null ? null : await users.FindByIdAsync(taken.UserId, ct);
            var signedIn = await SignedInUserAsync(http);
            if (taken is null || user is null)
                return WebPage.Render<LinkRefusedPage>(http, new { Message = LinkRefused, UserName = signedIn?.Name, Next = signedIn is null ? "/" : AccountPath },
                    StatusCodes.Status400BadRequest);
            var oldEmail = user.Email;
            try
            {
                await users.SetEmailAsync(user.Id, taken.Email, verified: true, ct);
            }
            catch (WharfException e) when (e.Category is ErrorCategory.AlreadyExists)
            {
                // Another account took the address between the mail and the click.
                return WebPage.Render<LinkRefusedPage>(http, new { Message = e.Message, UserName = signedIn?.Name }, StatusCodes.Status400BadRequest);
            }
            if (!string.Equals(UserService.NormaliseEmail(oldEmail), UserService.NormaliseEmail(taken.Email), StringComparison.Ordinal))
                await mailer.SendEmailChangedAsync(user, oldEmail, taken.Email, ct);
            return WebPage.RedirectWithFlash(http, signedIn is null ? "/signin" : AccountPath, $"Email address {taken.Email} verified.");
        });
    }

    /// <summary>
    /// <c>/password-reset</c>: the request always gets the same answer, so it tells nobody which names and addresses
    /// exist; the mailed link (one hour, single use) sets a new password and ends every session of the account.
    /// </summary>
    private static void MapPasswordReset(IEndpointRouteBuilder app)
    {
        app.MapGet(AccountMailer.PasswordResetPath, (string? token, HttpContext http, SignUpPolicy signUp) =>
            WebPage.Render<PasswordResetPage>(http, new { Token = string.IsNullOrEmpty(token) ? null : token, SignUpOpen = signUp.Open }));

        app.MapPost(AccountMailer.PasswordResetPath, async ([FromForm] string? login, HttpContext http, IUserStore users, AccountMailer mailer,
            SignUpPolicy signUp, PasswordResetThrottle throttle, CancellationToken ct) =>
        {
            login = login?.Trim() ?? "";
            // Past the limits nothing is looked up or sent, and the answer is the same.
            var user = !throttle.TryRequest(ClientAddress(http)) ? null
                : login.Contains('@') ? await users.FindByEmailAsync(login, ct)
                : Names.IsValidUserName(login) ? await users.FindByNameAsync(login, ct) : null;
            // Only to a verified address: an unverified one may be someone else's, and the link is the account.
            if (user is { EmailVerified: true, LowerEmail: not null, IsDisabled: false } && throttle.TryMail(user.Id))
                await mailer.SendPasswordResetAsync(user, ct);
            return WebPage.Render<PasswordResetPage>(http, new { Sent = true, SignUpOpen = signUp.Open });
        });

        app.MapPost(PasswordResetSetPath, async ([FromForm] string? token, [FromForm] string? password, HttpContext http, IEmailTokenStore tokens,
            IUserStore users, PasswordService passwords, TimeProvider time, CancellationToken ct) =>
        {
            string hash;
            try
            {
                // Checked before the link is used up, so a refused password leaves the link working.
                hash = passwords.Hash(password ?? "");
            }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument)
            {
                return WebPage.Render<PasswordResetPage>(http, new { Token = token, Error = e.Message }, StatusCodes.Status400BadRequest);
            }
            var taken = string.IsNullOrEmpty(token) ? null
                : await tokens.TakeAsync(AccountMailer.HashToken(token), EmailTokenPurpose.PasswordReset, time.GetUtcNow(), ct);
            var user = taken is null ? null : await users.FindByIdAsync(taken.UserId, ct);
            // A link mailed to an address the account no longer has is void.
            if (taken is null || user is null
                || !string.Equals(UserService.NormaliseEmail(user.Email), UserService.NormaliseEmail(taken.Email), StringComparison.Ordinal))
                return WebPage.Render<LinkRefusedPage>(http, new { Message = LinkRefused, Next = AccountMailer.PasswordResetPath, NextLabel = "Ask for a new link" },
                    StatusCodes.Status400BadRequest);
            // Ends every web session of the account, in the same transaction.
            await users.SetPasswordHashAsync(user.Id, hash, ct);
            if (await SignedInUserAsync(http) is not null) await http.SignOutAsync(Scheme);
            return WebPage.RedirectWithFlash(http, "/signin", PasswordResetDone);
        });
    }

    /// <summary>The signed-in account on a page open to everyone (the cookie is checked against its session row), or null.</summary>
    private static async Task<User?> SignedInUserAsync(HttpContext http)
    {
        var result = await http.AuthenticateAsync(Scheme);
        if (!result.Succeeded || result.Principal is null) return null;
        return long.TryParse(result.Principal.FindFirstValue(ClaimTypes.NameIdentifier), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? await http.RequestServices.GetRequiredService<IUserStore>().FindByIdAsync(id, http.RequestAborted)
            : null;
    }

    private static IResult SignInPage(HttpContext http, SignUpPolicy signUp, string? error, string username, string? returnUrl, int status = 200) =>
        WebPage.Render<SignInPage>(http, new { Error = error, UserName = username, ReturnUrl = IsLocal(returnUrl) ? returnUrl : null, SignUpOpen = signUp.Open },
            error is null ? 200 : status);

    /// <summary>The client's address: behind a trusted proxy, the one it forwarded (<c>Http:TrustedProxies</c>).</summary>
    internal static string? ClientAddress(HttpContext http) =>
        http.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : null;

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
}
