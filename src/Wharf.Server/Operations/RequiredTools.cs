namespace Wharf.Server.Operations;

/// <summary>
/// Whether the programs Wharf runs for repositories are on the PATH it was started with: <c>git</c> for git
/// repositories (needed for the node to be ready) and <c>hg</c> for Mercurial ones. Looked up again on each
/// question, so installing one later is noticed without a restart.
/// </summary>
public sealed class RequiredTools(string? path)
{
    public const string GitMissing =
        "wharf: warning: git is not on PATH: git repositories cannot be created, pushed or cloned, and /readyz answers 503 until it is installed.";
    public const string HgMissing =
        "wharf: warning: hg is not on PATH: Mercurial repositories cannot be created, pushed or cloned until it is installed.";

    public bool HasGit => Find("git") is not null;
    public bool HasHg => Find("hg") is not null;

    /// <summary>The full path of an executable file called <paramref name="name"/> in a PATH directory, or null.</summary>
    public string? Find(string name)
    {
        foreach (var dir in (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            try
            {
                if (File.Exists(candidate) && (OperatingSystem.IsWindows()
                    || (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0))
                    return candidate;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // An unreadable PATH entry is skipped, as the shell would.
            }
        }
        return null;
    }
}
