using Wharf.Core.Access;
using Wharf.Ssh.Server;

namespace Wharf.Server.Ssh;

/// <summary>Who a verified key belongs to, carried on the SSH connection as a typed object (docs/ARCHITECTURE.md, design rule 2).</summary>
public abstract class WharfIdentity(string name, string keyFingerprint) : SshPrincipal(name)
{
    public string KeyFingerprint { get; } = keyFingerprint;

    /// <summary>The subject the access policy decides for.</summary>
    public abstract AccessSubject Subject { get; }
}

/// <summary>A person, logged in with one of their account keys.</summary>
public sealed class WharfPrincipal(long userId, string userName, long keyId, string keyFingerprint = "", string keyLabel = "", bool isAdmin = false)
    : WharfIdentity(userName, keyFingerprint)
{
    public long UserId { get; } = userId;
    public long KeyId { get; } = keyId;
    public string KeyLabel { get; } = keyLabel;
    public bool IsAdmin { get; } = isAdmin;
    /// <summary>Set for a login with an OpenSSH user certificate (then <see cref="KeyId"/> is 0: no stored key).</summary>
    public CertificateLogin? Certificate { get; init; }
    public override AccessSubject Subject => AccessSubject.ForUser(UserId, IsAdmin);
}

/// <summary>A repository access key: not a person, and reaches only the repositories it was added to.</summary>
public sealed class AccessKeyPrincipal(long accessKeyId, string keyFingerprint)
    : WharfIdentity("access key " + keyFingerprint, keyFingerprint)
{
    public long AccessKeyId { get; } = accessKeyId;
    public override AccessSubject Subject => AccessSubject.ForAccessKey(AccessKeyId);
}

/// <summary>
/// A person over smart HTTP, authenticated with one of their API tokens: the access policy decides for them as for
/// their keys, and a push's audit entry names the token where a key's label would be.
/// </summary>
public sealed class TokenPrincipal(long userId, string userName, string tokenName, bool isAdmin)
    : WharfIdentity(userName, "")
{
    public long UserId { get; } = userId;
    public string TokenName { get; } = tokenName;
    public bool IsAdmin { get; } = isAdmin;
    public override AccessSubject Subject => AccessSubject.ForUser(UserId, IsAdmin);
}

/// <summary>Nobody: an anonymous clone of a public repository over HTTP (it can never push).</summary>
public sealed class AnonymousPrincipal() : WharfIdentity("anonymous", "")
{
    public override AccessSubject Subject => AccessSubject.Anonymous;
}
