using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Wharf.Server.Mail;

/// <summary>
/// One connection to the configured SMTP server (MailKit): connect, authenticate when a user name is set,
/// send any number of messages, quit. Shared by the live send and the outbox sender so both speak SMTP alike.
/// </summary>
public sealed class SmtpDelivery : IAsyncDisposable
{
    private readonly SmtpClient _client;

    private SmtpDelivery(SmtpClient client) => _client = client;

    public static async Task<SmtpDelivery> ConnectAsync(SmtpSettings settings, CancellationToken cancellationToken)
    {
        var client = new SmtpClient { Timeout = (int)settings.Timeout.TotalMilliseconds };
        try
        {
            var security = !settings.UseTls ? SecureSocketOptions.None
                : settings.Port == 465 ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls;
            await client.ConnectAsync(settings.Host!, settings.Port, security, cancellationToken);
            if (!string.IsNullOrEmpty(settings.UserName))
                await client.AuthenticateAsync(settings.UserName, settings.Password ?? "", cancellationToken);
            return new SmtpDelivery(client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Returns once the server has accepted the message (its reply to the end of DATA); throws otherwise.</summary>
    public Task SendAsync(MimeMessage message, CancellationToken cancellationToken) => _client.SendAsync(message, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_client.IsConnected) await _client.DisconnectAsync(quit: true, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or MailKit.ProtocolException or MailKit.Net.Smtp.SmtpCommandException or OperationCanceledException)
        {
            // Every message was already accepted or is still queued; a failed QUIT loses nothing.
        }
        finally
        {
            _client.Dispose();
        }
    }
}
