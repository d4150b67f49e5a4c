using System.Diagnostics;
using System.Globalization;
using Wharf.Core.Git;

namespace Wharf.Server.Maintenance;

/// <summary>What <c>git count-objects -v</c> says about a repository: loose objects and pack files, with their sizes in KiB.</summary>
public sealed record ObjectCounts(long LooseObjects, long LooseKiB, long Packs, long PackKiB)
{
    public static ObjectCounts Parse(string output)
    {
        var values = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0].Trim(), parts => long.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0);
        long Get(string name) => values.GetValueOrDefault(name);
        return new ObjectCounts(Get("count"), Get("size"), Get("packs"), Get("size-pack"));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{LooseObjects} loose objects ({LooseKiB} KiB), {Packs} packs ({PackKiB} KiB)");
}

/// <summary>One git command maintenance ran, and how long it took.</summary>
public sealed record MaintenanceStep(string Command, TimeSpan Took);

public enum MaintenanceOutcome
{
    /// <summary>The steps ran.</summary>
    Done,
    /// <summary>Below every threshold: nothing ran.</summary>
    NotNeeded,
    /// <summary>A push is running, or another process holds the lock: nothing ran; try again later.</summary>
    Busy,
}

public sealed record MaintenanceResult(
    MaintenanceOutcome Outcome, ObjectCounts Before, ObjectCounts? After = null, IReadOnlyList<MaintenanceStep>? Steps = null,
    IReadOnlyList<string>? Files = null, string? Busy = null, TimeSpan Took = default);

/// <summary>
/// Puts one git repository into the shape git serves fastest, with git's own commands: refs packed into one file,
/// objects repacked (whole up to <see cref="MaintenanceSettings.FullRepackMiB"/>, else geometrically: each pack at
/// least twice the size of the next smaller, loose objects into a new pack, so a run after a few pushes costs little
/// even in a large repository) with a multi-pack index and its reachability bitmap, and an incremental commit-graph. Runs only
/// under the repository's maintenance lock (<see cref="RepositoryLocks"/>), never during a push.
/// </summary>
public sealed class RepositoryMaintainer(GitBinary git, RepositoryLocks locks, MaintenanceSettings settings)
{
    private static readonly string[] PackRefs = ["pack-refs", "--all", "--prune"];
    private static readonly string[] GeometricRepack = ["repack", "--geometric=2", "-d", "--write-midx", "--write-bitmap-index", "--quiet"];
    private static readonly string[] FullRepack = ["repack", "-a", "-d", "-f", "--write-midx", "--write-bitmap-index", "--quiet"];
    private static readonly string[] CommitGraph = ["commit-graph", "write", "--reachable", "--split", "--no-progress"];

    /// <summary>
    /// The commands for a repository with <paramref name="counts"/>, in order; each gets <c>--git-dir REPOSITORY</c> in
    /// front. Up to <see cref="MaintenanceSettings.FullRepackMiB"/> every object goes into one pack with its deltas
    /// recomputed across all pushes (a batch of loose objects packed alone can only be stored against its own batch);
    /// above it, geometric repacking keeps each run's cost to the small packs.
    /// </summary>
    public IReadOnlyList<string[]> Commands(ObjectCounts counts) =>
        [PackRefs, counts.PackKiB + counts.LooseKiB <= settings.FullRepackMiB * 1024L ? FullRepack : GeometricRepack, CommitGraph];

    public async Task<ObjectCounts> CountAsync(string repository, CancellationToken cancellationToken) =>
        ObjectCounts.Parse(await GitAsync(repository, ["count-objects", "-v"], cancellationToken));

    /// <summary>Whether <paramref name="counts"/> or the pushes since the last run pass a threshold of <see cref="MaintenanceSettings"/>.</summary>
    public bool IsNeeded(ObjectCounts counts, int pushes) =>
        counts.LooseObjects >= settings.LooseObjects || counts.Packs >= settings.Packs || pushes >= settings.Pushes;

    /// <summary>
    /// Maintains <paramref name="repository"/> (a bare git repository's directory) if it needs it, or always with
    /// <paramref name="force"/>; Busy, changing nothing, when a push runs or another process maintains it.
    /// </summary>
    public async Task<MaintenanceResult> RunAsync(string repository, bool force, int pushes, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var held = locks.TryEnterMaintenance(repository, out var busy);
        if (held is null) return new MaintenanceResult(MaintenanceOutcome.Busy, await CountAsync(repository, cancellationToken), Busy: busy);
        await using (held)
        {
            var before = await CountAsync(repository, cancellationToken);
            if (!force && !IsNeeded(before, pushes)) return new MaintenanceResult(MaintenanceOutcome.NotNeeded, before);
            var steps = new List<MaintenanceStep>();
            foreach (var command in Commands(before))
            {
                var stepStarted = Stopwatch.GetTimestamp();
                await GitAsync(repository, command, cancellationToken);
                steps.Add(new MaintenanceStep("git " + string.Join(' ', command.Where(a => a is not "--quiet" and not "--no-progress")),
                    Stopwatch.GetElapsedTime(stepStarted)));
            }
            var after = await CountAsync(repository, cancellationToken);
            return new MaintenanceResult(MaintenanceOutcome.Done, before, after, steps, Files(repository), Took: Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>The index files git reads to serve fast, relative to the repository, that exist now.</summary>
    public static IReadOnlyList<string> Files(string repository)
    {
        var pack = Path.Combine(repository, "objects", "pack");
        var found = new List<string>();
        if (Directory.Exists(pack))
        {
            found.AddRange(Directory.EnumerateFiles(pack, "multi-pack-index*").Order(StringComparer.Ordinal));
            found.AddRange(Directory.EnumerateFiles(pack, "pack-*.bitmap").Order(StringComparer.Ordinal));
        }
        var graphs = Path.Combine(repository, "objects", "info", "commit-graphs", "commit-graph-chain");
        if (File.Exists(graphs)) found.Add(graphs);
        var graph = Path.Combine(repository, "objects", "info", "commit-graph");
        if (File.Exists(graph)) found.Add(graph);
        if (File.Exists(Path.Combine(repository, "packed-refs"))) found.Add(Path.Combine(repository, "packed-refs"));
        return found.Select(f => Path.GetRelativePath(repository, f).Replace('\\', '/')).ToList();
    }

    /// <summary>Runs git to the end; killed (with its children) if cancelled, which git survives: it renames finished files into place.</summary>
    private async Task<string> GitAsync(string repository, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var psi = git.StartInfo(["--git-dir", repository, .. arguments]);
        psi.RedirectStandardInput = false;
        using var process = git.Start(psi);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
            throw;
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"git {string.Join(' ', arguments)} in {repository} failed with exit code {process.ExitCode.ToString(CultureInfo.InvariantCulture)}: {(await stderr).Trim()}");
        return await stdout;
    }
}
