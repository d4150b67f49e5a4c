using Wharf.Ssh.Server;

namespace Wharf.Server.Ssh;

/// <summary>Who a verified key belongs to, carried on the SSH connection as a typed object (CONVENTIONS §8).</summary>
public sealed class WharfPrincipal(long userId, string userName, long keyId) : SshPrincipal(userName)
{
    public long UserId { get; } = userId;
    public long KeyId { get; } = keyId;
}
