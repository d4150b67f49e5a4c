using System.Net.Http.Headers;
using Wharf.Core.Access;
using Wharf.Core.Tokens;

namespace Wharf.Server.Web.Lfs;

/// <summary>
/// Who calls the HTTP LFS API: <see cref="Subject"/> for the access policy, the account for locks (null for an access
/// key), and <see cref="Ceiling"/>, the most a <c>git-lfs-authenticate</c> token allows (its operation) on
/// <see cref="RepositoryId"/>; null for an API token, which the policy alone limits. <see cref="Identity"/> is who the audit
/// log names: the API token, or the SSH key that asked git-lfs-authenticate.
/// </summary>
public sealed record LfsCaller(AccessSubject Subject, long? UserId, Ssh.WharfIdentity Identity, AccessLevel? Ceiling = null, long? RepositoryId = null);

/// <summary>
/// The credentials the LFS API accepts: the short-lived header of <c>git-lfs-authenticate</c> (<see cref="LfsTokens"/>),
/// or HTTP Basic with an API token as the password as smart HTTP takes it (<see cref="GitHttp.GitHttpAuthentication"/>:
/// the account name or <c>x-token-auth</c>, never the web password), capped by the token's repository scopes.
/// </summary>
public static class LfsAuthentication
{
    /// <summary>The caller, or null when the request carries no credentials or ones that are not valid (both are 401).</summary>
    public static async Task<LfsCaller?> AuthenticateAsync(HttpContext http)
    {
        if (!AuthenticationHeaderValue.TryParse(http.Request.Headers.Authorization, out var header) || header.Parameter is null) return null;
        if (header.Scheme.Equals(LfsTokens.Scheme, StringComparison.Ordinal))
        {
            var grant = http.RequestServices.GetRequiredService<LfsTokens>().Read(header.Parameter);
            if (grant is null) return null;
            return new LfsCaller(grant.Subject, grant.Subject is UserSubject u ? u.UserId : null, grant.Identity,
                grant.Upload ? AccessLevel.Write : AccessLevel.Read, grant.RepositoryId);
        }
        // HTTP Basic with an API token, exactly as smart HTTP takes it (x-token-auth included); the token's scopes cap
        // what it may do here: repository:write uploads, repository:read only downloads, neither does nothing.
        var caller = await GitHttp.GitHttpAuthentication.CallerAsync(http, header);
        if (caller is null) return null;
        AccessLevel? ceiling = caller.Allows(TokenScopes.RepositoryWrite) ? null
            : caller.Allows(TokenScopes.RepositoryRead) ? AccessLevel.Read : AccessLevel.None;
        return new LfsCaller(caller.Subject, caller.User.Id, caller.Principal, ceiling);
    }
}
