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

    /// <summary>
    /// A port below the kernel's range for outgoing connections (net.ipv4.ip_local_port_range) that nothing holds now,
    /// for a server the tests stop and start again on the same port. A port from the system's choice lies inside that
    /// range: while the server is down any connect() on the machine may take it as its local port, and the connection
    /// (and its TIME_WAIT for a minute after) then makes the restart fail with "address already in use".
    /// </summary>
    public static int FreeBelowEphemeralRange()
    {
        var low = 32768;
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            low = int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
        }

        var first = Math.Max(1024, low / 2);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(first, low);
            try
            {
                using var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                l.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }

        throw new InvalidOperationException($"no free port between {first} and {low} after 100 tries");
    }

    /// <summary>Whether something accepts connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static bool Accepting(int port)
    {
        try { using var c = new TcpClient(); c.Connect(IPAddress.Loopback, port); return true; }
        catch (SocketException) { return false; }
    }
}
