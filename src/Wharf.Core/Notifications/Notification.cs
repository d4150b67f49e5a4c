namespace Wharf.Core.Notifications;

/// <summary>One plain-text message to one account's email address.</summary>
public sealed record Notification(string ToName, string ToAddress, string Subject, string Body);

/// <summary>
/// Delivers notifications. Implementations keep a message that cannot be delivered (the SMTP server is
/// down, or none is configured) rather than dropping it; they throw only when it cannot be kept either.
/// </summary>
public interface INotificationSender
{
    Task SendAsync(Notification notification, CancellationToken cancellationToken);
}

/// <summary>
/// Told about a key change after it has been stored. Implementations never throw: a notification that
/// fails is logged, and never undoes or fails the change it reports.
/// </summary>
public interface IKeyChangeNotifier
{
    Task KeyAddedAsync(Users.User user, Keys.SshKey key, Audit.Actor actor, DateTimeOffset at);
    Task KeyRemovedAsync(Users.User user, Keys.SshKey key, Audit.Actor actor, DateTimeOffset at);
    Task UsageChangedAsync(Users.User user, Keys.SshKey key, Keys.KeyUsage from, Audit.Actor actor, DateTimeOffset at) => Task.CompletedTask;
    Task KeyCompromisedAsync(Users.User user, Keys.SshKey key, Audit.Actor actor, DateTimeOffset at) => Task.CompletedTask;
    /// <summary>The key was taken over by an account that proved it holds the private key; never says which account.</summary>
    Task KeyTakenOverAsync(Users.User user, Keys.SshKey key, DateTimeOffset at) => Task.CompletedTask;
}
