using Wharf.Core.Access;
using Wharf.Core.Repositories;

namespace Wharf.Server.Tests;

/// <summary>One row per rung of <see cref="AccessPolicy"/>'s ladder (CONVENTIONS §12).</summary>
public sealed class AccessPolicyTests
{
    private const long Owner = 1;
    private const long Other = 2;
    private static readonly RepositoryInfo Repo = new(10, Owner, "alice", "site", "/data/repositories/alice/site.git");

    public static TheoryData<string, long?, AccessLevel> Ladder => new()
    {
        { "anonymous gets nothing", null, AccessLevel.None },
        { "the owner reads and writes", Owner, AccessLevel.Write },
        { "another user gets nothing", Other, AccessLevel.None },
    };

    [Theory]
    [MemberData(nameof(Ladder))]
    public void AccessFollowsTheLadder(string rung, long? userId, AccessLevel expected) =>
        Assert.True(AccessPolicy.For(userId, Repo) == expected, rung);
}
