namespace Wharf.Server.Hosting;

/// <summary>
/// The server's addresses as people reach them: the web server (<c>http://HOST:PORT</c>), for messages sent
/// outside the web pages such as the SSH banner for an expired key, and the SSH server, for clone URLs.
/// Set by <c>wharf serve</c> once both are listening (ports may have been chosen by the system); the web
/// address is null when no web server runs (commands, tests).
/// </summary>
public sealed class WebAddress
{
    public string? BaseUrl { get; set; }

    /// <summary><c>Ssh:PublicHost</c>, or null to use the host name the web request came in on.</summary>
    public string? SshHost { get; set; }

    /// <summary><c>Ssh:PublicPort</c>, else the port the SSH server is bound to.</summary>
    public int SshPort { get; set; } = 22;

    /// <summary>Where keys are added: an absolute URL when the address is known, else the path alone.</summary>
    public string SshKeysPage => (BaseUrl?.TrimEnd('/') ?? "") + "/account/ssh-keys";
}
