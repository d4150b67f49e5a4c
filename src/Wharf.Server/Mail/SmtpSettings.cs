using MimeKit;
using Wharf.Core.Errors;

namespace Wharf.Server.Mail;

/// <summary>
/// SMTP settings from configuration section <c>Smtp</c> (DATA/wharf.json, or <c>WHARF_Smtp__Host=...</c>).
/// No host means no SMTP: every message is written to <c>DATA/mail/outbox</c> as an .eml file instead.
/// Validated at start (docs/OPERATIONS.md).
/// </summary>
public sealed class SmtpSettings
{
    public const string Section = "Smtp";

    public string? Host { get; set; }
    // The message submission port (RFC 6409), with STARTTLS.
    public int Port { get; set; } = 587;
    public string? From { get; set; }
    public string? UserName { get; set; }
    /// <summary>Never logged, never shown: <see cref="ToString"/> leaves it out.</summary>
    public string? Password { get; set; }
    /// <summary>TLS on port 465 (implicit, RFC 8314), STARTTLS required on any other port; false for a plain local relay.</summary>
    public bool UseTls { get; set; } = true;
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public bool Enabled => !string.IsNullOrWhiteSpace(Host);

    public MailboxAddress FromAddress => MailboxAddress.Parse(From ?? DefaultFrom);

    // Used for the outbox when no SMTP server is configured and no From is set.
    public const string DefaultFrom = "Wharf <wharf@localhost>";

    public override string ToString() => $"{Host}:{Port} (TLS {(UseTls ? "on" : "off")}, user {UserName ?? "none"})";

    private static readonly string[] Known = ["Host", "Port", "From", "UserName", "Password", "UseTls", "Timeout"];

    public static SmtpSettings Build(IConfiguration? configuration)
    {
        var settings = new SmtpSettings();
        if (configuration is null) return settings;
        var section = configuration.GetSection(Section);
        foreach (var child in section.GetChildren())
            if (!Known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                throw WharfException.InvalidArgument($"Unknown SMTP setting '{Section}:{child.Key}'. Known settings: {string.Join(", ", Known)}.");
        try { section.Bind(settings); }
        catch (InvalidOperationException e) { throw WharfException.InvalidArgument($"Invalid SMTP setting: {e.Message}"); }

        if (settings.Port is < 1 or > 65535) throw WharfException.InvalidArgument($"Invalid SMTP setting '{Section}:Port': {settings.Port} is not a port (1-65535).");
        if (settings.Timeout <= TimeSpan.Zero) throw WharfException.InvalidArgument($"Invalid SMTP setting '{Section}:Timeout': it must be positive.");
        if (settings.Enabled && string.IsNullOrWhiteSpace(settings.From))
            throw WharfException.InvalidArgument($"'{Section}:From' is required when '{Section}:Host' is set (the address messages are sent from).");
        if (settings.From is { } from && !MailboxAddress.TryParse(from, out _))
            throw WharfException.InvalidArgument($"Invalid SMTP setting '{Section}:From': '{from}' is not an email address.");
        if (string.IsNullOrEmpty(settings.UserName) != string.IsNullOrEmpty(settings.Password))
            throw WharfException.InvalidArgument($"'{Section}:UserName' and '{Section}:Password' are set together or not at all.");
        return settings;
    }
}
