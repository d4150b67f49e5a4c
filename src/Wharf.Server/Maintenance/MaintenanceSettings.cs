using System.Globalization;
using Wharf.Core.Errors;

namespace Wharf.Server.Maintenance;

/// <summary>
/// When <c>wharf serve</c> repacks the git repositories pushed to (configuration section <c>Maintenance</c>; defaults and
/// reasons in docs/OPERATIONS.md, "Repository maintenance"). Bad values stop the command before anything runs.
/// </summary>
public sealed record MaintenanceSettings
{
    public const string Section = "Maintenance";

    /// <summary>Whether pushes queue their repository for maintenance at all (the admin command works either way).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>How long after a push its repository is looked at, so that a burst of pushes costs one run; also the wait before a retry.</summary>
    public TimeSpan Delay { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Pushes to one repository on this node after which it is maintained whatever its object counts.</summary>
    public int Pushes { get; init; } = 50;

    /// <summary>Loose objects (<c>git count-objects -v</c> "count") at which a repository is maintained: git's own
    /// <c>maintenance.loose-objects.auto</c> default.</summary>
    public int LooseObjects { get; init; } = 100;

    /// <summary>Pack files at which a repository is maintained: git's own <c>maintenance.incremental-repack.auto</c> default.</summary>
    public int Packs { get; init; } = 10;

    /// <summary>Repositories whose objects (packs and loose) take at most this many MiB are repacked whole, deltas recomputed
    /// (<c>git repack -a -d -f</c>): seconds at this size, and the smallest pack; larger ones are repacked geometrically. 0: always geometric.</summary>
    public int FullRepackMiB { get; init; } = 64;

    /// <summary>Repositories maintained at once on this node.</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>A push marker or maintenance lock not refreshed for this long belongs to a process that died, and is ignored.</summary>
    public TimeSpan LockStaleAfter { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The setting names under <c>Maintenance</c>.</summary>
    public static readonly IReadOnlySet<string> Names = new SortedSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        nameof(Enabled), nameof(Delay), nameof(Pushes), nameof(LooseObjects), nameof(Packs), nameof(Concurrency), nameof(LockStaleAfter), nameof(FullRepackMiB),
    };

    public static MaintenanceSettings Build(IConfiguration? configuration)
    {
        var defaults = new MaintenanceSettings();
        if (configuration is null) return defaults;
        var section = configuration.GetSection(Section);
        foreach (var child in section.GetChildren())
            if (!Names.Contains(child.Key))
                throw WharfException.InvalidArgument($"Unknown maintenance setting '{Section}:{child.Key}'. Known settings: {string.Join(", ", Names)}.");
        var enabled = section[nameof(Enabled)] switch
        {
            null => defaults.Enabled,
            var text when bool.TryParse(text, out var b) => b,
            _ => throw Invalid(nameof(Enabled), "must be true or false"),
        };
        var delay = Duration(section, nameof(Delay)) ?? defaults.Delay;
        if (delay < TimeSpan.Zero || delay > TimeSpan.FromDays(1)) throw Invalid(nameof(Delay), "must be between 00:00:00 and 1 day");
        var stale = Duration(section, nameof(LockStaleAfter)) ?? defaults.LockStaleAfter;
        if (stale < TimeSpan.FromSeconds(10) || stale > TimeSpan.FromDays(1)) throw Invalid(nameof(LockStaleAfter), "must be between 10 seconds and 1 day");
        return new MaintenanceSettings
        {
            Enabled = enabled,
            Delay = delay,
            Pushes = Count(section, nameof(Pushes), 1_000_000) ?? defaults.Pushes,
            LooseObjects = Count(section, nameof(LooseObjects), 1_000_000_000) ?? defaults.LooseObjects,
            Packs = Count(section, nameof(Packs), 1_000_000) ?? defaults.Packs,
            Concurrency = Count(section, nameof(Concurrency), 64) ?? defaults.Concurrency,
            FullRepackMiB = section[nameof(FullRepackMiB)] == "0" ? 0 : Count(section, nameof(FullRepackMiB), 1_000_000) ?? defaults.FullRepackMiB,
            LockStaleAfter = stale,
        };
    }

    private static int? Count(IConfigurationSection section, string name, int max)
    {
        if (section[name] is not { } text) return null;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= max
            ? n
            : throw Invalid(name, $"must be a whole number from 1 to {max.ToString(CultureInfo.InvariantCulture)}");
    }

    private static TimeSpan? Duration(IConfigurationSection section, string name)
    {
        if (section[name] is not { } text) return null;
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Invalid(name, "must be a duration such as 00:01:00");
    }

    private static WharfException Invalid(string name, string rule) => WharfException.InvalidArgument($"{Section}: {name} {rule}.");
}
