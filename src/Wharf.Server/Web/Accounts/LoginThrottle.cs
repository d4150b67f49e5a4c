namespace Wharf.Server.Web.Accounts;

/// <summary>
/// Slows password guessing: after <see cref="MaxFailures"/> failed sign-ins within <see cref="Window"/> for
/// one user name, or from one address, further attempts for it are refused until the window has passed,
/// without checking the password. In memory: a restart forgets, which is acceptable for a throttle.
/// Memory is bounded: user names and addresses are tracked separately, at most <see cref="DefaultCapacity"/>
/// of each, so spraying addresses cannot push out the failures recorded against a user name (and the reverse).
/// </summary>
public sealed class LoginThrottle(TimeProvider time, int capacity = LoginThrottle.DefaultCapacity)
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Keys tracked per kind. An entry costs about 200 bytes, so both kinds together stay under 10 MB; evicting a
    /// key still in its window takes 25,000 other failing keys within a minute.
    /// </summary>
    public const int DefaultCapacity = 25_000;

    private readonly object _lock = new();
    private readonly RecentFailures _users = new(capacity, MaxFailures, Window);
    private readonly RecentFailures _addresses = new(capacity, MaxFailures, Window);

    /// <summary>How many user names and addresses are tracked now (for the test of the bound).</summary>
    public (int UserNames, int Addresses) Tracked
    {
        get { lock (_lock) return (_users.Count, _addresses.Count); }
    }

    /// <summary>True when the user name or the address has used up its failures for the current window.</summary>
    public bool IsBlocked(string lowerUserName, string? address)
    {
        var now = time.GetUtcNow();
        lock (_lock)
            return _users.Recent(lowerUserName, now) >= MaxFailures || _addresses.Recent(AddressKey(address), now) >= MaxFailures;
    }

    public void Fail(string lowerUserName, string? address)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            _users.Add(lowerUserName, now);
            _addresses.Add(AddressKey(address), now);
        }
    }

    /// <summary>A successful sign-in forgets the user name's failures (the address keeps its own).</summary>
    public void Succeed(string lowerUserName)
    {
        lock (_lock) _users.Forget(lowerUserName);
    }

    // Connections without a known address share one key: they are throttled together rather than not at all.
    private static string AddressKey(string? address) => address ?? "unknown";
}
