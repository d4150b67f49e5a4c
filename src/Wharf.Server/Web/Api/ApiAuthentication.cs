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

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header) || header.Parameter is null)
            return AuthenticateResult.NoResult();
        string? userName = null;
        string secret;
        if (header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)) secret = header.Parameter;
        else if (header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            string decoded;
            try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter)); }
            catch (FormatException) { return AuthenticateResult.Fail("malformed Basic credentials"); }
            var colon = decoded.IndexOf(':');
            if (colon < 0) return AuthenticateResult.Fail("malformed Basic credentials");
            (userName, secret) = (decoded[..colon], decoded[(colon + 1)..]);
        }
        else return AuthenticateResult.NoResult();

        // No try/catch: a database error is a 500, never "unauthenticated" (docs/ARCHITECTURE.md, design rule 7).
        var user = await tokens.AuthenticateAsync(secret, Context.RequestAborted);
        // A disabled account's tokens stop at once: the account is read with the token on every request.
        if (user is null || user.IsDisabled || (userName is not null && !string.Equals(Core.Names.Lower(userName), user.LowerName, StringComparison.Ordinal)))
            return AuthenticateResult.Fail("unknown token");
        return AuthenticateResult.Success(new AuthenticationTicket(Principal(user), SchemeName));
    }

    private static ClaimsPrincipal Principal(User user)
    {
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), new(ClaimTypes.Name, user.Name) };
        if (user.IsAdmin) claims.Add(new Claim(AdminClaim, "true"));
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
