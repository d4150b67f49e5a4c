using System.Net;
using Wharf.Core.Errors;

namespace Wharf.Server.Hosting;

/// <summary>Parses <c>ADDR:PORT</c> for <c>--http</c> and <c>--ssh</c>. Port 0 asks the system for a free port.</summary>
public static class ListenAddress
{
    public static IPEndPoint Parse(string option, string? text)
    {
        // "localhost" is the one name accepted: resolving names would make the bound address depend on DNS.
        var value = text?.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) == true ? "127.0.0.1" + text[9..] : text;
        // IPEndPoint.TryParse takes a bare address too (port 0); a port must be written.
        var hasPort = value is not null && (value.StartsWith('[') ? value.Contains("]:", StringComparison.Ordinal) : value.Count(c => c == ':') == 1);
        if (hasPort && IPEndPoint.TryParse(value!, out var endpoint)) return endpoint;
        throw WharfException.InvalidArgument(
            $"Invalid {option} address {Display.Quote(text)}: expected ADDRESS:PORT such as 127.0.0.1:8080 or [::1]:8080.");
    }
}
