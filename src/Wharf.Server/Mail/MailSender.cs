using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using Wharf.Core;
using Wharf.Core.Notifications;

namespace Wharf.Server.Mail;

/// <summary>
/// Sends notifications over SMTP with MailKit. With no SMTP host configured, or when sending fails, the
/// message is written as an .eml file into <c>DATA/mail/outbox</c> so none is lost (an operator can
/// send them later, e.g. with <c>sendmail -t &lt; file.eml</c>).
/// </summary>
public sealed partial class MailSender(SmtpSettings settings, WharfPaths paths, TimeProvider time, ILogger<MailSender> logger) : INotificationSender
{
    public static string Outbox(WharfPaths paths) => Path.Combine(paths.DataDirectory, "mail", "outbox");

    public async Task SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        var message = Build(notification);
        if (!settings.Enabled)
        {
            var file = await WriteToOutboxAsync(message, cancellationToken);
            LogWrittenToOutbox(notification.Subject, file);
            return;
        }
        try
        {
            await SendSmtpAsync(message, cancellationToken);
            LogSent(notification.Subject, settings.Host!, settings.Port);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The exception's message, never the settings: the password stays out of the log.
            var file = await WriteToOutboxAsync(message, CancellationToken.None);
            LogSendFailed(notification.Subject, settings.Host!, settings.Port, e.GetType().Name, e.Message, file);
        }
    }

    private MimeMessage Build(Notification n)
    {
        var message = new MimeMessage();
        message.From.Add(settings.FromAddress);
        message.To.Add(new MailboxAddress(n.ToName, n.ToAddress));
        message.Subject = n.Subject;
        message.Date = time.GetUtcNow();
        message.Body = new TextPart("plain") { Text = n.Body };
        return message;
    }

    private async Task SendSmtpAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        using var client = new SmtpClient { Timeout = (int)settings.Timeout.TotalMilliseconds };
        var security = !settings.UseTls ? SecureSocketOptions.None
            : settings.Port == 465 ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls;
        await client.ConnectAsync(settings.Host!, settings.Port, security, cancellationToken);
        if (!string.IsNullOrEmpty(settings.UserName))
            await client.AuthenticateAsync(settings.UserName, settings.Password ?? "", cancellationToken);
        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
    }

    private async Task<string> WriteToOutboxAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var outbox = Outbox(paths);
        Directory.CreateDirectory(outbox);
        // Sortable by time, unique by the random part; written under a temporary name and renamed, so a
        // reader of the outbox never sees half a message.
        var name = $"{time.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid():N}.eml";
        var path = Path.Combine(outbox, name);
        var temporary = path + ".tmp";
        await message.WriteToAsync(temporary, cancellationToken);
        File.Move(temporary, path);
        return path;
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Mail '{Subject}' sent through {Host}:{Port}")]
    private partial void LogSent(string subject, string host, int port);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "No SMTP server configured: mail '{Subject}' written to {File}")]
    private partial void LogWrittenToOutbox(string subject, string file);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Sending mail '{Subject}' through {Host}:{Port} failed ({ErrorType}: {Error}); written to {File} instead")]
    private partial void LogSendFailed(string subject, string host, int port, string errorType, string error, string file);
}
