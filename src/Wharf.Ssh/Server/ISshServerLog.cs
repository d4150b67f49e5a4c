using System.Net;

namespace Wharf.Ssh.Server;

/// <summary>
/// Events the SSH server reports. The library does not depend on a logging framework; the host maps
/// these to its structured logs. No method ever receives key material, only fingerprints.
/// </summary>
public interface ISshServerLog
{
    void ConnectionOpened(EndPoint? remote, string clientVersion);
    void ConnectionClosed(EndPoint? remote, string reason);
    /// <summary>Fixed wording with the remote address, so fail2ban can match it (docs/ARCHITECTURE.md, design rule 6).</summary>
    void AuthenticationFailed(EndPoint? remote, string userName);
    void AuthenticationSucceeded(EndPoint? remote, string userName, string principal, string keyFingerprint);
    void ProtocolError(EndPoint? remote, SshDisconnectReason reason, string message);
    void HandlerError(EndPoint? remote, Exception exception);
    /// <summary>A connection turned away before key exchange (a connection limit), or closed for idling.</summary>
    void ConnectionRefused(EndPoint? remote, string reason);
}

/// <summary>Discards every event; the default when the host gives no log.</summary>
public sealed class NullSshServerLog : ISshServerLog
{
    public static readonly NullSshServerLog Instance = new();
    public void ConnectionOpened(EndPoint? remote, string clientVersion) { }
    public void ConnectionClosed(EndPoint? remote, string reason) { }
    public void AuthenticationFailed(EndPoint? remote, string userName) { }
    public void AuthenticationSucceeded(EndPoint? remote, string userName, string principal, string keyFingerprint) { }
    public void ProtocolError(EndPoint? remote, SshDisconnectReason reason, string message) { }
    public void HandlerError(EndPoint? remote, Exception exception) { }
    public void ConnectionRefused(EndPoint? remote, string reason) { }
}
