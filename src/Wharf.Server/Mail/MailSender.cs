using MimeKit;
using Wharf.Core.Notifications;

namespace Wharf.Server.Mail;

/// <summary>
/// Sends notifications over SMTP with MailKit. With no SMTP host configured, or when sending fails, the
/// message is written as an .eml file into <c>DATA/mail/outbox</c> so none is lost; once SMTP is
/// configured, <see cref="OutboxSender"/> delivers what is queued there.
/// </summary>
public sealed partial class MailSender(SmtpSettings settings, Outbox outbox, TimeProvider time, ILogger<MailSender> logger) : INotificationSender
{
    public async Task SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        var message = Build(notification);
        if (!settings.Enabled)
        {
            var file = await outbox.WriteAsync(message, cancellationToken);
            LogWrittenToOutbox(notification.Subject, file);
            return;
        }
        try
        {
            await using (var smtp = await SmtpDelivery.ConnectAsync(settings, cancellationToken))
                await smtp.SendAsync(message, cancellationToken);
            LogSent(notification.Subject, settings.Host!, settings.Port);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The exception's message, never the settings: the password stays out of the log.
            var file = await outbox.WriteAsync(message, CancellationToken.None);
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

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Mail '{Subject}' sent through {Host}:{Port}")]
    private partial void LogSent(string subject, string host, int port);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "No SMTP server configured: mail '{Subject}' written to {File}")]
    private partial void LogWrittenToOutbox(string subject, string file);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Sending mail '{Subject}' through {Host}:{Port} failed ({ErrorType}: {Error}); written to {File} instead, the outbox sender retries it")]
    private partial void LogSendFailed(string subject, string host, int port, string errorType, string error, string file);
}
