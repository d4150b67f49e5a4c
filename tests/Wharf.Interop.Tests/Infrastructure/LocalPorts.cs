using System.Net;
using System.Net.Sockets;

namespace Wharf.Interop.Tests.Infrastructure;

/// <summary>Loopback ports for the helper servers the tests start (sshd, haproxy).</summary>
public static class LocalPorts
{
    /// <summary>A port nothing listens on now (the system's choice for a listener closed at once).</summary>
    public static int Free()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Whether something accepts connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static bool Accepting(int port)
    {
        try { using var c = new TcpClient(); c.Connect(IPAddress.Loopback, port); return true; }
        catch (SocketException) { return false; }
    }
}
