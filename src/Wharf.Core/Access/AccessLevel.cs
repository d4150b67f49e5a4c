namespace Wharf.Core.Access;

/// <summary>What a caller may do with a repository. Ordered: a higher level includes the lower ones.</summary>
public enum AccessLevel
{
    None = 0,
    /// <summary>Clone, fetch, pull, archive; see the repository page.</summary>
    Read = 1,
    /// <summary>Read, and push.</summary>
    Write = 2,
    /// <summary>Write, and manage the repository: grants, access keys, deletion.</summary>
    Admin = 3,
}

public static class AccessLevels
{
    /// <summary>The API's and the pages' spelling (Bitbucket's <c>permission</c> values).</summary>
    public static string ToApi(this AccessLevel level) => level switch
    {
        AccessLevel.Read => "read",
        AccessLevel.Write => "write",
        AccessLevel.Admin => "admin",
        _ => "none",
    };

    /// <summary>Parses a grant level as people type it; only the three grantable levels are accepted.</summary>
    public static bool TryParseGrant(string? text, out AccessLevel level)
    {
        level = text?.Trim().ToLowerInvariant() switch
        {
            "read" => AccessLevel.Read,
            "write" => AccessLevel.Write,
            "admin" => AccessLevel.Admin,
            _ => AccessLevel.None,
        };
        return level != AccessLevel.None;
    }
}
