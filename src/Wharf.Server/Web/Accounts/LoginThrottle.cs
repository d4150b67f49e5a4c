using System.Collections.Concurrent;

namespace Wharf.Server.Web.Accounts;

/// <summary>
/// Slows password guessing: after <see cref="MaxFailures"/> failed sign-ins within <see cref="Window"/> for
/// one user name, or from one address, further attempts for it are refused until the window has passed,
/// without checking the password. In memory: a restart forgets, which is acceptable for a throttle.
/// </summary>
public sealed class LoginThrottle(TimeProvider time)
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);

    public static string UserKey(string lowerName) => "user:" + lowerName;
    public static string AddressKey(string? address) => "addr:" + (address ?? "unknown");

    /// <summary>True when any of the keys has used up its failures for the current window.</summary>
    public bool IsBlocked(params string[] keys) => keys.Any(k => Recent(k) >= MaxFailures);

    public void Fail(params string[] keys)
    {
        var now = time.GetUtcNow();
        foreach (var key in keys)
        {
            var queue = _failures.GetOrAdd(key, _ => new Queue<DateTimeOffset>());
            lock (queue)
            {
                queue.Enqueue(now);
                while (queue.Count > MaxFailures) queue.Dequeue();
            }
        }
    }

    /// <summary>A successful sign-in forgets the user name's failures (the address keeps its own).</summary>
    public void Succeed(string key) => _failures.TryRemove(key, out _);

    private int Recent(string key)
    {
        if (!_failures.TryGetValue(key, out var queue)) return 0;
        var since = time.GetUtcNow() - Window;
        lock (queue)
        {
            while (queue.Count > 0 && queue.Peek() <= since) queue.Dequeue();
            return queue.Count;
        }
    }
}
