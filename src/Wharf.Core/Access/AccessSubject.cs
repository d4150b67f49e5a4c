namespace Wharf.Core.Access;

/// <summary>
/// Who is asking, as access decisions see it: nobody, a signed-in account, or a repository access key
/// (deploy key). An access key is not an account: it reaches the repositories it was added to and
/// nothing else, public ones included.
/// </summary>
public abstract record AccessSubject
{
    public static AccessSubject Anonymous { get; } = new AnonymousSubject();

    public static AccessSubject ForUser(long userId, bool isAdmin = false) => new UserSubject(userId, isAdmin);

    public static AccessSubject ForAccessKey(long accessKeyId) => new AccessKeySubject(accessKeyId);
}

public sealed record AnonymousSubject : AccessSubject;

public sealed record UserSubject(long UserId, bool IsAdmin) : AccessSubject;

public sealed record AccessKeySubject(long AccessKeyId) : AccessSubject;
