using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// The host keys Wharf publishes (<c>GET /meta</c>, the <c>/host-keys</c> page, <c>ssh git@HOST host_key_info</c>)
/// are the ones OpenSSH's own tools see on the SSH port: <c>ssh-keyscan</c> for the keys, <c>ssh-keygen -l</c>
/// for their fingerprints.
/// </summary>
public sealed partial class HostKeyPublishingTests(WharfServer server) : IClassFixture<WharfServer>
{
    private string HostName => $"[{server.Host}]:{server.SshPort.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>What ssh-keyscan prints for the server: its known_hosts lines (sorted), and ssh-keygen -l's fingerprint lines for them.</summary>
    private async Task<(List<string> Lines, List<(int Bits, string Fingerprint, string Family)> Fingerprints)> ScanAsync()
    {
        var scan = await ProcessRunner.RunAsync(Tools.Require("ssh-keyscan", "openssh-client"),
            ["-p", server.SshPort.ToString(CultureInfo.InvariantCulture), server.Host], server.Home);
        Expect.Succeeded(scan, server, "ssh-keyscan");
        var lines = scan.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).Order(StringComparer.Ordinal).ToList();
        Expect.That(lines.Count == 2, $"ssh-keyscan should see the Ed25519 and RSA host keys, saw {lines.Count}", scan, server);

        var file = Path.Combine(server.Root, $"keyscan-{Guid.NewGuid():N}");
        await File.WriteAllLinesAsync(file, lines);
        var listed = await ProcessRunner.RunAsync(Tools.SshKeygen, ["-l", "-f", file], server.Home);
        Expect.Succeeded(listed, server, "ssh-keygen -l on the scanned keys");
        var fingerprints = new List<(int, string, string)>();
        foreach (var line in listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "256 SHA256:abc... [127.0.0.1]:PORT (ED25519)"
            var m = KeygenLine().Match(line);
            Expect.That(m.Success, $"unexpected ssh-keygen -l line {line}", listed, server);
            fingerprints.Add((int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m.Groups[2].Value, m.Groups[3].Value));
        }
        return (lines, fingerprints);
    }

    [GeneratedRegex(@"^(\d+) (SHA256:\S+) \S+ \(([A-Z0-9-]+)\)$")]
    private static partial Regex KeygenLine();

    [Fact]
    public async Task MetaGivesTheKeysAndFingerprintsSshKeyscanSees()
    {
        var (lines, fingerprints) = await ScanAsync();
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(server.HttpAddress, "/meta"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var meta = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        // GitHub's two members, and Wharf's list of every key with its state.
        Assert.Equal(["ssh_host_keys", "ssh_key_fingerprints", "ssh_keys"], meta.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        var keys = meta.RootElement.GetProperty("ssh_keys").EnumerateArray().Select(k => k.GetString()!).ToList();
        Assert.Equal(lines.Select(l => l[(HostName.Length + 1)..]).Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
        // Ed25519 first, as the server offers it.
        Assert.StartsWith("ssh-ed25519 AAAA", keys[0], StringComparison.Ordinal);

        var published = meta.RootElement.GetProperty("ssh_key_fingerprints").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        // Values are the base64 alone, without OpenSSH's "SHA256:" prefix.
        Assert.Equal(fingerprints.ToDictionary(f => "SHA256_" + f.Family, f => (string?)f.Fingerprint["SHA256:".Length..]), published);
        Assert.Equal(["SHA256_ED25519", "SHA256_RSA"], published.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task HostKeysPageShowsTheScannedFingerprintsAndKnownHostsLines()
    {
        var (lines, fingerprints) = await ScanAsync();
        using var http = new HttpClient();
        var html = await http.GetStringAsync(new Uri(server.HttpAddress, "/host-keys"));

        var block = Regex.Match(html, "<pre id=\"known-hosts\"[^>]*>([^<]*)</pre>");
        Assert.True(block.Success, "the page has a known_hosts block");
        Assert.Equal(lines, WebUtility.HtmlDecode(block.Groups[1].Value).Split('\n').Order(StringComparer.Ordinal));
        foreach (var (bits, fingerprint, family) in fingerprints)
        {
            var row = Regex.Match(html, $"<tr id=\"host-key-{family.ToLowerInvariant()}\">(.*?)</tr>", RegexOptions.Singleline);
            Assert.True(row.Success, $"the page has a row for {family}");
            Assert.Contains($"{bits} bits", row.Groups[1].Value, StringComparison.Ordinal);
            Assert.Contains($"<code class=\"host-key-fingerprint\">{fingerprint}</code>", WebUtility.HtmlDecode(row.Groups[1].Value), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task HostKeyInfoOverSshPrintsTheScannedFingerprintsAndKnownHostsLines()
    {
        var (lines, fingerprints) = await ScanAsync();

        var run = await server.SshAsync(server.Alice.Key, [], "host_key_info");

        Expect.ExitCode(0, run, server, "ssh git@host host_key_info");
        var expected = $"Host keys of {HostName} (compare with the fingerprint ssh shows at the first connection):\n\n"
            + string.Concat(fingerprints.Select(f => $"{f.Bits} {f.Fingerprint} ({f.Family})\n"))
            + "\nLines for ~/.ssh/known_hosts:\n\n"
            + string.Concat(lines.Select(l => l + "\n"));
        // ssh-keyscan's order is its own; compare the lines of each part as sets by sorting both.
        Expect.StdoutIs(SortParts(expected), run with { Stdout = SortParts(run.Stdout) }, server, "ssh git@host host_key_info");
    }

    [Theory]
    [InlineData("host_key_info now")]
    [InlineData("host_key_info ")]
    [InlineData("HOST_KEY_INFO")]
    public async Task OnlyTheExactCommandIsHostKeyInfo(string command)
    {
        var run = await server.SshAsync(server.Alice.Key, [], command);

        Expect.Failed(run, server, $"ssh git@host '{command}'");
        Expect.StdoutIs("", run, server, $"ssh git@host '{command}' prints no host keys");
        Expect.StderrContains($"wharf: Unknown command '{command}'. Try '{SshSessionTests.HelpCommand(server)}'.\n", run, server, $"ssh git@host '{command}'");
    }

    /// <summary>The text with the lines inside each blank-line separated part sorted.</summary>
    private static string SortParts(string text) =>
        string.Join("\n\n", text.Split("\n\n").Select(part => string.Join('\n', part.Split('\n').Order(StringComparer.Ordinal))));
}
