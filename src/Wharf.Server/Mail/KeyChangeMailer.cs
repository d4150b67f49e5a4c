using Wharf.Core.Audit;
using Wharf.Core.Keys;
using Wharf.Core.Notifications;
using Wharf.Core.Users;

namespace Wharf.Server.Mail;

/// <summary>Emails the account when one of its keys is added or removed; a failure is logged, never thrown.</summary>
public sealed partial class KeyChangeMailer(INotificationSender sender, ILogger<KeyChangeMailer> logger) : IKeyChangeNotifier
{
    public Task KeyAddedAsync(User user, SshKey key, Actor actor, DateTimeOffset at) => SendAsync(KeyMessages.Added(user, key, actor, at), user);

    public Task KeyRemovedAsync(User user, SshKey key, Actor actor, DateTimeOffset at) => SendAsync(KeyMessages.Removed(user, key, actor, at), user);

    private async Task SendAsync(Notification message, User user)
    {
        try
        {
            // Not the request's token: the key change is already stored, and a client that goes away must not cost the owner the message.
            await sender.SendAsync(message, CancellationToken.None);
        }
        catch (Exception e)
        {
            LogFailed(message.Subject, user.Name, e);
        }
    }

    [LoggerMessage(EventId = 4010, Level = LogLevel.Error, Message = "Mail '{Subject}' to account {UserName} could not be sent or kept in the outbox")]
    private partial void LogFailed(string subject, string userName, Exception exception);
}
