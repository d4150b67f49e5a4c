using MailKit.Net.Smtp;
using MimeKit;

namespace Wharf.Server.Mail;

/// <summary>
/// Delivers what waits in <c>DATA/mail/outbox</c> once <c>Smtp:Host</c> is set: messages queued while no
/// SMTP server was configured, and those whose live send failed. A file is deleted only after the server
/// accepted its message. When the server cannot be reached or answers "try later" (4xx), the pass stops and
/// the next one waits <see cref="RetryDelay"/>, doubling from one minute to an hour; a message the server
/// refuses for good (5xx) is moved to <c>DATA/mail/rejected</c> so it cannot block the others. Runs in
/// <c>wharf serve</c> only, one pass at start and then every <see cref="PollInterval"/>.
/// </summary>
public sealed partial class OutboxSender(SmtpSettings settings, Outbox outbox, TimeProvider time, ILogger<OutboxSender> logger) : BackgroundService
{
    /// <summary>How often the outbox is looked at while all goes well: a failed live send waits at most this long.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromHours(1);

    /// <summary>What one pass did.</summary>
    public sealed record PassResult(int Sent, int Rejected, int Left, bool Failed);

    /// <summary>Wait before the next pass after <paramref name="failedPasses"/> failed passes in a row: 1, 2, 4 ... 60 minutes.</summary>
    public static TimeSpan RetryDelay(int failedPasses)
    {
        if (failedPasses <= 0) return PollInterval;
        var minutes = Math.Pow(2, Math.Min(failedPasses - 1, 16));
        return TimeSpan.FromMinutes(Math.Min(minutes, MaxRetryDelay.TotalMinutes));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!settings.Enabled) return;
        var failedPasses = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var result = await RunOnceAsync(stoppingToken);
            failedPasses = result.Failed ? failedPasses + 1 : 0;
            try { await Task.Delay(RetryDelay(failedPasses), time, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    public async Task<PassResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        var files = outbox.List();
        if (files.Count == 0) return new PassResult(0, 0, 0, false);
        int sent = 0, rejected = 0;
        SmtpDelivery? smtp = null;
        try
        {
            smtp = await SmtpDelivery.ConnectAsync(settings, cancellationToken);
            foreach (var file in files)
            {
                MimeMessage message;
                try { message = await MimeMessage.LoadAsync(file, cancellationToken); }
                catch (Exception e) when (e is FormatException or IOException)
                {
                    // FileNotFound: an operator removed it meanwhile. Anything else will not get better by retrying.
                    if (e is FileNotFoundException) continue;
                    LogRejected(file, outbox.MoveToRejected(file), e.Message);
                    rejected++;
                    continue;
                }
                UseConfiguredSender(message);
                try
                {
                    await smtp.SendAsync(message, cancellationToken);
                }
                catch (SmtpCommandException e) when ((int)e.StatusCode >= 500)
                {
                    LogRejected(file, outbox.MoveToRejected(file), e.Message);
                    rejected++;
                    continue;
                }
                // Accepted: only now may the file go.
                File.Delete(file);
                sent++;
                LogSent(message.Subject ?? "", settings.Host!, settings.Port);
            }
            return new PassResult(sent, rejected, 0, false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Unreachable, timed out, 4xx, or the connection dropped: everything not yet accepted stays queued.
            var left = outbox.List().Count;
            LogPassFailed(settings.Host!, settings.Port, e.GetType().Name, e.Message, left);
            return new PassResult(sent, rejected, left, true);
        }
        finally
        {
            if (smtp is not null) await smtp.DisposeAsync();
        }
    }

    /// <summary>
    /// A message queued while no SMTP server was configured carries the placeholder sender; it goes out from
    /// <c>Smtp:From</c>, as it would have if sent at once.
    /// </summary>
    private void UseConfiguredSender(MimeMessage message)
    {
        var placeholder = MailboxAddress.Parse(SmtpSettings.DefaultFrom);
        if (message.From.Mailboxes.SingleOrDefault() is { } from && from.Address == placeholder.Address)
        {
            message.From.Clear();
            message.From.Add(settings.FromAddress);
        }
    }

    [LoggerMessage(EventId = 4030, Level = LogLevel.Information, Message = "Queued mail '{Subject}' sent through {Host}:{Port}")]
    private partial void LogSent(string subject, string host, int port);

    [LoggerMessage(EventId = 4031, Level = LogLevel.Warning, Message = "Sending queued mail through {Host}:{Port} failed ({ErrorType}: {Error}); {Left} message(s) stay in the outbox and are retried later")]
    private partial void LogPassFailed(string host, int port, string errorType, string error, int left);

    [LoggerMessage(EventId = 4032, Level = LogLevel.Warning, Message = "Queued mail {File} was refused for good ({Error}); moved to {RejectedFile}")]
    private partial void LogRejected(string file, string rejectedFile, string error);
}
