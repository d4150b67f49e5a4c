namespace Wharf.Core.Access;

/// <summary>What a user may do with a repository. Ordered: a higher level includes the lower ones.</summary>
public enum AccessLevel
{
    None = 0,
    Read = 1,
    Write = 2,
}
