using System.Net;

namespace Wharf.Ssh.Server;

/// <summary>
/// Counts connections that have not authenticated yet, in total and per source address, and decides at the door
/// whether a new one may start (sshd's MaxStartups <c>start:rate:full</c>, dropbear's MAX_UNAUTH_PER_IP) instead
/// of slowing every login. Below <c>start</c> everyone is admitted; between <c>start</c> and <c>full</c> a new
/// connection is refused with a probability rising linearly from <c>rate</c>% to 100%, so a few sources holding
/// many half-open connections get dropped as often as anyone and cannot lock everyone else out; at <c>full</c>,
/// or at the per-source cap, it is always refused. A ticket is given back once, when its connection
/// authenticates or closes.
/// </summary>
/// <param name="random">Returns a number from 0 to <c>max - 1</c>; <see cref="Random.Shared"/> unless a test injects one.</param>
internal sealed class ConnectionAdmission(int start, int rate, int full, int maxPerSource, Func<int, int>? random = null)
{
    private readonly Func<int, int> _random = random ?? Random.Shared.Next;
    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, int> _perSource = [];
    private int _total;

    public ConnectionAdmission(SshServerOptions options, Func<int, int>? random = null)
        : this(Startups(options).Start, Startups(options).Rate, Startups(options).Full, options.MaxUnauthenticatedPerSource, random)
    {
    }

    private static (int Start, int Rate, int Full) Startups(SshServerOptions options) =>
        SshServerOptions.ParseMaxStartups(options.MaxStartups) ?? throw new InvalidOperationException("Ssh: MaxStartups is not valid.");

    public Ticket? TryEnter(EndPoint? remote)
    {
        var source = (remote as IPEndPoint)?.Address ?? IPAddress.None;
        if (source.IsIPv4MappedToIPv6) source = source.MapToIPv4();
        lock (_lock)
        {
            _perSource.TryGetValue(source, out var count);
            if (count >= maxPerSource || Drop(_total)) return null;
            _perSource[source] = count + 1;
            _total++;
        }
        return new Ticket(this, source);
    }

    /// <summary>OpenSSH's drop decision (sshd.c): never below start, always at full, rate% to 100% in between.</summary>
    private bool Drop(int unauthenticated)
    {
        if (unauthenticated >= full) return true;
        if (unauthenticated < start) return false;
        var percent = rate + (100 - rate) * (long)(unauthenticated - start) / (full - start);
        return _random(100) < percent;
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
