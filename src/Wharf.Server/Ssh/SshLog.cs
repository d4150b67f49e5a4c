using System.Net;
using Wharf.Ssh;
using Wharf.Ssh.Server;

namespace Wharf.Server.Ssh;

/// <summary>
/// The SSH library's events as structured logs, with stable event ids (docs/ARCHITECTURE.md, design rule 6). Key material
/// never reaches a log: only fingerprints. User names come from the network and are cleaned of control
/// characters so that a name cannot forge a log line.
/// </summary>
public sealed partial class SshLog(ILogger<SshLog> logger) : ISshServerLog
{
    public void ConnectionOpened(EndPoint? remote, string clientVersion) => LogConnectionOpened(logger, Address(remote), Clean(clientVersion));
    public void ConnectionClosed(EndPoint? remote, string reason) => LogConnectionClosed(logger, Address(remote), Clean(reason));
    public void AuthenticationFailed(EndPoint? remote, string userName) => LogAuthenticationFailed(logger, Address(remote), Clean(userName));
    public void AuthenticationSucceeded(EndPoint? remote, string userName, string principal, string keyFingerprint) =>
        LogAuthenticationSucceeded(logger, principal, keyFingerprint, Address(remote), Clean(userName));
    public void ProtocolError(EndPoint? remote, SshDisconnectReason reason, string message) => LogProtocolError(logger, Address(remote), reason, Clean(message));
    public void HandlerError(EndPoint? remote, Exception exception) => LogHandlerError(logger, exception, Address(remote));
    public void ConnectionRefused(EndPoint? remote, string reason) => LogConnectionRefused(logger, Address(remote), Clean(reason));

    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "SSH connection from {RemoteAddress}, client {ClientVersion}")]
    private static partial void LogConnectionOpened(ILogger logger, string remoteAddress, string clientVersion);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "SSH connection from {RemoteAddress} closed: {Reason}")]
    private static partial void LogConnectionClosed(ILogger logger, string remoteAddress, string reason);

    // The fixed line fail2ban matches: keep the wording and the address first (docs/ARCHITECTURE.md, design rule 6).
    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Failed SSH authentication from {RemoteAddress} for user {UserName}")]
    private static partial void LogAuthenticationFailed(ILogger logger, string remoteAddress, string userName);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "SSH login of {Principal} with key {KeyFingerprint} from {RemoteAddress} as {UserName}")]
    private static partial void LogAuthenticationSucceeded(ILogger logger, string principal, string keyFingerprint, string remoteAddress, string userName);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "SSH protocol error from {RemoteAddress} ({Reason}): {Message}")]
    private static partial void LogProtocolError(ILogger logger, string remoteAddress, SshDisconnectReason reason, string message);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Error, Message = "SSH session handler failed for {RemoteAddress}")]
    private static partial void LogHandlerError(ILogger logger, Exception exception, string remoteAddress);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "SSH connection from {RemoteAddress} refused: {Reason}")]
    private static partial void LogConnectionRefused(ILogger logger, string remoteAddress, string reason);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "SSH server no longer accepts connections; waiting up to {GraceTime} for {OpenConnections} open connections to finish")]
    public partial void ShuttingDown(int openConnections, TimeSpan graceTime);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Information, Message = "SSH server stopped ({OpenConnections} connections were still open and have been ended)")]
    public partial void Stopped(long openConnections);

    internal static string Address(EndPoint? remote) => remote switch
    {
        IPEndPoint ip => ip.Address.ToString(),
        null => "unknown",
        _ => remote.ToString() ?? "unknown",
    };

    internal static string Clean(string? text) =>
        text is null ? "" : new string(text.Take(200).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
