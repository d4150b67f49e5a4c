namespace Wharf.Ssh;

/// <summary>SSH_MSG_DISCONNECT reason codes (RFC 4253 §11.1).</summary>
public enum SshDisconnectReason : uint
{
    HostNotAllowedToConnect = 1,
    ProtocolError = 2,
    KeyExchangeFailed = 3,
    MacError = 5,
    CompressionError = 6,
    ServiceNotAvailable = 7,
    ProtocolVersionNotSupported = 8,
    HostKeyNotVerifiable = 9,
    ConnectionLost = 10,
    ByApplication = 11,
    TooManyConnections = 12,
    AuthCancelledByUser = 13,
    NoMoreAuthMethodsAvailable = 14,
    IllegalUserName = 15,
}

/// <summary>
/// A protocol violation or refusal that ends the connection. Carries the wire reason code so the one
/// teardown point can send the right SSH_MSG_DISCONNECT (docs/ARCHITECTURE.md, design rule 1).
/// </summary>
public sealed class SshProtocolException(SshDisconnectReason reason, string message) : Exception(message)
{
    public SshDisconnectReason Reason { get; } = reason;
}
