namespace Wharf.Core.Tokens;

/// <summary>
/// A secret that authenticates API calls as its user. Only the SHA-256 of the token is kept: the token
/// has 256 random bits, so a fast hash is enough (no password-style KDF needed), and a stolen database
/// does not yield working tokens.
/// </summary>
public sealed class ApiToken
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public required string Name { get; set; }
    /// <summary>Lower-case hex SHA-256 of the token text; unique.</summary>
    public required string TokenHash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    /// <summary>The token's scopes (<see cref="TokenScopes"/>), space-separated; null for all powers.</summary>
    public string? Scopes { get; set; }
}

public interface IApiTokenStore
{
    Task AddAsync(ApiToken token, CancellationToken cancellationToken);

    Task<ApiToken?> FindByHashAsync(string tokenHash, CancellationToken cancellationToken);

    Task MarkUsedAsync(long tokenId, DateTimeOffset when, CancellationToken cancellationToken);

    /// <summary>The user's tokens, oldest first (names and dates; the hashes are of no use to show).</summary>
    Task<IReadOnlyList<ApiToken>> ListAsync(long userId, CancellationToken cancellationToken);

    /// <summary>Deletes the user's token; false when the user has no token with that id.</summary>
    Task<bool> RemoveAsync(long userId, long tokenId, CancellationToken cancellationToken);
}
