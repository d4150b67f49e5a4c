using System.Globalization;
using Wharf.Core.Errors;
using Wharf.Core.Git;

namespace Wharf.Server.Ssh;

/// <summary>
/// Wharf's own limits on logged-in SSH clients, from configuration section <c>Ssh</c> next to the library's
/// settings (<see cref="SshSettings"/>); defaults and reasons in docs/OPERATIONS.md. Bad values stop the command
/// before anything runs, like every other setting.
/// </summary>
public sealed record SessionSettings
{
    public const int DefaultMaxSessionsPerKey = 256;
    public const int DefaultMaxSessionsPerAccount = 512;
    public static readonly TimeSpan DefaultRevocationCheckInterval = TimeSpan.FromSeconds(5);

    /// <summary>The setting names under <c>Ssh</c> that this class reads.</summary>
    public static readonly IReadOnlySet<string> Names = new SortedSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        nameof(MaxSessionsPerAccount), nameof(MaxSessionsPerKey), nameof(NoProgressTimeout), nameof(RevocationCheckInterval),
    };

    /// <summary>Commands (git, hg, the greeting) running at once on this node for one account, whichever of its keys they use.</summary>
    public int MaxSessionsPerAccount { get; init; } = DefaultMaxSessionsPerAccount;

    /// <summary>Commands running at once on this node with one key (an account key or an access key).</summary>
    public int MaxSessionsPerKey { get; init; } = DefaultMaxSessionsPerKey;

    /// <summary>A git or hg process through which nothing has moved for this long is ended; infinite turns it off.</summary>
    public TimeSpan NoProgressTimeout { get; init; } = ProcessLimits.DefaultNoProgressTimeout;

    /// <summary>How often the keys and repository access of live connections and running commands are checked again.</summary>
    public TimeSpan RevocationCheckInterval { get; init; } = DefaultRevocationCheckInterval;

    public ProcessLimits ProcessLimits => new(NoProgressTimeout);

    public static SessionSettings Build(IConfiguration? configuration)
    {
        var defaults = new SessionSettings();
        if (configuration is null) return defaults;
        var section = configuration.GetSection(SshSettings.Section);
        var noProgress = Duration(section, nameof(NoProgressTimeout)) ?? defaults.NoProgressTimeout;
        if (noProgress != Timeout.InfiniteTimeSpan && (noProgress < TimeSpan.FromSeconds(1) || noProgress > TimeSpan.FromDays(1)))
            throw Invalid(nameof(NoProgressTimeout), "must be between 1 second and 1 day, or infinite (-00:00:00.001)");
        var interval = Duration(section, nameof(RevocationCheckInterval)) ?? defaults.RevocationCheckInterval;
        if (interval < TimeSpan.FromSeconds(1) || interval > TimeSpan.FromHours(1))
            throw Invalid(nameof(RevocationCheckInterval), "must be between 1 second and 1 hour");
        return new SessionSettings
        {
            MaxSessionsPerAccount = Count(section, nameof(MaxSessionsPerAccount)) ?? defaults.MaxSessionsPerAccount,
            MaxSessionsPerKey = Count(section, nameof(MaxSessionsPerKey)) ?? defaults.MaxSessionsPerKey,
            NoProgressTimeout = noProgress,
            RevocationCheckInterval = interval,
        };
    }

    private static int? Count(IConfigurationSection section, string name)
    {
        if (section[name] is not { } text) return null;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 1_000_000
            ? n
            : throw Invalid(name, "must be a whole number from 1 to 1000000");
    }

    private static TimeSpan? Duration(IConfigurationSection section, string name)
    {
        if (section[name] is not { } text) return null;
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Invalid(name, "must be a duration such as 00:10:00");
    }

    private static WharfException Invalid(string name, string rule) =>
        WharfException.InvalidArgument($"Ssh: {name} {rule}.");
}
