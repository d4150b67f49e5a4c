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

    private static TimeSpan? Duration(IConfiguration configuration, string key)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) || value <= TimeSpan.Zero)
            throw WharfException.InvalidArgument($"Invalid setting '{key}': '{text}' is not a positive duration (days, or d.hh:mm:ss).");
        return value;
    }
}
