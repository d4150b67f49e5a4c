namespace Wharf.Server.Web.Accounts;

/// <summary>
/// The times of the last few failures per key (a user name or an address), within a window, in bounded memory.
/// Entries are kept in order of their latest failure, so the least recently failing is always first: it is
/// dropped first once its window has passed, and when <see cref="Capacity"/> keys are tracked and a new one
/// fails, the first is evicted even if still in its window. Not thread-safe; <see cref="LoginThrottle"/> locks.
/// </summary>
internal sealed class RecentFailures(int capacity, int maxPerKey, TimeSpan window)
{
    private sealed class Entry(string key)
    {
        public string Key { get; } = key;
        /// <summary>Invariant: oldest first, at most maxPerKey times; the last is the latest failure.</summary>
        public Queue<DateTimeOffset> Times { get; } = new();
        public LinkedListNode<Entry>? Node { get; set; }
    }

    private readonly Dictionary<string, Entry> _byKey = new(StringComparer.Ordinal);
    // Least recently failing first: the order in which entries expire, and the eviction order.
    private readonly LinkedList<Entry> _byLatest = new();

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity));

    public int Count => _byKey.Count;

    public void Add(string key, DateTimeOffset now)
    {
        DropExpired(now);
        if (!_byKey.TryGetValue(key, out var entry))
        {
            // Full of keys that are all still in their window: under an address-spraying attack this forgets the
            // oldest, which costs that key at most its few recorded failures, instead of growing without limit.
            if (_byKey.Count >= Capacity) Remove(_byLatest.First!.Value);
            entry = new Entry(key);
            _byKey.Add(key, entry);
        }
        else _byLatest.Remove(entry.Node!);
        entry.Node = _byLatest.AddLast(entry);
        entry.Times.Enqueue(now);
        while (entry.Times.Count > maxPerKey) entry.Times.Dequeue();
    }

    /// <summary>How many failures the key has within the window ending now.</summary>
    public int Recent(string key, DateTimeOffset now)
    {
        if (!_byKey.TryGetValue(key, out var entry)) return 0;
        var since = now - window;
        var recent = 0;
        foreach (var t in entry.Times) if (t > since) recent++;
        return recent;
    }

    public void Forget(string key)
    {
        if (_byKey.TryGetValue(key, out var entry)) Remove(entry);
    }

    private void DropExpired(DateTimeOffset now)
    {
        var since = now - window;
        while (_byLatest.First is { } first && first.Value.Times.Last() <= since) Remove(first.Value);
    }

    private void Remove(Entry entry)
    {
        _byLatest.Remove(entry.Node!);
        _byKey.Remove(entry.Key);
    }
}
