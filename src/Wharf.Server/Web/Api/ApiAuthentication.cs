using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Wharf.Core.Tokens;
using Wharf.Core.Users;

namespace Wharf.Server.Web.Api;

/// <summary>
/// API authentication as Bitbucket Cloud does it: HTTP Basic with the user name and an API token as the
/// password, or <c>Authorization: Bearer TOKEN</c>. Passwords are never accepted here.
/// </summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiTokenService tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "WharfToken";
    public const string AdminClaim = "wharf:admin";
    /// <summary>The token's stored scopes (<see cref="TokenScopes"/>), when it has any.</summary>
    public const string ScopesClaim = "wharf:scopes";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header) || header.Parameter is null)
            return AuthenticateResult.NoResult();
        string? userName = null;
        string secret;
        if (header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)) secret = header.Parameter;
        else if (header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (GitHttp.GitHttpAuthentication.ParseBasic(header.Parameter) is not var (name, password)) return AuthenticateResult.Fail("malformed Basic credentials");
            (userName, secret) = (name, password);
        }
        else return AuthenticateResult.NoResult();

        // No try/catch: a database error is a 500, never "unauthenticated" (docs/ARCHITECTURE.md, design rule 7).
        // A disabled account's tokens stop at once: the account is read with the token on every request.
        var caller = await GitHttp.GitHttpAuthentication.CheckAsync(userName, secret, tokens, Context.RequestAborted);
        if (caller is null) return AuthenticateResult.Fail("unknown token");
        // Smart HTTP and the LFS API read the caller from here (GitHttpAuthentication.CallerAsync): one token look-up per request.
        Context.Features.Set(caller);
        return AuthenticateResult.Success(new AuthenticationTicket(Principal(caller.User, caller.Token.Scopes), SchemeName));
    }

    private static ClaimsPrincipal Principal(User user, string? scopes)
    {
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), new(ClaimTypes.Name, user.Name) };
        if (user.IsAdmin) claims.Add(new Claim(AdminClaim, "true"));
        // Absent for a token without stored scopes (all powers); TokenScopeFilter reads it.
        if (scopes is not null) claims.Add(new Claim(ScopesClaim, scopes));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = new[] { "Basic realm=\"Wharf API\", charset=\"UTF-8\"", "Bearer realm=\"Wharf API\"" };
        await Response.WriteAsJsonAsync(ApiError.Of(
            "Authentication required: use HTTP Basic with your user name and an API token, or 'Authorization: Bearer TOKEN'.",
            "unauthenticated"));
    }
}

/// <summary>
/// Holds an API request to its token's scopes: the repository endpoints need <see cref="TokenScopes.RepositoryRead"/>
/// to read and <see cref="TokenScopes.RepositoryWrite"/> to change anything, the account endpoints (profile, SSH keys)
/// <see cref="TokenScopes.Account"/> and <see cref="TokenScopes.AccountWrite"/>. A token without stored scopes passes.
/// A refusal is 403 naming the missing scope.
/// </summary>
public static class TokenScopeFilter
{
    /// <summary>Adds the check to a group: <paramref name="repository"/> for the repository endpoints, else the account ones.</summary>
    public static RouteGroupBuilder WithTokenScopes(this RouteGroupBuilder group, bool repository) => group.AddEndpointFilter(async (context, next) =>
    {
        var http = context.HttpContext;
        var reading = HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method);
        var needed = (repository, reading) switch
        {
            (true, true) => TokenScopes.RepositoryRead,
            (true, false) => TokenScopes.RepositoryWrite,
            (false, true) => TokenScopes.Account,
            (false, false) => TokenScopes.AccountWrite,
        };
        if (http.User.FindFirst(ApiTokenAuthenticationHandler.ScopesClaim) is { } scopes && !TokenScopes.Allows(scopes.Value, needed))
            return Results.Json(ApiError.Of(TokenScopes.Missing(needed), "insufficient-scope"), statusCode: StatusCodes.Status403Forbidden);
        return await next(context);
    });
}
