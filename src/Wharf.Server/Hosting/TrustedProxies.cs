using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Wharf.Core.Errors;

namespace Wharf.Server.Hosting;

/// <summary>
/// <c>Http:TrustedProxies</c>: the reverse proxies (addresses, or CIDR ranges such as <c>10.0.0.0/8</c>) whose
/// <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> Wharf believes. A request from one of them is taken to come
/// from the client address and with the scheme the proxy names; from anywhere else those headers are ignored,
/// since anyone can send them. Empty by default: nothing is believed. A JSON array, or one string separated by
/// commas (for the environment: <c>WHARF_Http__TrustedProxies=127.0.0.1,::1</c>). <c>Ssh:TrustedProxies</c> is read the
/// same way and names the TCP proxies whose PROXY protocol header the SSH listener reads (docs/OPERATIONS.md).
/// </summary>
public sealed record TrustedProxies(IReadOnlyList<IPAddress> Addresses, IReadOnlyList<System.Net.IPNetwork> Networks)
{
    public const string Key = "Http:TrustedProxies";
    public const string SshKey = "Ssh:TrustedProxies";

    public bool IsEmpty => Addresses.Count == 0 && Networks.Count == 0;

    public static TrustedProxies Parse(IConfiguration configuration, string key = Key)
    {
        var section = configuration.GetSection(key);
        var entries = (section.Value is { } single ? [single] : section.GetChildren().Select(c => c.Value ?? ""))
            .SelectMany(v => v.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var addresses = new List<IPAddress>();
        var networks = new List<System.Net.IPNetwork>();
        foreach (var entry in entries)
        {
            if (entry.Contains('/', StringComparison.Ordinal) && System.Net.IPNetwork.TryParse(entry, out var network)) networks.Add(network);
            else if (!entry.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(entry, out var address)) addresses.Add(address);
            else throw WharfException.InvalidArgument(
                $"Invalid setting '{key}': '{entry}' is not an IP address or a CIDR range (for example 127.0.0.1, ::1 or 10.0.0.0/8).");
        }
        return new TrustedProxies(addresses, networks);
    }

    /// <summary>Whether <paramref name="address"/> is one of these proxies; an IPv4 peer on a dual-stack socket counts as IPv4.</summary>
    public bool Contains(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return Addresses.Any(a => a.Equals(address) || (a.IsIPv4MappedToIPv6 && a.MapToIPv4().Equals(address)))
            || Networks.Any(n => n.Contains(address));
    }

    /// <summary>ASP.NET's forwarded-headers options trusting exactly these proxies (its loopback default cleared).</summary>
    public void Configure(ForwardedHeadersOptions options)
    {
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var a in Addresses)
        {
            options.KnownProxies.Add(a);
            // A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d.
            if (a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) options.KnownProxies.Add(a.MapToIPv6());
        }
        foreach (var n in Networks) options.KnownIPNetworks.Add(n);
        // A chain of trusted proxies is walked back to the first address that is not one of them: the client.
        options.ForwardLimit = null;
    }
}
