using System.Collections.Concurrent;

namespace Wharf.Core.Browse;

/// <summary>
/// A small cache for answers that never change for their key (what a commit id determines: the last commit of each
/// entry of a directory at that commit, a README blob rendered at a ref). Bounded by entry count: when full it is
/// emptied and fills again, so memory stays bounded without bookkeeping on every read.
/// </summary>
public sealed class BoundedCache<TKey, TValue>(int capacity) where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TValue> _entries = new();

    public bool TryGet(TKey key, out TValue value) => _entries.TryGetValue(key, out value!);

    public void Add(TKey key, TValue value)
    {
        if (_entries.Count >= capacity) _entries.Clear();
        _entries[key] = value;
    }
}
