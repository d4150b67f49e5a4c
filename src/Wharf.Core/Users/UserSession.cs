namespace Wharf.Core.Users;

/// <summary>
/// One signed-in web session (a browser's session cookie names it). The cookie is honoured only while its row
/// exists: signing out deletes the row, "sign out everywhere" and a password change delete all of the user's.
/// </summary>
public sealed class UserSession
{
    /// <summary>Random; carried inside the signed and encrypted session cookie, never shown.</summary>
    public Guid Id { get; set; }
    public long UserId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>When the session was last used, to the precision of <see cref="IUserSessionStore.TouchInterval"/>; rows idle longer than the cookie lives are deleted.</summary>
    public DateTimeOffset LastSeenAt { get; set; }
}

/// <summary>Persistence of web sessions; implemented by Wharf.Data for each database provider.</summary>
public interface IUserSessionStore
{
    /// <summary>How stale <see cref="UserSession.LastSeenAt"/> may get before a use writes it again (one write per session per interval, not per request).</summary>
    public static readonly TimeSpan TouchInterval = TimeSpan.FromHours(1);

    /// <summary>Stores a new session for the user, and deletes every session idle for longer than <paramref name="idleLifetime"/>.</summary>
    Task<Guid> StartAsync(long userId, DateTimeOffset now, TimeSpan idleLifetime, CancellationToken cancellationToken);

    /// <summary>True while the session exists for that user and the account is not disabled; records the use.</summary>
    Task<bool> IsActiveAsync(Guid id, long userId, DateTimeOffset now, CancellationToken cancellationToken);

    Task EndAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Ends every session of the user; returns how many there were.</summary>
    Task<int> EndAllAsync(long userId, CancellationToken cancellationToken);
}
