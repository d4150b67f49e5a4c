using Wharf.Core.Notifications;

namespace Wharf.Server.Mail;

/// <summary>Runs the key reminder pass (<see cref="KeyReminders"/>) at start and then once a day, on the injected clock.</summary>
public sealed partial class KeyReminderService(IServiceScopeFactory scopes, TimeProvider time, ILogger<KeyReminderService> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromDays(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await RunOnceAsync(stoppingToken);
            try { await Task.Delay(Interval, time, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>One pass; a failure is logged and the next day's pass tries again (nothing recorded is lost).</summary>
    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var sent = await scope.ServiceProvider.GetRequiredService<KeyReminders>().RunOnceAsync(cancellationToken);
            if (sent > 0) LogSent(sent);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogFailed(e);
        }
    }

    [LoggerMessage(EventId = 4020, Level = LogLevel.Information, Message = "Sent {Count} SSH key reminder(s)")]
    private partial void LogSent(int count);

    [LoggerMessage(EventId = 4021, Level = LogLevel.Error, Message = "The SSH key reminder pass failed")]
    private partial void LogFailed(Exception exception);
}
