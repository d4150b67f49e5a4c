using Wharf.Core;
using Wharf.Core.Errors;
using Wharf.Core.Keys;
using Wharf.Core.Notifications;
using Wharf.Core.Repositories;

namespace Wharf.Server.Hosting;

/// <summary>
/// Instance settings: <c>DATA/wharf.json</c>, then <c>WHARF_</c>-prefixed environment variables
/// (<c>WHARF_Keys__MinRsaBits=3072</c>). <c>wharf serve</c> and the admin commands read the same
/// sources, so a key the server refuses is refused at the command line too.
/// </summary>
public static class WharfConfiguration
{
    public static IConfigurationBuilder AddWharfSources(this IConfigurationBuilder builder, WharfPaths paths) =>
        builder.AddJsonFile(Path.Combine(paths.DataDirectory, "wharf.json"), optional: true, reloadOnChange: false)
            .AddEnvironmentVariables("WHARF_");

    public static IConfiguration Load(WharfPaths paths) => new ConfigurationBuilder().AddWharfSources(paths).Build();

    /// <summary><c>Keys:AllowedTypes</c> (key type names) and <c>Keys:MinRsaBits</c>; bad values are start-up errors.</summary>
    public static KeyPolicy KeyPolicy(IConfiguration? configuration)
    {
        if (configuration is null) return new KeyPolicy();
        var types = configuration.GetSection("Keys:AllowedTypes").Get<string[]>();
        var minRsaBits = configuration.GetValue<int?>("Keys:MinRsaBits") ?? Core.Keys.KeyPolicy.DefaultMinRsaBits;
        return new KeyPolicy(types is { Length: > 0 } ? types : null, minRsaBits);
    }

    /// <summary><c>Repositories:DefaultBranch</c> (default <c>main</c>); a name git would refuse is a start-up error.</summary>
    public static RepositorySettings Repositories(IConfiguration? configuration) =>
        configuration?[RepositorySettings.DefaultBranchSetting] is { } branch ? new RepositorySettings(branch) : new RepositorySettings();

    /// <summary><c>Keys:ExpiryReminderNotice</c> (default 7 days) and <c>Keys:RotationReminderAge</c> (default 365 days): TimeSpans, "365" is days.</summary>
    public static KeyReminderOptions KeyReminders(IConfiguration? configuration)
    {
        var defaults = new KeyReminderOptions();
        if (configuration is null) return defaults;
        return new KeyReminderOptions
        {
            ExpiryNotice = Duration(configuration, "Keys:ExpiryReminderNotice") ?? defaults.ExpiryNotice,
            RotationAge = Duration(configuration, "Keys:RotationReminderAge") ?? defaults.RotationAge,
        };
    }

    /// <summary>
    /// The <c>Browse</c> section (<c>MaxFileBytes</c>, <c>MaxTreeEntries</c>, <c>MaxDiffFiles</c>, <c>MaxDiffLines</c>: positive
    /// whole numbers; <c>Timeout</c>: a positive duration, "30" is seconds); a bad value is a start-up error.
    /// </summary>
    public static Core.Browse.BrowseLimits Browse(IConfiguration? configuration)
    {
        var limits = new Core.Browse.BrowseLimits();
        if (configuration is null) return limits;
        limits.MaxFileBytes = Count(configuration, "Browse:MaxFileBytes") ?? limits.MaxFileBytes;
        limits.MaxTreeEntries = (int?)Count(configuration, "Browse:MaxTreeEntries", int.MaxValue) ?? limits.MaxTreeEntries;
        limits.MaxDiffFiles = (int?)Count(configuration, "Browse:MaxDiffFiles", int.MaxValue) ?? limits.MaxDiffFiles;
        limits.MaxDiffLines = (int?)Count(configuration, "Browse:MaxDiffLines", int.MaxValue) ?? limits.MaxDiffLines;
        var timeout = configuration["Browse:Timeout"];
        if (!string.IsNullOrWhiteSpace(timeout))
        {
            var culture = System.Globalization.CultureInfo.InvariantCulture;
            if (long.TryParse(timeout, System.Globalization.NumberStyles.None, culture, out var seconds) && seconds is > 0 and <= 86400)
                limits.Timeout = TimeSpan.FromSeconds(seconds);
            else if (timeout.Contains(':') && TimeSpan.TryParse(timeout, culture, out var value) && value > TimeSpan.Zero)
                limits.Timeout = value;
            else
                throw WharfException.InvalidArgument($"Invalid setting 'Browse:Timeout': '{timeout}' is not a positive duration (seconds, or hh:mm:ss).");
        }
        return limits;
    }

    /// <summary>
    /// The <c>Lfs</c> section (docs/OPERATIONS.md, "Git LFS"): <c>MaxObjectBytes</c> (a positive whole number of bytes) and
    /// <c>TokenLifetime</c> (seconds, 1 to 3600); a bad value is a start-up error.
    /// </summary>
    public static Core.Lfs.LfsSettings Lfs(IConfiguration? configuration)
    {
        var settings = new Core.Lfs.LfsSettings();
        if (configuration is null) return settings;
        return settings with
        {
            MaxObjectBytes = Count(configuration, "Lfs:MaxObjectBytes") ?? settings.MaxObjectBytes,
            TokenLifetime = Count(configuration, "Lfs:TokenLifetime", 3600) is { } seconds ? TimeSpan.FromSeconds(seconds) : settings.TokenLifetime,
        };
    }

    private static long? Count(IConfiguration configuration, string key, long max = long.MaxValue)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < 1 || value > max)
            throw WharfException.InvalidArgument($"Invalid setting '{key}': '{text}' is not a whole number from 1 to {max}.");
        return value;
    }

    private static TimeSpan? Duration(IConfiguration configuration, string key)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) || value <= TimeSpan.Zero)
            throw WharfException.InvalidArgument($"Invalid setting '{key}': '{text}' is not a positive duration (days, or d.hh:mm:ss).");
        return value;
    }
}
