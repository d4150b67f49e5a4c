using Wharf.Core;
using Wharf.Server.Hosting;
using Wharf.Core.Errors;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Server;

namespace Wharf.Server.Ssh;

/// <summary>
/// The SSH server's settings from configuration section <c>Ssh</c> (DATA/wharf.json, or environment
/// variables such as <c>WHARF_Ssh__MaxAuthTries=20</c>), with the host keys from the data directory.
/// Every value is validated before the server starts: a bad setting stops <c>wharf serve</c> with a clear
/// message instead of failing at the first login. Defaults and their precedents: docs/OPERATIONS.md.
/// </summary>
public static class SshSettings
{
    public const string Section = "Ssh";

    public static SshServerOptions Build(IConfiguration configuration, WharfPaths paths)
    {
        var options = new SshServerOptions();
        var section = configuration.GetSection(Section);
        // A misspelt setting would otherwise be silently ignored.
        foreach (var child in section.GetChildren())
        {
            if (child.Key.Equals("MaxUnauthenticatedConnections", StringComparison.OrdinalIgnoreCase))
                throw WharfException.InvalidArgument($"SSH setting '{Section}:{child.Key}' was replaced by '{Section}:MaxStartups', start:rate:full (for example \"256:30:1024\"; one number N is a hard cap of N).");
            if (child.Key != "Algorithms" && !Settable.Contains(child.Key) && !PublicSettings.Contains(child.Key) && !SessionSettings.Names.Contains(child.Key)
                && !FrontDoorSettings.Contains(child.Key) && !UserCertificates.SettingNames.Contains(child.Key))
                throw WharfException.InvalidArgument($"Unknown SSH setting '{Section}:{child.Key}'. Known settings: {string.Join(", ", Settable.Order())}, {string.Join(", ", SessionSettings.Names)}, {string.Join(", ", UserCertificates.SettingNames)}, PublicHost, PublicPort, Listen, TrustedProxies, Algorithms.");
        }
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw WharfException.InvalidArgument($"Invalid SSH setting: {e.Message}");
        }
        var algorithms = section.GetSection("Algorithms");
        options.KeyExchangeAlgorithms = List(algorithms, "KeyExchange");
        options.Ciphers = List(algorithms, "Ciphers");
        options.Macs = List(algorithms, "Macs");
        options.Compression = List(algorithms, "Compression");

        // TCP proxies (HAProxy send-proxy-v2, a cloud load balancer) whose PROXY protocol header carries the client's address.
        var proxies = TrustedProxies.Parse(configuration, TrustedProxies.SshKey);
        if (!proxies.IsEmpty) options.ProxyProtocol.IsTrustedSender = proxies.Contains;

        // The active keys sign; announced ones are sent after login for clients to learn (wharf admin host-key).
        var ring = HostKeyRing.Load(paths);
        options.HostKeys.AddRange(ring.Active);
        options.AnnouncedHostKeys.AddRange(ring.Announced);
        try
        {
            options.Validate();
        }
        catch (InvalidOperationException e)
        {
            throw WharfException.InvalidArgument(e.Message);
        }
        return options;
    }

    /// <summary>
    /// Settings of Wharf's, not of the SSH library: the host name and port people put in clone URLs, when they
    /// differ from the listening address (a load balancer, a port forward from 22). Both optional.
    /// </summary>
    private static readonly HashSet<string> PublicSettings = new(["PublicHost", "PublicPort"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Settings of Wharf's listener: <c>Listen</c> (addresses) and <c>TrustedProxies</c> (who may send a PROXY protocol header).</summary>
    private static readonly HashSet<string> FrontDoorSettings = new(["Listen", "TrustedProxies"], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The addresses to listen on: <paramref name="option"/> (<c>--ssh</c>) when given, else <c>Ssh:Listen</c>, else
    /// <paramref name="fallback"/>. Each is one address or several separated by <c>;</c> or <c>,</c>
    /// (<c>0.0.0.0:22;[::]:22;0.0.0.0:443</c>); <c>Ssh:Listen</c> may also be a JSON array. The first is the primary.
    /// </summary>
    public static IReadOnlyList<System.Net.IPEndPoint> Listen(IConfiguration configuration, string? option, string fallback)
    {
        var section = configuration.GetSection(Section).GetSection("Listen");
        var (name, values) = option is not null ? ("--ssh", [option])
            : section.Value is { } single ? ($"{Section}:Listen", [single])
            : section.GetChildren().Any() ? ($"{Section}:Listen", section.GetChildren().Select(c => c.Value ?? "").ToArray())
            : ("--ssh", new[] { fallback });
        var entries = values.SelectMany(v => v.Split([';', ','], StringSplitOptions.TrimEntries)).ToList();
        if (entries.Count == 0 || entries.Any(e => e.Length == 0))
            throw WharfException.InvalidArgument($"Invalid {name} {Display.Quote(string.Join(";", values))}: expected ADDRESS:PORT, or several separated by ';' such as 0.0.0.0:22;[::]:22;0.0.0.0:443.");
        var endpoints = entries.Select(e => Hosting.ListenAddress.Parse(name, e)).ToList();
        var twice = endpoints.GroupBy(e => e).FirstOrDefault(g => g.Count() > 1 && g.Key.Port != 0);
        if (twice is not null) throw WharfException.InvalidArgument($"Invalid {name}: {twice.Key} is listed twice.");
        return endpoints;
    }

    /// <summary>Reads <c>Ssh:PublicHost</c> and <c>Ssh:PublicPort</c>; the caller falls back to the request's host and the bound port.</summary>
    public static (string? Host, int? Port) Public(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var host = section["PublicHost"];
        if (host is not null && (host.Length > 253 || Uri.CheckHostName(host) == UriHostNameType.Unknown))
            throw WharfException.InvalidArgument($"Invalid SSH setting '{Section}:PublicHost' {Display.Quote(host)}: expected a host name or an IP address.");
        int? port = null;
        if (section["PublicPort"] is { } text)
            port = int.TryParse(text, out var p) && p is >= 1 and <= 65535
                ? p
                : throw WharfException.InvalidArgument($"Invalid SSH setting '{Section}:PublicPort' {Display.Quote(text)}: expected a port from 1 to 65535.");
        return (host, port);
    }

    private static readonly HashSet<string> Settable = new(
        typeof(SshServerOptions).GetProperties().Where(p => p.CanWrite && p.PropertyType != typeof(List<string>)).Select(p => p.Name),
        StringComparer.OrdinalIgnoreCase);

    private static List<string>? List(IConfigurationSection algorithms, string name)
    {
        var s = algorithms.GetSection(name);
        if (!s.Exists()) return null;
        // Both a JSON array and one comma-separated string (handy in an environment variable) are accepted.
        var values = s.Value is { } single ? single.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : s.Get<string[]>() ?? [];
        return [.. values];
    }
}
