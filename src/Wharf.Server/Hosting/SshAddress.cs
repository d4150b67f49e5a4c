using System.Net;
using Wharf.Core;
using Wharf.Core.Errors;
using Wharf.Core.Repositories;

namespace Wharf.Server.Hosting;

/// <summary>
/// The SSH server as people reach it, for the clone URLs the pages show. By default the host is the one the
/// browser used for the page (the name people already type for this server) and the port is the one the SSH
/// listener bound (it may have been chosen by the system). Behind NAT or a port forward (22 outside, 2222
/// inside) the operator says what people type instead: <c>Clone:SshHost</c> and <c>Clone:SshPort</c> in
/// DATA/wharf.json or <c>WHARF_Clone__SshPort=22</c>.
/// </summary>
public sealed class SshAddress
{
    public const string Section = "Clone";

    public SshAddress(string? host = null, int? port = null)
    {
        if (host is not null && Uri.CheckHostName(host.Trim('[', ']')) == UriHostNameType.Unknown)
            throw WharfException.InvalidArgument($"Invalid setting '{Section}:SshHost': {Display.Quote(host)} is not a host name or address.");
        if (port is < 1 or > 65535)
            throw WharfException.InvalidArgument($"Invalid setting '{Section}:SshPort': {port} is not a port (1 to 65535).");
        Host = host;
        Port = port;
    }

    /// <summary>The configured host, or null to use the host of each page's request.</summary>
    public string? Host { get; }

    /// <summary>The configured port, or null to use the bound one.</summary>
    public int? Port { get; }

    /// <summary>Where the SSH listener is bound; set by <c>SshHostedService</c> once it listens, null before (and in commands).</summary>
    public IPEndPoint? Bound { get; set; }

    public static SshAddress Build(IConfiguration? configuration)
    {
        if (configuration is null) return new SshAddress();
        var section = configuration.GetSection(Section);
        var portText = section["SshPort"];
        int? port = null;
        if (!string.IsNullOrWhiteSpace(portText))
            port = int.TryParse(portText, System.Globalization.CultureInfo.InvariantCulture, out var p) ? p
                : throw WharfException.InvalidArgument($"Invalid setting '{Section}:SshPort': {Display.Quote(portText)} is not a port (1 to 65535).");
        var host = section["SshHost"];
        return new SshAddress(string.IsNullOrWhiteSpace(host) ? null : host.Trim(), port);
    }

    /// <summary>The clone URL of <paramref name="repository"/>, as seen from a page served to <paramref name="request"/>.</summary>
    public string CloneUrl(RepositoryInfo repository, HttpRequest request) =>
        CloneUrls.Ssh(repository, Host ?? request.Host.Host, Port ?? Bound?.Port ?? CloneUrls.DefaultSshPort);
}
