using System.Security.Cryptography;
using System.Text;
using Wharf.Core.Errors;
using Wharf.Core.Users;

namespace Wharf.Core.Tokens;

public sealed class ApiTokenService(IApiTokenStore tokens, IUserStore users, TimeProvider time, Audit.IAuditLog audit)
{
    /// <summary>Marks Wharf tokens so secret scanners (and people) recognise one that leaked.</summary>
    public const string Prefix = "wharf_";
    public const int MaxNameLength = 100;

    /// <summary>How stale a token's "last used" time may be: it is written again only when the stored one is this old.</summary>
    public static readonly TimeSpan UsageInterval = TimeSpan.FromMinutes(1);

    /// <summary>Creates a token for <paramref name="userName"/>; the returned text is shown once and never stored.</summary>
    /// <param name="scopes">Scope names (<see cref="TokenScopes"/>); none for a token with every power.</param>
    public async Task<(ApiToken Token, string Secret)> CreateAsync(string userName, string? name, CancellationToken cancellationToken,
        Audit.Actor? actor = null, IEnumerable<string>? scopes = null)
    {
        var stored = TokenScopes.Normalize(scopes);
        var user = await new UserService(users, time).GetAsync(userName, cancellationToken);
        var chosen = string.IsNullOrWhiteSpace(name) ? "token" : name.Trim();
        if (chosen.Length > MaxNameLength || Display.HasUnsafe(chosen))
            throw WharfException.InvalidArgument($"Invalid token name {Display.Quote(name)}: use at most {MaxNameLength} printable characters.");
        var secret = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var token = new ApiToken { UserId = user.Id, Name = chosen, TokenHash = Hash(secret), CreatedAt = time.GetUtcNow(), Scopes = stored };
        await tokens.AddAsync(token, cancellationToken);
        await audit.AddAsync(Audit.AuditActions.Event(user.Id, Audit.AuditActions.TokenCreated, chosen, actor ?? Audit.Actor.Cli, token.CreatedAt),
            CancellationToken.None);
        return (token, secret);
    }

    /// <summary>Deletes one of the user's tokens and records it; null when the user has no token with that id.</summary>
    public async Task<ApiToken?> DeleteAsync(long userId, long tokenId, Audit.Actor actor, CancellationToken cancellationToken)
    {
        var token = (await tokens.ListAsync(userId, cancellationToken)).FirstOrDefault(t => t.Id == tokenId);
        if (token is null || !await tokens.RemoveAsync(userId, tokenId, cancellationToken)) return null;
        await audit.AddAsync(Audit.AuditActions.Event(userId, Audit.AuditActions.TokenDeleted, token.Name, actor, time.GetUtcNow()),
            CancellationToken.None);
        return token;
    }

    /// <summary>The user a token belongs to, or null for an unknown token. Database errors propagate.</summary>
    public async Task<User?> AuthenticateAsync(string secret, CancellationToken cancellationToken) =>
        (await AuthenticateTokenAsync(secret, cancellationToken))?.User;

    /// <summary>The token and its user, or null for an unknown token. Database errors propagate.</summary>
    public async Task<(User User, ApiToken Token)?> AuthenticateTokenAsync(string secret, CancellationToken cancellationToken)
    {
        if (!secret.StartsWith(Prefix, StringComparison.Ordinal) || secret.Length > 200) return null;
        // Looked up by hash: the comparison happens on a digest of the secret, so its timing says nothing about the token.
        var token = await tokens.FindByHashAsync(Hash(secret), cancellationToken);
        if (token is null) return null;
        // "Last used" is written at most once per UsageInterval: a clone is several requests, each with the token, and
        // one database write per request would cost more than the look-up itself.
        var now = time.GetUtcNow();
        if (token.LastUsedAt is not { } last || now - last >= UsageInterval || now < last)
        {
            await tokens.MarkUsedAsync(token.Id, now, cancellationToken);
            token.LastUsedAt = now;
        }
        return await users.FindByIdAsync(token.UserId, cancellationToken) is { } user ? (user, token) : null;
    }

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
