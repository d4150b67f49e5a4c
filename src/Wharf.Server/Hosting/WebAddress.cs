namespace Wharf.Server.Hosting;

/// <summary>
/// The server's addresses as people reach them: the web server (<c>http://HOST:PORT</c>), for messages sent
/// outside the web pages such as the SSH banner for an expired key, and the SSH server, for clone URLs.
/// Set by <c>wharf serve</c> once both are listening (ports may have been chosen by the system); the web
/// address is null when no web server runs (commands, tests).
/// </summary>
public sealed class WebAddress
{
    /// <summary><c>Http:PublicUrl</c> when set, else the first address the web server listens on.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>
    /// <c>Http:PublicUrl</c> (scheme, host and port, no trailing slash), or null to take them from each request (as a proxy
    /// listed in <c>Http:TrustedProxies</c> forwards them). HTTPS clone URLs and the LFS API's addresses use it.
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>The web server's address as people reach it, for a URL built while serving <paramref name="request"/>.</summary>
    public string PublicBase(HttpRequest request) => PublicUrl ?? $"{request.Scheme}://{request.Host.Value}{request.PathBase}";

    /// <summary><c>Ssh:PublicHost</c>, or null to use the host name the web request came in on.</summary>
    public string? SshHost { get; set; }

    /// <summary><c>Ssh:PublicPort</c>, else the port the SSH server is bound to.</summary>
    public int SshPort { get; set; } = 22;

    /// <summary>Where keys are added: an absolute URL when the address is known, else the path alone.</summary>
    public string SshKeysPage => (BaseUrl?.TrimEnd('/') ?? "") + "/account/ssh-keys";
}
