using System.Net;
using System.Net.Sockets;
using Wharf.Core.Errors;

namespace Wharf.Server.Hosting;

/// <summary>
/// A listener that cannot open its port (taken by another program, a privileged port, an address this machine does
/// not have) is an operator's problem, not a bug: one line naming the address and the reason, and no stack trace.
/// </summary>
public static class ListenFailure
{
    /// <summary>The refusal for <paramref name="e"/>, when it is a failure to listen on <paramref name="address"/>; else null.</summary>
    public static WharfException? Of(Exception e, IPEndPoint address)
    {
        string? reason = null;
        for (var inner = e; inner is not null && reason is null; inner = inner.InnerException)
            reason = inner switch
            {
                SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } => "address already in use",
                SocketException { SocketErrorCode: SocketError.AccessDenied } => "permission denied",
                SocketException { SocketErrorCode: SocketError.AddressNotAvailable } => "address not available on this machine",
                Microsoft.AspNetCore.Connections.AddressInUseException => "address already in use",
                _ => null,
            };
        return reason is null ? null : WharfException.Unavailable($"cannot listen on {address}: {reason}");
    }

    /// <summary>Which of the SSH addresses could not be bound, when <paramref name="e"/> says so.</summary>
    public static IPEndPoint? SshEndPoint(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is Wharf.Ssh.Server.SshListenException listen) return listen.EndPoint;
        return null;
    }

    /// <summary>
    /// Whether the web listener is the one that failed to start: it has no address yet and either the SSH listener
    /// is already up or the error is Kestrel's (it reports every bind failure as an IOException).
    /// </summary>
    public static bool WebFailed(Exception e, Microsoft.AspNetCore.Hosting.Server.IServer web, ServeAnnouncer announcer) =>
        !(web.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.Count > 0)
        && (announcer.HasAnnounced("SSH listening") || e is IOException);
}
