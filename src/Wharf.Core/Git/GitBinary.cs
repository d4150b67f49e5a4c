using System.Diagnostics;

namespace Wharf.Core.Git;

/// <summary>
/// How Wharf starts git. Every git process gets the server's environment minus every <c>GIT_*</c>
/// variable: an inherited GIT_DIR, GIT_CONFIG_* or GIT_EXEC_PATH would redirect git away from the
/// repository that access control just checked.
/// </summary>
public sealed class GitBinary(string executable = "git")
{
    public string Executable { get; } = executable;

    public ProcessStartInfo StartInfo(params IEnumerable<string> arguments)
    {
        var psi = new ProcessStartInfo(Executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        foreach (var name in psi.Environment.Keys.Where(k => k.StartsWith("GIT_", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(name);
        return psi;
    }

    public Process Start(ProcessStartInfo psi) => ChildProcess.Start(psi, "git");

    /// <summary>
    /// Runs <c>git init --bare</c>, HEAD naming <paramref name="initialBranch"/> (git's own default when null);
    /// throws with git's own message when it fails.
    /// </summary>
    public async Task InitBareAsync(string directory, CancellationToken cancellationToken, string? initialBranch = null)
    {
        string[] arguments = initialBranch is null
            ? ["init", "--bare", "--quiet", directory]
            : ["init", "--bare", "--quiet", "--initial-branch=" + initialBranch, directory];
        var run = await ChildProcess.RunToEndAsync(Start, StartInfo(arguments), cancellationToken);
        if (run.ExitCode != 0)
            throw new InvalidOperationException($"git init --bare failed with exit code {run.ExitCode}: {run.Stderr.Trim()}");
    }

    /// <summary>
    /// Every ref and the object it points at, one per line: compared before and after a push to learn whether
    /// it changed anything (a push of nothing new still runs receive-pack and exits 0). Throws with git's message
    /// when git fails: an empty answer would read as "no refs" and hide the failure.
    /// </summary>
    public async Task<string> RefsAsync(string repository, CancellationToken cancellationToken)
    {
        var run = await ChildProcess.RunToEndAsync(Start, StartInfo("--git-dir", repository, "for-each-ref", "--format=%(objectname) %(refname)"),
            cancellationToken);
        if (run.ExitCode != 0)
            throw new InvalidOperationException($"git for-each-ref in {repository} failed with exit code {run.ExitCode}: {run.Stderr.Trim()}");
        return run.Stdout;
    }

    /// <summary>The branch names in the output of <see cref="RefsAsync"/>.</summary>
    public static IReadOnlyList<string> Branches(string refs) =>
        refs.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', 2))
            .Where(f => f.Length == 2 && f[1].StartsWith(BranchPrefix, StringComparison.Ordinal))
            .Select(f => f[1][BranchPrefix.Length..])
            .ToList();

    private const string BranchPrefix = "refs/heads/";
    private const string TagPrefix = "refs/tags/";

    /// <summary>
    /// What a push changed, from the output of <see cref="RefsAsync"/> before and after it, one ref per item in ref
    /// order: <c>main 1a2b3c4→5d6e7f8</c>, <c>feature new 9abcdef</c>, <c>tag v1.0 new 0123456</c>, <c>old deleted</c>.
    /// </summary>
    public static IReadOnlyList<string> RefChanges(string refsBefore, string refsAfter)
    {
        static Dictionary<string, string> Read(string refs) =>
            refs.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(line => line.Split(' ', 2))
                .Where(f => f.Length == 2)
                .GroupBy(f => f[1], StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.First()[0], StringComparer.Ordinal);
        static string Short(string id) => id.Length > 7 ? id[..7] : id;
        static string Name(string refName) =>
            refName.StartsWith(BranchPrefix, StringComparison.Ordinal) ? refName[BranchPrefix.Length..]
            : refName.StartsWith(TagPrefix, StringComparison.Ordinal) ? "tag " + refName[TagPrefix.Length..]
            : refName;
        var before = Read(refsBefore);
        var after = Read(refsAfter);
        var changes = new List<string>();
        foreach (var name in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            var had = before.TryGetValue(name, out var old);
            var has = after.TryGetValue(name, out var now);
            if (had && has && old == now) continue;
            changes.Add(!had ? $"{Name(name)} new {Short(now!)}" : !has ? $"{Name(name)} deleted" : $"{Name(name)} {Short(old!)}→{Short(now!)}");
        }
        return changes;
    }

    /// <summary>
    /// The branch HEAD names (the repository's default branch, which clones check out), read from the HEAD file as
    /// git does; null when HEAD is detached or missing.
    /// </summary>
    public static string? HeadBranch(string repository)
    {
        string text;
        try { text = File.ReadAllText(Path.Combine(repository, "HEAD")); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        text = text.TrimEnd('\n');
        return text.StartsWith("ref: " + BranchPrefix, StringComparison.Ordinal) ? text[("ref: " + BranchPrefix).Length..] : null;
    }

    /// <summary>Points HEAD at <paramref name="branch"/> with <c>git symbolic-ref</c> (which takes git's lock on HEAD).</summary>
    public async Task SetHeadAsync(string repository, string branch, CancellationToken cancellationToken)
    {
        if (!GitBranchName.IsValid(branch)) throw new ArgumentException($"'{branch}' is not a valid branch name.", nameof(branch));
        var run = await ChildProcess.RunToEndAsync(Start, StartInfo("--git-dir", repository, "symbolic-ref", "HEAD", BranchPrefix + branch), cancellationToken);
        if (run.ExitCode != 0)
            throw new InvalidOperationException($"git symbolic-ref HEAD in {repository} failed with exit code {run.ExitCode}: {run.Stderr.Trim()}");
    }
}
