namespace Wharf.Server.Hosting;

/// <summary>
/// The web server's address as people reach it (<c>http://HOST:PORT</c>), for messages sent outside the web
/// pages, such as the SSH banner for an expired key. Set by <c>wharf serve</c> once Kestrel is listening
/// (the port may have been chosen by the system); null when no web server runs (commands, tests).
/// </summary>
public sealed class WebAddress
{
    public string? BaseUrl { get; set; }

    /// <summary>Where keys are added: an absolute URL when the address is known, else the path alone.</summary>
    public string SshKeysPage => (BaseUrl?.TrimEnd('/') ?? "") + "/account/ssh-keys";
}
