using Wharf.Core;
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
            if (child.Key != "Algorithms" && !Settable.Contains(child.Key))
                throw WharfException.InvalidArgument($"Unknown SSH setting '{Section}:{child.Key}'. Known settings: {string.Join(", ", Settable.Order())}, Algorithms.");
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

        options.HostKeys.Add(SshHostKey.LoadOrCreateEd25519(paths.HostKey));
        // RSA (3072 bits) for clients pinned to RSA host keys; offered after Ed25519.
        options.HostKeys.Add(SshHostKey.LoadOrCreateRsa(paths.RsaHostKey));
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
