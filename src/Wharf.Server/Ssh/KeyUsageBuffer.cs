using System.Collections.Concurrent;
using Wharf.Core.Keys;

namespace Wharf.Server.Ssh;

/// <summary>
/// Last-used times of SSH keys, kept in memory at login and written by <see cref="KeyUsageFlusher"/> every few
/// seconds: authentication never waits for a database write, and a key used a hundred times between two flushes
/// costs one UPDATE. A crash loses at most one interval of last-used times, never anything else.
/// The address each key last logged in from is kept in memory only (for <see cref="LoginMemory"/>), for the
/// set-up guide's "it works" message; it is not stored in the database.
/// </summary>
public sealed class KeyUsageBuffer(IServiceScopeFactory scopes)
{
    /// <summary>How long a key's last login (time and address) stays in memory after it happened.</summary>
    public static readonly TimeSpan LoginMemory = TimeSpan.FromHours(1);

    private ConcurrentDictionary<long, DateTimeOffset> _pending = new();
    private readonly ConcurrentDictionary<long, KeyLogin> _logins = new();

    /// <summary>Number of keys waiting to be written.</summary>
    public int Pending => _pending.Count;

    /// <summary>A login with key <paramref name="keyId"/> at <paramref name="when"/>, from <paramref name="address"/> when known.</summary>
    public void Record(long keyId, DateTimeOffset when, string? address = null)
    {
        Pend(keyId, when);
        var login = new KeyLogin(when, address);
        _logins.AddOrUpdate(keyId, login, (_, previous) => when >= previous.At ? login : previous);
    }

    /// <summary>The last login with the key this node saw within <see cref="LoginMemory"/>, or null.</summary>
    public KeyLogin? LastLogin(long keyId) => _logins.TryGetValue(keyId, out var login) ? login : null;

    /// <summary>Drops the logins older than <paramref name="before"/> (called by the flusher).</summary>
    public void ForgetLogins(DateTimeOffset before)
    {
        foreach (var (keyId, login) in _logins)
            if (login.At < before) _logins.TryRemove(new KeyValuePair<long, KeyLogin>(keyId, login));
    }

    private void Pend(long keyId, DateTimeOffset when) =>
        _pending.AddOrUpdate(keyId, when, (_, previous) => when > previous ? when : previous);

    /// <summary>Writes what was recorded since the last flush: one UPDATE per key. Returns the number of keys written.</summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        if (_pending.IsEmpty) return 0;
        var batch = Interlocked.Exchange(ref _pending, new ConcurrentDictionary<long, DateTimeOffset>());
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ISshKeyStore>();
        var written = 0;
        try
        {
            foreach (var (keyId, when) in batch)
            {
                await store.MarkUsedAsync(keyId, when, cancellationToken);
                batch.TryRemove(keyId, out _);
                written++;
            }
        }
        finally
        {
            // What was not written goes back, to be tried at the next flush (a newer time recorded meanwhile wins).
            foreach (var (keyId, when) in batch) Pend(keyId, when);
        }
        return written;
    }
}

/// <summary>A key's last login: when, and the client's address (null when unknown).</summary>
public sealed record KeyLogin(DateTimeOffset At, string? Address);

/// <summary>Flushes <see cref="KeyUsageBuffer"/> every <see cref="Interval"/>, and once more when the server stops.</summary>
public sealed partial class KeyUsageFlusher(KeyUsageBuffer buffer, TimeProvider time, ILogger<KeyUsageFlusher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await FlushLoggingAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushLoggingAsync(cancellationToken);
    }

    private async Task FlushLoggingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await buffer.FlushAsync(cancellationToken);
            buffer.ForgetLogins(time.GetUtcNow() - KeyUsageBuffer.LoginMemory);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Kept in the buffer and retried at the next tick; a last-used time is not worth stopping the server.
            LogFlushFailed(logger, e, buffer.Pending);
        }
    }

    [LoggerMessage(EventId = 1106, Level = LogLevel.Warning, Message = "Could not record last-used times of {Count} SSH keys; retrying")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception, int count);
}
