using Wharf.Core.Audit;
using Wharf.Core.Keys;
using Wharf.Core.Notifications;
using Wharf.Core.Users;
using Wharf.Server.Hosting;

namespace Wharf.Server.Mail;

/// <summary>
/// Emails the account when one of its keys is added or removed, with links to the pages to act on; a failure is
/// logged, never thrown. Only a verified address is mailed: an unverified one may belong to someone else.
/// </summary>
public sealed partial class KeyChangeMailer(INotificationSender sender, WebAddress address, ILogger<KeyChangeMailer> logger) : IKeyChangeNotifier
{
    public Task KeyAddedAsync(User user, SshKey key, Actor actor, DateTimeOffset at) => SendAsync(KeyMessages.Added(user, key, actor, at, Site), user);

    public Task KeyRemovedAsync(User user, SshKey key, Actor actor, DateTimeOffset at) => SendAsync(KeyMessages.Removed(user, key, actor, at, Site), user);

    public Task UsageChangedAsync(User user, SshKey key, KeyUsage from, Actor actor, DateTimeOffset at) =>
        SendAsync(KeyMessages.UsageChanged(user, key, from, actor, at, Site), user);

    public Task KeyCompromisedAsync(User user, SshKey key, Actor actor, DateTimeOffset at) => SendAsync(KeyMessages.Compromised(user, key, actor, at, Site), user);

    public Task KeyTakenOverAsync(User user, SshKey key, DateTimeOffset at) => SendAsync(KeyMessages.TakenOver(user, key, at, Site), user);

    private string Site => address.BaseUrl?.TrimEnd('/') ?? "";

    private async Task SendAsync(Notification message, User user)
    {
        if (!user.EmailVerified) return;
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
