using System.Net.Http.Headers;
using System.Text;
using Wharf.Core.Access;
using Wharf.Core.Tokens;

namespace Wharf.Server.Web.Lfs;

/// <summary>
/// Who calls the HTTP LFS API: <see cref="Subject"/> for the access policy, the account for locks (null for an access
/// key), and <see cref="Ceiling"/>, the most a <c>git-lfs-authenticate</c> token allows (its operation) on
/// <see cref="RepositoryId"/>; null for an API token, which the policy alone limits.
/// </summary>
public sealed record LfsCaller(AccessSubject Subject, long? UserId, AccessLevel? Ceiling = null, long? RepositoryId = null);

/// <summary>
/// The credentials the LFS API accepts: the short-lived header of <c>git-lfs-authenticate</c> (<see cref="LfsTokens"/>),
/// or HTTP Basic with the account name and an API token as the password (never the web password). Kept apart so that it
/// can give way to the HTTP Basic authentication the git smart HTTP endpoints use.
/// </summary>
public static class LfsAuthentication
{
    /// <summary>The caller, or null when the request carries no credentials or ones that are not valid (both are 401).</summary>
    public static async Task<LfsCaller?> AuthenticateAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (!AuthenticationHeaderValue.TryParse(http.Request.Headers.Authorization, out var header) || header.Parameter is null) return null;
        if (header.Scheme.Equals(LfsTokens.Scheme, StringComparison.Ordinal))
        {
            var grant = http.RequestServices.GetRequiredService<LfsTokens>().Read(header.Parameter);
            if (grant is null) return null;
            return new LfsCaller(grant.Subject, grant.Subject is UserSubject u ? u.UserId : null,
                grant.Upload ? AccessLevel.Write : AccessLevel.Read, grant.RepositoryId);
        }
        if (!header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)) return null;
        string decoded;
        try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter)); }
        catch (FormatException) { return null; }
        var colon = decoded.IndexOf(':');
        if (colon < 0) return null;
        var user = await http.RequestServices.GetRequiredService<ApiTokenService>().AuthenticateAsync(decoded[(colon + 1)..], cancellationToken);
        if (user is null || user.IsDisabled || !string.Equals(Core.Names.Lower(decoded[..colon]), user.LowerName, StringComparison.Ordinal)) return null;
        return new LfsCaller(AccessSubject.ForUser(user.Id, user.IsAdmin), user.Id);
    }
}
