using Wharf.Core.Repositories;

namespace Wharf.Core.Access;

/// <summary>What the policy needs to know about one subject and one repository, gathered by the caller.</summary>
/// <param name="UserGrant">The level granted to the user on this repository, or null.</param>
/// <param name="AccessKeyGrant">For an access key: Read or Write when the key was added to this repository, else null.</param>
public readonly record struct AccessFacts(RepositoryInfo Repository, AccessLevel? UserGrant, AccessLevel? AccessKeyGrant);

/// <summary>
/// The whole access policy, as one pure function: a ladder of one-line rules, first match wins
/// (docs/ARCHITECTURE.md, design rule 4). Each rung has a row in AccessPolicyTests; a new rule goes here and nowhere else.
/// Every front end (SSH commands, web pages, REST API) asks this function, never its own copy.
/// </summary>
public static class AccessPolicy
{
    public static AccessLevel For(AccessSubject subject, AccessFacts facts) => subject switch
    {
        // Access keys reach only the repositories they were added to, at the level given there; never more.
        AccessKeySubject => facts.AccessKeyGrant is { } k ? Min(k, AccessLevel.Write) : AccessLevel.None,
        // Public means readable by anyone, as an anonymous git clone over HTTP; the web pages and the API still ask for a
        // sign-in before they use this, and SSH has no anonymous logins. Anonymous never writes.
        AnonymousSubject => Public(facts),
        UserSubject u when u.UserId == facts.Repository.OwnerId => AccessLevel.Admin,   // owners do everything
        UserSubject { IsAdmin: true } => AccessLevel.Admin,                             // instance administrators too
        UserSubject when facts.UserGrant is { } g => Max(g, Public(facts)),             // a grant, never below public read
        UserSubject => Public(facts),                                                   // public read, or nothing
        _ => AccessLevel.None,
    };

    private static AccessLevel Public(AccessFacts facts) => facts.Repository.IsPrivate ? AccessLevel.None : AccessLevel.Read;
    private static AccessLevel Min(AccessLevel a, AccessLevel b) => a < b ? a : b;
    private static AccessLevel Max(AccessLevel a, AccessLevel b) => a > b ? a : b;
}
