namespace Wharf.Server.Web.Accounts;

/// <summary>
/// Slows password guessing without letting anyone lock others out. Failures are counted per (user name, address)
/// and per address: after <see cref="MaxFailures"/> failed sign-ins within <see cref="Window"/> for one user name
/// from one address, or <see cref="MaxFailuresPerAddress"/> from one address whatever the names, further attempts
/// from that address are refused until the window has passed, without checking the password. Nothing is counted
/// per user name alone, so failures from one address never refuse the right password from another (the address
/// is the client's, also behind a reverse proxy listed in <c>Http:TrustedProxies</c>).
/// In memory: a restart forgets, which is acceptable for a throttle. Memory is bounded: pairs and addresses are
/// tracked separately, at most <see cref="DefaultCapacity"/> of each, so spraying one kind cannot push out the other.
/// </summary>
public sealed class LoginThrottle(TimeProvider time, int capacity = LoginThrottle.DefaultCapacity)
{
    public const int MaxFailures = 5;
    /// <summary>An address trying many user names (password spraying) is stopped too, a little later.</summary>
    public const int MaxFailuresPerAddress = 20;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Keys tracked per kind. An entry costs about 200 bytes, so both kinds together stay under 10 MB; evicting a
    /// key still in its window takes 25,000 other failing keys within a minute.
    /// </summary>
    public const int DefaultCapacity = 25_000;

    private readonly object _lock = new();
    private readonly RecentFailures _pairs = new(capacity, MaxFailures, Window);
    private readonly RecentFailures _addresses = new(capacity, MaxFailuresPerAddress, Window);

    /// <summary>How many (user name, address) pairs and addresses are tracked now (for the test of the bound).</summary>
    public (int Pairs, int Addresses) Tracked
    {
        get { lock (_lock) return (_pairs.Count, _addresses.Count); }
    }

    /// <summary>True when this user name from this address, or this address, has used up its failures for the current window.</summary>
    public bool IsBlocked(string lowerUserName, string? address)
    {
        var now = time.GetUtcNow();
        lock (_lock)
            return _pairs.Recent(PairKey(lowerUserName, address), now) >= MaxFailures
                || _addresses.Recent(AddressKey(address), now) >= MaxFailuresPerAddress;
    }

    public void Fail(string lowerUserName, string? address)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            _pairs.Add(PairKey(lowerUserName, address), now);
            _addresses.Add(AddressKey(address), now);
        }
    }

    /// <summary>A successful sign-in forgets the failures of that user name from that address (the address keeps its own).</summary>
    public void Succeed(string lowerUserName, string? address)
    {
        lock (_lock) _pairs.Forget(PairKey(lowerUserName, address));
    }

    // Connections without a known address share one key: they are throttled together rather than not at all.
    private static string AddressKey(string? address) => address ?? "unknown";

    // A user name never holds a newline, so the pair key is unambiguous.
    private static string PairKey(string lowerUserName, string? address) => lowerUserName + "\n" + AddressKey(address);
}
