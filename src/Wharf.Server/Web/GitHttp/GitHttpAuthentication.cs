using System.Net.Http.Headers;
using System.Text;
using Wharf.Core.Access;
using Wharf.Core.Tokens;
using Wharf.Core.Users;

namespace Wharf.Server.Web.GitHttp;

/// <summary>A person who called over HTTP with one of their API tokens, and what that token may do.</summary>
public sealed record HttpTokenCaller(User User, ApiToken Token)
{
    /// <summary>Whether the token's scopes cover <paramref name="scope"/> (<see cref="TokenScopes.Allows"/>; a token without stored scopes has all).</summary>
    public bool Allows(string scope) => TokenScopes.Allows(Token.Scopes, scope);

    /// <summary>The subject the access policy decides for: the token's user.</summary>
    public AccessSubject Subject => AccessSubject.ForUser(User.Id, User.IsAdmin);

    /// <summary>The identity git's programs run as (the push audit names the token).</summary>
    public Ssh.TokenPrincipal Principal => new(User.Id, User.Name, Token.Name, User.IsAdmin);
}

/// <summary>
/// HTTP Basic with an API token as the password, as git (and git-lfs) send it: the user name is the token's owner,
/// or <c>x-token-auth</c> as Bitbucket takes it (the token alone says who). A web password never works here:
/// it is looked up as a token and fails exactly like a wrong one. Repository access keys are SSH keys and do not
/// apply over HTTP. Shared by smart HTTP, the LFS API and the REST API's authentication handler.
/// </summary>
public static partial class GitHttpAuthentication
{
    /// <summary>The realm git shows when it asks for a user name and password.</summary>
    public const string Realm = "Wharf";

    /// <summary>The user name that means "whoever owns this token".</summary>
    public const string TokenUserName = "x-token-auth";

    /// <summary>The challenge header value for a 401.</summary>
    public const string Challenge = "Basic realm=\"" + Realm + "\", charset=\"UTF-8\"";

    /// <summary>
    /// The caller an <c>Authorization: Basic</c> header names, or null when the header is missing, is not Basic, is
    /// malformed, or holds a user name and token that do not match an enabled account's token. The token is looked up
    /// once per request, by the default authentication scheme (<see cref="Api.ApiTokenAuthenticationHandler"/>, which
    /// runs for every request and whose answer ASP.NET keeps for the request); this reads that answer. Database errors
    /// propagate (a 500, never "unauthenticated").
    /// </summary>
    public static async Task<HttpTokenCaller?> AuthenticateAsync(HttpContext http)
    {
        if (!AuthenticationHeaderValue.TryParse(http.Request.Headers.Authorization, out var header)) return null;
        return await CallerAsync(http, header);
    }

    /// <summary><see cref="AuthenticateAsync(HttpContext)"/> for a header already parsed: only Basic names a caller here.</summary>
    public static async Task<HttpTokenCaller?> CallerAsync(HttpContext http, AuthenticationHeaderValue header)
    {
        if (header.Parameter is null || !header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)) return null;
        var result = await Microsoft.AspNetCore.Authentication.AuthenticationHttpContextExtensions.AuthenticateAsync(
            http, Api.ApiTokenAuthenticationHandler.SchemeName);
        return result.Succeeded ? http.Features.Get<HttpTokenCaller>() : null;
    }

    /// <summary>The user name and password of a Basic header's parameter, or null when it is not base64 of NAME:SECRET.</summary>
    public static (string UserName, string Secret)? ParseBasic(string parameter)
    {
        string decoded;
        try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(parameter)); }
        catch (FormatException) { return null; }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? null : (decoded[..colon], decoded[(colon + 1)..]);
    }

    /// <summary>
    /// The caller for a token and the user name sent with it (null for a Bearer token), or null when the token is
    /// unknown, its account is disabled (read with the token on every request, so it stops at once), or the user name
    /// is neither the owner's nor <see cref="TokenUserName"/>.
    /// </summary>
    public static async Task<HttpTokenCaller?> CheckAsync(string? userName, string secret, ApiTokenService tokens, CancellationToken cancellationToken)
    {
        if (await tokens.AuthenticateTokenAsync(secret, cancellationToken) is not var (user, token) || user.IsDisabled) return null;
        if (userName is not null && !string.Equals(userName, TokenUserName, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(Core.Names.Lower(userName), user.LowerName, StringComparison.Ordinal)) return null;
        return new HttpTokenCaller(user, token);
    }

    /// <summary>The user name of a Basic header, for the log line of a refused attempt (never the secret); null when there is none.</summary>
    public static string? UserNameOf(string? authorization) =>
        AuthenticationHeaderValue.TryParse(authorization, out var header) && header.Parameter is not null
        && header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) && ParseBasic(header.Parameter) is var (userName, _)
            ? Core.Errors.Display.Printable(userName) : null;

    /// <summary>Logs a refused Authorization header with its user name and the client's address; the secret is never logged.</summary>
    public static void LogRefused(ILogger logger, HttpContext http) =>
        LogRefusedCredentials(logger, UserNameOf(http.Request.Headers.Authorization) ?? "(no user name)",
            http.Connection.RemoteIpAddress?.ToString() ?? "unknown", http.Request.Path);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Refused HTTP credentials for {User} from {Address} on {Path}: unknown token, wrong user name or disabled account")]
    private static partial void LogRefusedCredentials(ILogger logger, string user, string address, string path);
}
