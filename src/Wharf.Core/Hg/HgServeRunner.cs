using Wharf.Core.Git;

namespace Wharf.Core.Hg;

/// <summary>
/// Runs <c>hg serve --stdio</c> on a repository that access control already approved for reading.
/// Mercurial's ssh protocol carries pulls and pushes over the same command, so write access is enforced
/// inside hg: below Write, hooks refuse every transaction and every pushkey (bookmarks, phases), the way
/// Mercurial's own contrib/hg-ssh does. Whether a push changed anything is learned from a hook too.
/// </summary>
public sealed class HgServeRunner(HgBinary hg, ProcessLimits? limits = null)
{
    /// <returns>
    /// hg's exit status, whether a transaction was committed (a push that changed the repository), and what the push
    /// changed: the changesets it added per branch (<c>default: 2 new changesets</c>) and the bookmarks it set, moved or
    /// deleted (<c>bookmark 'feature' set to 1a2b3c4d5e6f</c>); null when it changed neither (a phase move).
    /// </returns>
    public async Task<(int Status, bool Changed, string? Detail)> RunAsync(string repositoryPath, string repositoryName, bool canWrite,
        Stream input, Stream output, Stream error, CancellationToken cancellationToken)
    {
        // hg refuses "serve --stdio" with any argument beyond "-R REPO serve --stdio" (a guard against clients
        // smuggling options), so the hooks go in a configuration file of this session's own, named by HGRCPATH.
        // Only a validated repository name and GUID paths are written into it, never client text.
        // A push killed with its server (on this node or another that shares the store) leaves its transaction open, and
        // hg would refuse the next push until someone runs hg recover: roll it back first.
        await hg.RecoverAsync(repositoryPath, cancellationToken);
        var session = Path.Combine(Path.GetTempPath(), "wharf-hg-" + Guid.NewGuid().ToString("N"));
        var marker = session + ".pushed";
        var nodes = session + ".nodes";
        var bookmarks = session + ".bookmarks";
        var rc = session + ".hgrc";
        var refuse = $"echo 'wharf: You have read access to {repositoryName}; pushing needs write access.' >&2; exit 1";
        await File.WriteAllTextAsync(rc, canWrite
            // changegroup runs once per group of changesets a push adds, naming the first and last (hex ids).
            // txnclose-bookmark runs once per bookmark the push changed: old and new node (empty when created or
            // deleted), then the name, last so that whatever it holds stays in its field.
            ? $"[hooks]\ntxnclose.wharf = touch '{marker}'\nchangegroup.wharf = echo \"$HG_NODE $HG_NODE_LAST\" >> '{nodes}'\n"
              + $"txnclose-bookmark.wharf = printf '%s\\t%s\\t%s\\n' \"$HG_OLDNODE\" \"$HG_NODE\" \"$HG_BOOKMARK\" >> '{bookmarks}'\n"
            : $"[hooks]\npretxnopen.wharf = {refuse}\nprepushkey.wharf = {refuse}\n", cancellationToken);
        try
        {
            var psi = hg.StartInfo("-R", repositoryPath, "serve", "--stdio");
            psi.Environment["HGRCPATH"] = rc;
            var status = await GitProcessRunner.RunProcessAsync(hg.Start(psi), input, output, error, cancellationToken,
                (limits ?? ProcessLimits.Default).NoProgressTimeout);
            var changed = File.Exists(marker);
            string? detail = null;
            if (changed)
            {
                var added = File.Exists(nodes)
                    ? await AddedAsync(repositoryPath, await File.ReadAllLinesAsync(nodes, CancellationToken.None), CancellationToken.None)
                    : null;
                var moved = File.Exists(bookmarks) ? BookmarkChanges(await File.ReadAllLinesAsync(bookmarks, CancellationToken.None)) : null;
                detail = string.Join(", ", new[] { added, moved }.Where(d => !string.IsNullOrEmpty(d)));
                if (detail.Length == 0) detail = null;
            }
            return (status, changed, detail);
        }
        finally
        {
            foreach (var file in new[] { rc, marker, nodes, bookmarks })
                try { File.Delete(file); } catch (IOException) { }
        }
    }

    /// <summary>
    /// The changesets between each recorded first and last node, counted per branch: <c>default: 2 new changesets,
    /// stable: 1 new changeset</c>. Only 40-digit hex ids reach the revset; null when there are none or hg fails
    /// (the push still happened; the audit entry then has no detail).
    /// </summary>
    private async Task<string?> AddedAsync(string repositoryPath, IEnumerable<string> groups, CancellationToken cancellationToken)
    {
        var ranges = groups.Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 2 && f.All(IsNode))
            .Select(f => $"{f[0]}:{f[1]}")
            .ToList();
        if (ranges.Count == 0) return null;
        var run = await ChildProcess.RunToEndAsync(hg.Start,
            hg.StartInfo("-R", repositoryPath, "log", "-r", string.Join(" + ", ranges), "-T", "{branch}\\n"), cancellationToken);
        if (run.ExitCode != 0) return null;
        var counts = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .GroupBy(b => b, StringComparer.Ordinal)
            .Select(g => $"{g.Key}: {g.Count()} new changeset{(g.Count() == 1 ? "" : "s")}");
        return string.Join(", ", counts);
    }

    /// <summary>
    /// The bookmark changes the hook recorded, one per line as <c>OLD\tNEW\tNAME</c>: <c>bookmark 'NAME' set to NEW</c>,
    /// <c>moved from OLD to NEW</c> or <c>deleted</c> (12-digit ids, as hg shows them); lines that are not that are skipped.
    /// </summary>
    internal static string? BookmarkChanges(IEnumerable<string> lines)
    {
        var changes = new List<string>();
        foreach (var line in lines)
        {
            if (line.Split('\t', 3) is not [var old, var now, { Length: > 0 } name]) continue;
            if ((old.Length > 0 && !IsNode(old)) || (now.Length > 0 && !IsNode(now))) continue;
            var shown = $"bookmark '{Errors.Display.Printable(name)}'";
            if (old.Length == 0 && now.Length > 0) changes.Add($"{shown} set to {now[..12]}");
            else if (old.Length > 0 && now.Length == 0) changes.Add($"{shown} deleted");
            else if (old.Length > 0 && old != now) changes.Add($"{shown} moved from {old[..12]} to {now[..12]}");
        }
        return changes.Count == 0 ? null : string.Join(", ", changes);
    }

    private static bool IsNode(string text) => text.Length == 40 && text.All(char.IsAsciiHexDigitLower);
}
