using Wharf.Core.Errors;

namespace Wharf.Core.Tokens;

/// <summary>
/// What an API token may do, named as Bitbucket names its scopes: <see cref="RepositoryRead"/> (clone, fetch, read the
/// repository API), <see cref="RepositoryWrite"/> (push, change repositories; implies read), <see cref="Account"/> (read
/// the account: profile, SSH keys) and <see cref="AccountWrite"/> (change it: add or delete keys; implies
/// <see cref="Account"/>). A token stored without scopes (every token made before scopes existed, or one made without
/// naming any) has all of them, so existing tokens keep their powers. Stored as one space-separated string.
/// </summary>
public static class TokenScopes
{
    public const string RepositoryRead = "repository:read";
    public const string RepositoryWrite = "repository:write";
    public const string Account = "account";
    public const string AccountWrite = "account:write";

    /// <summary>Every scope, in the order the pages and messages list them.</summary>
    public static IReadOnlyList<string> All { get; } = [RepositoryRead, RepositoryWrite, Account, AccountWrite];

    /// <summary>The longest stored value (all four, spaces between).</summary>
    public const int MaxStoredLength = 64;

    /// <summary>
    /// The stored form of the scopes a user asked for: null (all powers) when none is named, else the distinct known
    /// names in <see cref="All"/>'s order. An unknown name is an error naming the known ones.
    /// </summary>
    public static string? Normalize(IEnumerable<string>? requested)
    {
        var names = (requested ?? [])
            .SelectMany(s => s.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToList();
        if (names.Count == 0) return null;
        foreach (var name in names)
            if (!All.Contains(name, StringComparer.Ordinal))
                throw WharfException.InvalidArgument(
                    $"Unknown token scope {Display.Quote(name)}: use {string.Join(", ", All)} (several separated by commas).");
        return string.Join(' ', All.Where(names.Contains));
    }

    /// <summary>Whether a token with the <paramref name="stored"/> scopes may do what <paramref name="needed"/> allows.</summary>
    public static bool Allows(string? stored, string needed)
    {
        if (stored is null) return true;
        var held = stored.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return held.Contains(needed, StringComparer.Ordinal)
            || (needed == RepositoryRead && held.Contains(RepositoryWrite, StringComparer.Ordinal))
            || (needed == Account && held.Contains(AccountWrite, StringComparer.Ordinal));
    }

    /// <summary>How a token's scopes read on a page or in the CLI: "all" for a token without stored scopes.</summary>
    public static string Describe(string? stored) => stored is null ? "all" : string.Join(", ", stored.Split(' '));

    /// <summary>The message for a request its token's scopes do not cover (HTTP 403).</summary>
    public static string Missing(string needed) =>
        $"This API token does not have the '{needed}' scope this request needs; create a token with that scope.";
}
