using Wharf.Core.Access;
using Wharf.Core.Repositories;

namespace Wharf.Server.Tests;

/// <summary>One row per rung of <see cref="AccessPolicy"/>'s ladder (docs/ARCHITECTURE.md, design rule 4), for a private and a public repository.</summary>
public sealed class AccessPolicyTests
{
    private const long Owner = 1;
    private const long Other = 2;
    private const long Key = 7;
    private static readonly RepositoryInfo Private = new(10, Owner, "alice", "site", "/data/repositories/alice/site.git") { IsPrivate = true };
    private static readonly RepositoryInfo Public = Private with { IsPrivate = false };

    private static readonly AccessSubject Anonymous = AccessSubject.Anonymous;
    private static readonly AccessSubject OwnerUser = AccessSubject.ForUser(Owner);
    private static readonly AccessSubject OtherUser = AccessSubject.ForUser(Other);
    private static readonly AccessSubject InstanceAdmin = AccessSubject.ForUser(Other, isAdmin: true);
    private static readonly AccessSubject AccessKey = AccessSubject.ForAccessKey(Key);

    public static TheoryData<string, AccessSubject, bool, AccessLevel?, AccessLevel?, AccessLevel> Ladder => new()
    {
        // rung, subject, private?, user grant, access-key grant, expected
        { "anonymous reads a public repository (git over HTTP), never more", Anonymous, false, null, null, AccessLevel.Read },
        { "anonymous gets nothing on a private repository", Anonymous, true, null, null, AccessLevel.None },
        { "the owner has every permission", OwnerUser, true, null, null, AccessLevel.Admin },
        { "an instance administrator has every permission", InstanceAdmin, true, null, null, AccessLevel.Admin },
        { "a read grant reads", OtherUser, true, AccessLevel.Read, null, AccessLevel.Read },
        { "a write grant writes", OtherUser, true, AccessLevel.Write, null, AccessLevel.Write },
        { "an admin grant administers", OtherUser, true, AccessLevel.Admin, null, AccessLevel.Admin },
        { "a grant on a public repository is never below read", OtherUser, false, AccessLevel.Write, null, AccessLevel.Write },
        { "another user reads a public repository", OtherUser, false, null, null, AccessLevel.Read },
        { "another user gets nothing on a private repository", OtherUser, true, null, null, AccessLevel.None },
        { "a read-only access key reads its repository", AccessKey, true, null, AccessLevel.Read, AccessLevel.Read },
        { "a read-write access key writes its repository", AccessKey, true, null, AccessLevel.Write, AccessLevel.Write },
        { "an access key never administers", AccessKey, true, null, AccessLevel.Admin, AccessLevel.Write },
        { "an access key gets nothing on a repository it was not added to", AccessKey, true, null, null, AccessLevel.None },
        { "an access key does not read public repositories it was not added to", AccessKey, false, null, null, AccessLevel.None },
        { "an access key ignores user grants", AccessKey, true, AccessLevel.Admin, null, AccessLevel.None },
    };

    [Theory]
    [MemberData(nameof(Ladder))]
    public void AccessFollowsTheLadder(string rung, AccessSubject subject, bool isPrivate, AccessLevel? userGrant, AccessLevel? keyGrant, AccessLevel expected)
    {
        var facts = new AccessFacts(isPrivate ? Private : Public, userGrant, keyGrant);
        Assert.True(AccessPolicy.For(subject, facts) == expected, $"{rung}: got {AccessPolicy.For(subject, facts)}");
    }
}
