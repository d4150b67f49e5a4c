using System.Globalization;
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

    // Everything sshd could grant beyond running the forced command is refused; "restrict" covers the lot on
    // OpenSSH 7.2+, the explicit options say the same to older servers and to people reading the line.
    private const string Restrictions = "no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty,no-user-rc,restrict";

    /// <summary>
    /// The line <c>wharf keys authorized</c> (or <c>keys principals</c>) prints: forced command <c>wharf shell OPTION VALUE
    /// --data DATA</c>, naming this same program, the restrictions, then <paramref name="keyOrPrincipal"/>.
    /// </summary>
    public static string AuthorizedKeysLine(string option, string value, string dataDirectory, string keyOrPrincipal)
    {
        var forced = string.Join(' ', Words().Concat(["shell", option, value, "--data", dataDirectory]).Select(ShellQuote));
        return $"command=\"{forced.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\",{Restrictions} {keyOrPrincipal}";
    }

    public static string AuthorizedKeysLine(string option, long id, string dataDirectory, string keyLine) =>
        AuthorizedKeysLine(option, id.ToString(CultureInfo.InvariantCulture), dataDirectory, keyLine);
}
