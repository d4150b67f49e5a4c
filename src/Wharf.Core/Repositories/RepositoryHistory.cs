using System.Globalization;
using System.Text.Json;
using Wharf.Core.Git;
using Wharf.Core.Hg;

namespace Wharf.Core.Repositories;

/// <summary>
/// One commit or changeset as the repository page lists it. <see cref="When"/> is null when the recorded date is
/// one .NET cannot represent (git accepts offsets up to ±99:59, and Mercurial any number): the page then shows
/// <see cref="RawDate"/>, the date exactly as git (<c>--date=raw</c>) or Mercurial (<c>hgdate</c>) prints it.
/// </summary>
public sealed record CommitSummary(string Id, string Author, DateTimeOffset? When, string RawDate, string Subject)
{
    public string ShortId => Id.Length > 12 ? Id[..12] : Id;
}

/// <summary>
/// The latest commits, or why they could not be read: <paramref name="Failure"/> holds git's or hg's message (for the
/// server log) when the repository could not be read, so that a broken repository does not look empty.
/// </summary>
public sealed record RepositoryLog(IReadOnlyList<CommitSummary> Commits, string? Failure = null);

/// <summary>The latest commits (git: of HEAD's branch, else of every ref) or changesets (Mercurial), read from the real repository.</summary>
public sealed class RepositoryHistory(GitBinary git, HgBinary hg)
{
    public const int DefaultCount = 10;

    public Task<RepositoryLog> LatestAsync(RepositoryInfo repository, int count, CancellationToken cancellationToken) =>
        repository.Scm == Scm.Hg ? HgAsync(repository.Path, count, cancellationToken) : GitAsync(repository.Path, count, cancellationToken);

    private async Task<RepositoryLog> GitAsync(string path, int count, CancellationToken cancellationToken)
    {
        // Unit separator between fields, record separator between commits: subjects may hold anything else.
        string[] log = ["--git-dir", path, "log", "-n", count.ToString(CultureInfo.InvariantCulture), "--date=raw", "--format=%H%x1f%an%x1f%ad%x1f%s%x1e"];
        var run = await ChildProcess.RunToEndAsync(git.Start, git.StartInfo([.. log, "HEAD", "--"]), cancellationToken);
        // HEAD names a branch nobody pushed (an empty repository, or one made before the first pushed branch became
        // the default): show every ref's history instead. An empty repository gives none and exits 0.
        if (run.ExitCode != 0) run = await ChildProcess.RunToEndAsync(git.Start, git.StartInfo([.. log, "--all", "--date-order"]), cancellationToken);
        if (run.ExitCode != 0) return new RepositoryLog([], $"git log in {path} failed with exit code {run.ExitCode}: {run.Stderr.Trim()}");
        return new RepositoryLog(run.Stdout.Split('\x1e', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(r => r.Split('\x1f'))
            .Where(f => f.Length == 4)
            .Select(f => new CommitSummary(f[0], f[1], GitDate(f[2]), f[2], f[3]))
            .ToList());
    }

    /// <summary>git's raw date, "SECONDS +HHMM"; null when .NET cannot hold it (an offset past ±14:00, minutes past 59, a year past 9999).</summary>
    public static DateTimeOffset? GitDate(string raw)
    {
        var parts = raw.Split(' ');
        if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)) return null;
        var zone = parts[1];
        if (zone.Length != 5 || zone[0] is not ('+' or '-')
            || !int.TryParse(zone.AsSpan(1, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var hours)
            || !int.TryParse(zone.AsSpan(3, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var minutes)
            || minutes > 59)
            return null;
        var offset = new TimeSpan(hours, minutes, 0);
        return At(seconds, zone[0] == '-' ? -offset : offset);
    }

    private static DateTimeOffset? At(long seconds, TimeSpan offset)
    {
        if (offset.Duration() > TimeSpan.FromHours(14) || offset.Seconds != 0
            || seconds < DateTimeOffset.MinValue.ToUnixTimeSeconds() || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
            return null;
        var utc = DateTimeOffset.FromUnixTimeSeconds(seconds);
        // The local time must stay inside .NET's range too (year 1 to 9999).
        var local = utc.UtcDateTime.Ticks + offset.Ticks;
        return local < DateTime.MinValue.Ticks || local > DateTime.MaxValue.Ticks ? null : utc.ToOffset(offset);
    }

    private async Task<RepositoryLog> HgAsync(string path, int count, CancellationToken cancellationToken)
    {
        var run = await ChildProcess.RunToEndAsync(hg.Start,
            hg.StartInfo("-R", path, "log", "-l", count.ToString(CultureInfo.InvariantCulture), "-T", "json"), cancellationToken);
        if (run.ExitCode != 0) return new RepositoryLog([], $"hg log in {path} failed with exit code {run.ExitCode}: {run.Stderr.Trim()}");
        if (string.IsNullOrWhiteSpace(run.Stdout)) return new RepositoryLog([]);
        try
        {
            return new RepositoryLog(HgChangesets(run.Stdout));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException)
        {
            return new RepositoryLog([], $"hg log in {path} printed JSON Wharf could not read: {e.Message}");
        }
    }

    internal static List<CommitSummary> HgChangesets(string output)
    {
        using var json = JsonDocument.Parse(output);
        return json.RootElement.EnumerateArray().Select(c =>
        {
            var date = c.GetProperty("date");
            var raw = date.ValueKind == JsonValueKind.Array ? string.Join(' ', date.EnumerateArray().Select(d => d.GetRawText())) : date.GetRawText();
            var user = c.GetProperty("user").GetString() ?? "";
            var author = user.IndexOf('<') is var lt and > 0 ? user[..lt].Trim() : user;
            var subject = (c.GetProperty("desc").GetString() ?? "").Split('\n')[0];
            return new CommitSummary(c.GetProperty("node").GetString() ?? "", author, HgDate(date), raw, subject);
        }).ToList();
    }

    /// <summary>Mercurial's date as <c>hgdate</c> prints it, "SECONDS OFFSET-WEST"; null when .NET cannot hold it.</summary>
    internal static DateTimeOffset? HgDate(long seconds, long west) =>
        Math.Abs(west) > 1_000_000 ? null : At(seconds, TimeSpan.FromSeconds(-west));

    /// <summary>Mercurial's date, [unix seconds, offset west of UTC in seconds]; null when .NET cannot hold it.</summary>
    internal static DateTimeOffset? HgDate(JsonElement date)
    {
        if (date.ValueKind != JsonValueKind.Array || date.GetArrayLength() != 2
            || date[0].ValueKind != JsonValueKind.Number || date[1].ValueKind != JsonValueKind.Number
            || !date[0].TryGetDouble(out var seconds) || !date[1].TryGetInt64(out var west)
            || double.IsNaN(seconds) || Math.Abs(seconds) > 1e15 || Math.Abs(west) > 1_000_000)
            return null;
        return At((long)seconds, TimeSpan.FromSeconds(-west));
    }
}
