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

    /// <summary>Quotes one word for the POSIX shell sshd runs a forced command with (<see cref="FrontEndProtocol.ShellQuote"/>).</summary>
    public static string ShellQuote(string word) => FrontEndProtocol.ShellQuote(word);

    /// <summary>The line <c>wharf keys authorized</c> (or <c>keys principals</c>) prints, its forced command naming this same program.</summary>
    public static string AuthorizedKeysLine(string option, string value, string dataDirectory, string keyOrPrincipal) =>
        FrontEndProtocol.AuthorizedKeysLine(Words(), option, value, dataDirectory, keyOrPrincipal);

    public static string AuthorizedKeysLine(string option, long id, string dataDirectory, string keyLine) =>
        AuthorizedKeysLine(option, id.ToString(CultureInfo.InvariantCulture), dataDirectory, keyLine);
}
