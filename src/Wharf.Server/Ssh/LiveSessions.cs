using Wharf.Core.Access;
using Wharf.Core.Repositories;

namespace Wharf.Server.Ssh;

/// <summary>
/// The commands running on this node's built-in SSH server: counted per account and per key for the caps
/// (<see cref="SessionSettings.MaxSessionsPerAccount"/>, <see cref="SessionSettings.MaxSessionsPerKey"/>), and
/// listed with the repository and access each one was opened with, so that <see cref="RevocationSweeper"/> can
/// end those whose access was taken away since.
/// </summary>
public sealed class LiveSessions(SessionSettings settings)
{
    private readonly Lock _lock = new();
    private readonly HashSet<SessionLease> _running = [];
    private readonly Dictionary<long, int> _perAccount = [];
    private readonly Dictionary<(bool AccessKey, long Id), int> _perKey = [];

    public static string TooManyForAccount(string user, int limit) =>
        $"too many commands at once for {user} (at most {limit} on this server); try again when one has finished.";

    public static string TooManyForKey(int limit) =>
        $"too many commands at once with this key (at most {limit} on this server); try again when one has finished.";

    /// <summary>Registers a command of <paramref name="identity"/>, or returns why it is refused (a cap is reached).</summary>
    public (SessionLease? Lease, string? Refusal) TryStart(WharfIdentity identity, CancellationToken cancellationToken)
    {
        var key = Key(identity);
        var account = (identity as WharfPrincipal)?.UserId;
        lock (_lock)
        {
            if (_perKey.GetValueOrDefault(key) >= settings.MaxSessionsPerKey)
                return (null, TooManyForKey(settings.MaxSessionsPerKey));
            if (account is { } id && _perAccount.GetValueOrDefault(id) >= settings.MaxSessionsPerAccount)
                return (null, TooManyForAccount(identity.Name, settings.MaxSessionsPerAccount));
            var lease = new SessionLease(this, identity, cancellationToken);
            _running.Add(lease);
            _perKey[key] = _perKey.GetValueOrDefault(key) + 1;
            if (account is { } a) _perAccount[a] = _perAccount.GetValueOrDefault(a) + 1;
            return (lease, null);
        }
    }

    /// <summary>The running commands that have opened a repository.</summary>
    public IReadOnlyList<SessionLease> WithRepository()
    {
        lock (_lock) return [.. _running.Where(l => l.Repository is not null)];
    }

    /// <summary>Commands running now (all of them, the greeting included).</summary>
    public int Count
    {
        get { lock (_lock) return _running.Count; }
    }

    internal void Finish(SessionLease lease)
    {
        var key = Key(lease.Identity);
        lock (_lock)
        {
            if (!_running.Remove(lease)) return;
            Decrement(_perKey, key);
            if (lease.Identity is WharfPrincipal user) Decrement(_perAccount, user.UserId);
        }
    }

    private static void Decrement<T>(Dictionary<T, int> counts, T key) where T : notnull
    {
        if (counts[key] <= 1) counts.Remove(key);
        else counts[key]--;
    }

    private static (bool, long) Key(WharfIdentity identity) => identity switch
    {
        // A certificate login has no key row: its sessions count under the negated account id, which no key row has.
        WharfPrincipal { Certificate: not null } user => (false, -user.UserId),
        WharfPrincipal user => (false, user.KeyId),
        AccessKeyPrincipal access => (true, access.AccessKeyId),
        _ => throw new InvalidOperationException("Unknown identity."),
    };
}

/// <summary>One running command: its identity, the repository it opened and with what access, and a way to end it.</summary>
public sealed class SessionLease : IDisposable
{
    private readonly LiveSessions _owner;
    private readonly CancellationTokenSource _end;
    private string? _endedBecause;

    internal SessionLease(LiveSessions owner, WharfIdentity identity, CancellationToken cancellationToken)
    {
        _owner = owner;
        Identity = identity;
        _end = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    public WharfIdentity Identity { get; private set; }

    /// <summary>The repository the command works on, once access control let it open it.</summary>
    public RepositoryName? Repository { get; private set; }

    /// <summary>The access the command needs for as long as it runs (Write for a push, or for hg when it was started able to push).</summary>
    public AccessLevel Needed { get; private set; }

    /// <summary>Cancelled when the client goes away or when <see cref="End"/> is called.</summary>
    public CancellationToken Token => _end.Token;

    /// <summary>Why the command was ended by <see cref="End"/>, or null.</summary>
    public string? EndedBecause => Volatile.Read(ref _endedBecause);

    /// <summary>Called by <see cref="RepositorySessions"/> once the repository was opened with <paramref name="needed"/>.</summary>
    public void Opened(WharfIdentity identity, RepositoryName repository, AccessLevel needed)
    {
        Identity = identity;
        Needed = needed;
        Repository = repository;
    }

    /// <summary>Ends the command (git or hg is killed) and records why, for the client's stderr.</summary>
    public void End(string reason)
    {
        if (Interlocked.CompareExchange(ref _endedBecause, reason, null) is not null) return;
        try { _end.Cancel(); }
        catch (ObjectDisposedException) { } // it finished meanwhile
    }

    public void Dispose()
    {
        _owner.Finish(this);
        _end.Dispose();
    }
}
