using System.Net;

namespace Wharf.Ssh.Server;

/// <summary>
/// Counts connections that have not authenticated yet, in total and per source address, so a flood is
/// refused at the door (sshd's MaxStartups, dropbear's MAX_UNAUTH_PER_IP) instead of slowing every login.
/// A ticket is given back once, when its connection authenticates or closes.
/// </summary>
internal sealed class ConnectionAdmission(int maxTotal, int maxPerSource)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, int> _perSource = [];
    private int _total;

    public Ticket? TryEnter(EndPoint? remote)
    {
        var source = (remote as IPEndPoint)?.Address ?? IPAddress.None;
        if (source.IsIPv4MappedToIPv6) source = source.MapToIPv4();
        lock (_lock)
        {
            _perSource.TryGetValue(source, out var count);
            if (_total >= maxTotal || count >= maxPerSource) return null;
            _perSource[source] = count + 1;
            _total++;
        }
        return new Ticket(this, source);
    }

    public int Unauthenticated
    {
        get { lock (_lock) return _total; }
    }

    private void Leave(IPAddress source)
    {
        lock (_lock)
        {
            _total--;
            if (--_perSource[source] == 0) _perSource.Remove(source);
        }
    }

    public sealed class Ticket(ConnectionAdmission owner, IPAddress source)
    {
        private int _released;

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) owner.Leave(source);
        }
    }
}
