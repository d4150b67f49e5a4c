using System.Text.RegularExpressions;

namespace Wharf.Interop.Tests.Infrastructure;

/// <summary>Local git work done the way a user does it: files written, added, committed, pushed.</summary>
public static partial class Workspace
{
    public static async Task WriteFileAsync(string checkout, string relativePath, string text)
    {
        var path = Path.Combine(checkout, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, text);
    }

    /// <summary>Bytes that do not compress, so that packs are as big as the file and flow control gets used.</summary>
    public static async Task WriteRandomFileAsync(string checkout, string relativePath, int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        var path = Path.Combine(checkout, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, bytes);
    }

    /// <summary>git add -A and git commit; returns the new commit's id.</summary>
    public static async Task<string> CommitAllAsync(WharfServer server, TestUser user, string checkout, string message)
    {
        Expect.Succeeded(await server.GitAsync(user, checkout, ["add", "-A"]), server, "git add -A");
        Expect.Succeeded(await server.GitAsync(user, checkout, ["commit", "-q", "-m", message]), server, "git commit");
        return await RevParseAsync(server, user, checkout, "HEAD");
    }

    public static async Task<string> RevParseAsync(WharfServer server, TestUser user, string checkout, string revision)
    {
        var run = await server.GitAsync(user, checkout, ["rev-parse", revision]);
        Expect.Succeeded(run, server, $"git rev-parse {revision}");
        return run.Stdout.Trim();
    }

    public static async Task<string> CurrentBranchAsync(WharfServer server, TestUser user, string checkout)
    {
        var run = await server.GitAsync(user, checkout, ["symbolic-ref", "--short", "HEAD"]);
        Expect.Succeeded(run, server, "git symbolic-ref --short HEAD");
        return run.Stdout.Trim();
    }

    /// <summary>
    /// Gives REPOSITORY one commit as USER (clone, commit, push), so that the branch is the one the server's
    /// HEAD names. Returns the commit id and the branch.
    /// </summary>
    public static async Task<(string Commit, string Branch)> SeedAsync(WharfServer server, TestUser user, string repository)
    {
        var parent = server.NewDirectory("seed");
        Expect.Succeeded(await server.GitAsync(user, parent, ["clone", "-q", server.Url(repository), "checkout"]), server, $"git clone {repository} (seed)");
        var checkout = Path.Combine(parent, "checkout");
        await WriteFileAsync(checkout, "README.md", $"# {repository}\n\nSeeded by {user.Name}.\n");
        var commit = await CommitAllAsync(server, user, checkout, "Seed");
        var branch = await CurrentBranchAsync(server, user, checkout);
        Expect.Succeeded(await server.GitAsync(user, checkout, ["push", "-q", "origin", "HEAD"]), server, $"git push {repository} (seed)");
        return (commit, branch);
    }

    /// <summary>Relative path to content of every file of a checkout outside .git.</summary>
    public static SortedDictionary<string, byte[]> Files(string checkout)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(checkout, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(checkout, path);
            if (relative == ".git" || relative.StartsWith(".git" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                continue;
            }

            files[relative] = File.ReadAllBytes(path);
        }

        return files;
    }

    /// <summary>
    /// What the server itself said on stderr: the lines left after taking out git's and ssh's own boilerplate
    /// ("fatal: Could not read from remote repository.", "Cloning into ...", and so on).
    /// </summary>
    public static IReadOnlyList<string> ServerMessages(string stderr) =>
        stderr.Split('\n')
            .Select(line => line.TrimEnd('\r'))
            .Where(line => line.Trim().Length > 0 && !GitBoilerplate().IsMatch(line))
            .ToList();

    [GeneratedRegex(
        @"^(Cloning into |fatal: Could not read from remote repository\.|Please make sure you have the correct access rights|and the repository exists\.|Warning: Permanently added |fatal: the remote end hung up unexpectedly|error: failed to push some refs to )")]
    private static partial Regex GitBoilerplate();
}
