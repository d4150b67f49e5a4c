using System.Globalization;
using System.Text.Json;
using Wharf.Core.Git;
using Wharf.Core.Hg;

namespace Wharf.Core.Repositories;

/// <summary>One commit or changeset as the repository page lists it.</summary>
public sealed record CommitSummary(string Id, string Author, DateTimeOffset When, string Subject)
{
    public string ShortId => Id.Length > 12 ? Id[..12] : Id;
}

/// <summary>The latest commits (git: of HEAD's branch, else of every ref) or changesets (Mercurial), read from the real repository.</summary>
public sealed class RepositoryHistory(GitBinary git, HgBinary hg)
{
    public const int DefaultCount = 10;

    public Task<IReadOnlyList<CommitSummary>> LatestAsync(RepositoryInfo repository, int count, CancellationToken cancellationToken) =>
        repository.Scm == Scm.Hg ? HgAsync(repository.Path, count, cancellationToken) : GitAsync(repository.Path, count, cancellationToken);

    private async Task<IReadOnlyList<CommitSummary>> GitAsync(string path, int count, CancellationToken cancellationToken)
    {
        // Unit separator between fields, record separator between commits: subjects may hold anything else.
        string[] log = ["--git-dir", path, "log", "-n", count.ToString(CultureInfo.InvariantCulture), "--format=%H%x1f%an%x1f%aI%x1f%s%x1e"];
        var run = await ChildProcess.RunToEndAsync(git.Start, git.StartInfo([.. log, "HEAD", "--"]), cancellationToken);
        // HEAD names a branch nobody pushed (main, while the push made master): show every ref's history instead.
        if (run.ExitCode != 0) run = await ChildProcess.RunToEndAsync(git.Start, git.StartInfo([.. log, "--all", "--date-order"]), cancellationToken);
        if (run.ExitCode != 0) return [];
        return run.Stdout.Split('\x1e', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(r => r.Split('\x1f'))
            .Where(f => f.Length == 4)
            .Select(f => new CommitSummary(f[0], f[1], DateTimeOffset.Parse(f[2], CultureInfo.InvariantCulture), f[3]))
            .ToList();
    }

    private async Task<IReadOnlyList<CommitSummary>> HgAsync(string path, int count, CancellationToken cancellationToken)
    {
        var run = await ChildProcess.RunToEndAsync(hg.Start,
            hg.StartInfo("-R", path, "log", "-l", count.ToString(CultureInfo.InvariantCulture), "-T", "json"), cancellationToken);
        if (run.ExitCode != 0 || string.IsNullOrWhiteSpace(run.Stdout)) return [];
        using var json = JsonDocument.Parse(run.Stdout);
        return json.RootElement.EnumerateArray().Select(c =>
        {
            var date = c.GetProperty("date");
            // Mercurial's date is [unix seconds, offset west of UTC in seconds].
            var when = DateTimeOffset.FromUnixTimeSeconds((long)date[0].GetDouble()).ToOffset(TimeSpan.FromSeconds(-date[1].GetInt32()));
            var user = c.GetProperty("user").GetString() ?? "";
            var author = user.IndexOf('<') is var lt and > 0 ? user[..lt].Trim() : user;
            var subject = (c.GetProperty("desc").GetString() ?? "").Split('\n')[0];
            return new CommitSummary(c.GetProperty("node").GetString() ?? "", author, when, subject);
        }).ToList();
    }
}
