namespace Wharf.Interop.Tests.Infrastructure;

/// <summary>
/// The real programs these tests drive. A missing one fails the test with a message that says how it gets
/// installed; it never turns into a skip or a pass.
/// </summary>
public static class Tools
{
    public static string Ssh => Require("ssh", "openssh-client");

    public static string SshKeygen => Require("ssh-keygen", "openssh-client");

    public static string Git => Require("git", "git");

    public static string SshAudit => Require("ssh-audit", "ssh-audit");

    public static string Hg => Require("hg", "mercurial");

    public static string Require(string program, string debianPackage) =>
        Find(program) ?? throw new InvalidOperationException(
            $"`{program}` is not on PATH. scripts/test.sh installs it (Debian package {debianPackage}): " +
            $"run the tests with `bash scripts/test.sh`, or `apt-get install {debianPackage}` first.");

    public static string? Find(string program)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The dotnet host that runs these tests, used to run wharf.dll the same way.</summary>
    public static string Dotnet
    {
        get
        {
            var current = Environment.ProcessPath;
            if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet")
            {
                return current;
            }

            var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(host) && File.Exists(host))
            {
                return host;
            }

            return Find("dotnet") ?? throw new InvalidOperationException("`dotnet` is not on PATH.");
        }
    }
}
