using System.Reflection;

namespace Wharf.Server.OpenSsh;

/// <summary>How to run this same <c>wharf</c> again from a shell: the forced command sshd runs must name it exactly.</summary>
public static class SelfInvocation
{
    /// <summary>The words that start wharf: the apphost alone, or <c>dotnet wharf.dll</c> when run through the muxer.</summary>
    public static IReadOnlyList<string> Words()
    {
        var process = Environment.ProcessPath ?? "wharf";
        var name = Path.GetFileNameWithoutExtension(process);
        return name.Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? [process, Assembly.GetEntryAssembly()?.Location ?? typeof(SelfInvocation).Assembly.Location]
            : [process];
    }

    /// <summary>
    /// Quotes one word for the POSIX shell sshd runs a forced command with: single quotes, with each embedded
    /// single quote closed, escaped and reopened.
    /// </summary>
    public static string ShellQuote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '=' or ':' or '+')
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
