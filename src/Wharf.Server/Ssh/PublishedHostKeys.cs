using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Wharf.Ssh.Keys;

namespace Wharf.Server.Ssh;

/// <summary>One host key as people check it: the key type, its size, the SHA256 fingerprint and the public key line.</summary>
public sealed record PublishedHostKey(string KeyType, string Family, int Bits, string FingerprintSha256, string PublicKeyLine, string State = "active")
{
    /// <summary>Announced keys are published and sent to clients after login, but do not sign yet (<see cref="HostKeyState"/>).</summary>
    public bool IsActive => State == "active";

    /// <summary>The fingerprint without its <c>SHA256:</c> prefix, as GitHub's <c>/meta</c> gives it.</summary>
    public string FingerprintBase64 => FingerprintSha256["SHA256:".Length..];
}

/// <summary>
/// The SSH host keys this server presents, in the order it offers them, for everything that tells people what
/// they are: the <c>/host-keys</c> page, <c>GET /meta</c>, the key set-up guide and <c>ssh git@HOST host_key_info</c>.
/// Built from the very key objects the SSH server signs with (<see cref="SshSettings.Build"/>), so what is
/// published is what <c>ssh-keyscan</c> sees.
/// </summary>
public sealed class PublishedHostKeys(IEnumerable<SshHostKey> keys, IEnumerable<SshHostKey>? announced = null)
{
    /// <summary>The keys that sign, then the announced ones (the next keys of a rotation).</summary>
    public IReadOnlyList<PublishedHostKey> Keys { get; } =
    [
        .. keys.Select(k => Published(k, "active")),
        .. (announced ?? []).Select(k => Published(k, "announced")),
    ];

    private static PublishedHostKey Published(SshHostKey k, string state) => new(k.PublicKey.KeyType, k.PublicKey.Family, k.PublicKey.Bits,
        k.PublicKey.FingerprintSha256, k.PublicKey.ToOpenSshLine(includeComment: false), state);

    /// <summary>
    /// The host as <c>known_hosts</c> names it (sshd(8), SSH_KNOWN_HOSTS FILE FORMAT): the bare host on port 22,
    /// else <c>[host]:port</c>; an IPv6 literal is written without brackets of its own inside that form.
    /// </summary>
    public static string KnownHostsName(string host, int port)
    {
        var bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        return port == 22 ? bare : $"[{bare}]:{port.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>One <c>known_hosts</c> line per key, for the host and port the clone URLs use.</summary>
    public IReadOnlyList<string> KnownHostsLines(string host, int port) =>
        [.. Keys.Select(k => $"{KnownHostsName(host, port)} {k.PublicKeyLine}")];

    /// <summary>
    /// <c>GET /meta</c> in GitHub's shape for the keys that sign: <c>ssh_key_fingerprints</c> maps <c>SHA256_FAMILY</c> to
    /// the unprefixed base64 fingerprint, and <c>ssh_keys</c> lists the public key lines without comments. Wharf adds
    /// <c>ssh_host_keys</c>: every key, announced ones too, with its state.
    /// </summary>
    public JsonObject Meta()
    {
        var fingerprints = new JsonObject();
        foreach (var k in Keys.Where(k => k.IsActive)) fingerprints["SHA256_" + k.Family] = k.FingerprintBase64;
        return new JsonObject
        {
            ["ssh_key_fingerprints"] = fingerprints,
            ["ssh_keys"] = new JsonArray([.. Keys.Where(k => k.IsActive).Select(k => (JsonNode?)JsonValue.Create(k.PublicKeyLine))]),
            ["ssh_host_keys"] = new JsonArray([.. Keys.Select(k => (JsonNode)new JsonObject
            {
                ["key"] = k.PublicKeyLine,
                ["fingerprint"] = k.FingerprintSha256,
                ["state"] = k.State,
            })]),
        };
    }

    // Base64 keeps its '+' and '/' as GitHub writes them, not as \u002B; the values hold nothing else to escape.
    private static readonly JsonSerializerOptions MetaFormat = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><see cref="Meta"/> as the response body: indented, base64 unescaped.</summary>
    public string MetaJson() => Meta().ToJsonString(MetaFormat);

    /// <summary>What <c>ssh git@HOST host_key_info</c> prints: the fingerprints as <c>ssh-keygen -l</c> shows them, then known_hosts lines.</summary>
    public string Info(string host, int port)
    {
        var text = new StringBuilder();
        text.Append("Host keys of ").Append(KnownHostsName(host, port)).Append(" (compare with the fingerprint ssh shows at the first connection):\n\n");
        foreach (var k in Keys)
            text.Append(k.Bits.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(k.FingerprintSha256).Append(" (").Append(k.Family).Append(')')
                .Append(k.IsActive ? "" : " announced: the next key, not in use yet").Append('\n');
        text.Append("\nLines for ~/.ssh/known_hosts:\n\n");
        foreach (var line in KnownHostsLines(host, port)) text.Append(line).Append('\n');
        return text.ToString();
    }

    /// <summary><c>host_key_info --json</c>: the host as known_hosts names it, each key, and the known_hosts lines.</summary>
    public JsonObject InfoJson(string host, int port) => new()
    {
        ["host"] = KnownHostsName(host, port),
        ["keys"] = new JsonArray([.. Keys.Select(k => (JsonNode)new JsonObject
        {
            ["type"] = k.KeyType,
            ["bits"] = k.Bits,
            ["fingerprint"] = k.FingerprintSha256,
            ["public_key"] = k.PublicKeyLine,
            ["state"] = k.State,
        })]),
        ["known_hosts"] = new JsonArray([.. KnownHostsLines(host, port).Select(l => (JsonNode?)JsonValue.Create(l))]),
    };
}
