using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Wharf.Server.Ssh;
using Wharf.Ssh.Keys;

namespace Wharf.Server.Tests;

/// <summary><c>wharf admin host-key add|promote|retire|list|sshfp</c>: the host key ring in the data directory, as serve reads it.</summary>
public sealed class HostKeyCommandTests : IDisposable
{
    private readonly TestData _data = new();

    public void Dispose() => _data.Dispose();

    private string StateFile => Path.Combine(_data.Paths.DataDirectory, HostKeyRing.StateFileName);

    private async Task<List<string[]>> ListAsync()
    {
        var listed = await _data.RunAsync("admin", "host-key", "list");
        Assert.Equal((0, ""), (listed.ExitCode, listed.Error));
        return [.. listed.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t'))];
    }

    private async Task<string> AddAsync(string type = "ed25519")
    {
        var added = await _data.RunAsync("admin", "host-key", "add", type);
        Assert.Equal((0, ""), (added.ExitCode, added.Error));
        return added.Out.Split(' ')[4];
    }

    /// <summary>What serve signs with and announces, read through the same settings code serve uses.</summary>
    private (string Signing, string Announced) Serve()
    {
        var options = SshSettings.Build(new ConfigurationBuilder().Build(), _data.Paths);
        return (string.Join(' ', options.HostKeys.Select(k => k.PublicKey.FingerprintSha256)),
            string.Join(' ', options.AnnouncedHostKeys.Select(k => k.PublicKey.FingerprintSha256)));
    }

    [Fact]
    public async Task AFreshDataDirectoryHasTheTwoKeysWharfAlwaysMadeBothActive()
    {
        var keys = await ListAsync();
        Assert.Equal([("active", "ssh-ed25519", "256", "ssh_host_ed25519_key"), ("active", "ssh-rsa", "3072", "ssh_host_rsa_key")],
            keys.Select(k => (k[0], k[1], k[2], k[4])));
        Assert.Equal(SshHostKey.Load(_data.Paths.HostKey).PublicKey.FingerprintSha256, keys[0][3]);
        Assert.False(File.Exists(StateFile)); // nothing is written until something changes
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task AnAddedKeyIsAnnouncedButDoesNotSign()
    {
        var before = await ListAsync();
        var added = await _data.RunAsync("admin", "host-key", "add", "ed25519");
        var fingerprint = added.Out.Split(' ')[4];
        Assert.Equal((0, $"Added host key 256 {fingerprint} (ED25519), announced. Restart wharf serve (every node) for the change to take effect.\n"
            + $"Once clients have learned it: wharf admin host-key promote {fingerprint}\n", ""), (added.ExitCode, added.Out, added.Error));

        var keys = await ListAsync();
        Assert.Equal(("announced", "ssh-ed25519", fingerprint), (keys[2][0], keys[2][1], keys[2][3]));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_data.Paths.DataDirectory, keys[2][4])));
        Assert.Equal(($"{before[0][3]} {before[1][3]}", fingerprint), Serve());
    }

    [Fact]
    public async Task PromoteMakesTheKeySignAndTheOldOneOfItsTypeAnnounced()
    {
        var old = (await ListAsync())[0][3];
        var rsa = (await ListAsync())[1][3];
        var next = await AddAsync();

        var promoted = await _data.RunAsync("admin", "host-key", "promote", next);
        Assert.Equal((0, $"Host key 256 {next} (ED25519) is active.\n256 {old} (ED25519) is announced; retire it once nobody needs it.\n"
            + "Restart wharf serve (every node) for the change to take effect.\n", ""), (promoted.ExitCode, promoted.Out, promoted.Error));
        Assert.Equal(($"{next} {rsa}", old), Serve());

        var retired = await _data.RunAsync("admin", "host-key", "retire", old);
        Assert.Equal((0, $"Retired host key 256 {old} (ED25519). Restart wharf serve (every node) for the change to take effect.\n", ""),
            (retired.ExitCode, retired.Out, retired.Error));
        Assert.Equal(($"{next} {rsa}", ""), Serve());
        Assert.False(File.Exists(_data.Paths.HostKey)); // the private key is gone
    }

    [Fact]
    public async Task PromoteWithRetireOldDeletesTheKeyItReplaces()
    {
        var rsa = (await ListAsync())[1][3];
        var next = await AddAsync("rsa-3072");

        var promoted = await _data.RunAsync("admin", "host-key", "promote", next["SHA256:".Length..], "--retire-old");
        Assert.Equal(0, promoted.ExitCode);
        Assert.Contains($"Retired 3072 {rsa} (RSA).", promoted.Out, StringComparison.Ordinal);
        Assert.EndsWith(" " + next, Serve().Signing, StringComparison.Ordinal);
        Assert.Equal("", Serve().Announced);
        Assert.False(File.Exists(_data.Paths.RsaHostKey));
    }

    [Theory]
    [InlineData("ecdsa-p256", "wharf: ECDSA host keys are not supported: Wharf's SSH server signs with Ed25519 and RSA. Types: ed25519, rsa-3072, rsa-4096.\n")]
    [InlineData("dsa", "wharf: Unknown host key type 'dsa'. Types: ed25519, rsa-3072, rsa-4096.\n")]
    public async Task AnUnsupportedTypeIsRefusedAndNothingIsWritten(string type, string message)
    {
        var refused = await _data.RunAsync("admin", "host-key", "add", type);
        Assert.Equal((2, "", message), (refused.ExitCode, refused.Out, refused.Error));
        Assert.False(File.Exists(StateFile));
        Assert.DoesNotContain(Directory.GetFiles(_data.Paths.DataDirectory), f => Path.GetFileName(f).StartsWith("ssh_host_ed25519_key-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheLastActiveKeyCannotBeRetiredAndAnUnknownFingerprintIsNotFound()
    {
        var keys = await ListAsync();
        Assert.Equal(0, (await _data.RunAsync("admin", "host-key", "retire", keys[1][3])).ExitCode); // RSA goes; Ed25519 still signs

        var last = await _data.RunAsync("admin", "host-key", "retire", keys[0][3]);
        Assert.Equal((2, $"wharf: The host key {keys[0][3]} is the only active one: add and promote another first.\n"), (last.ExitCode, last.Error));
        Assert.True(File.Exists(_data.Paths.HostKey));

        var unknown = await _data.RunAsync("admin", "host-key", "promote", "SHA256:nope");
        Assert.Equal((3, "wharf: No host key has the fingerprint 'SHA256:nope'; 'wharf admin host-key list' shows them.\n"), (unknown.ExitCode, unknown.Error));
        Assert.Equal(keys[0][3], Serve().Signing);
    }

    [Fact]
    public async Task SshfpRecordsAreThoseSshKeygenWritesWithSha256()
    {
        var next = await AddAsync();
        var records = await _data.RunAsync("admin", "host-key", "sshfp", "--host", "git.example.org");
        Assert.Equal(0, records.ExitCode);

        var expected = new List<string>();
        foreach (var key in (await ListAsync()).Select(k => SshHostKey.Load(Path.Combine(_data.Paths.DataDirectory, k[4]))))
        {
            var pub = Path.Combine(_data.Paths.DataDirectory, "check.pub");
            await File.WriteAllTextAsync(pub, key.PublicKey.ToOpenSshLine(false) + "\n");
            var keygen = Process.Start(new ProcessStartInfo("ssh-keygen", ["-r", "git.example.org", "-f", pub]) { RedirectStandardOutput = true })!;
            var output = await keygen.StandardOutput.ReadToEndAsync();
            await keygen.WaitForExitAsync();
            // ssh-keygen writes SHA-1 (type 1) and SHA-256 (type 2) records; Wharf only SHA-256.
            expected.AddRange(output.Split('\n').Where(l => l.Split(' ') is [_, "IN", "SSHFP", _, "2", _]));
        }
        Assert.Equal(3, expected.Count);
        Assert.Equal(string.Concat(expected.Select(l => l + "\n")), records.Out);
        Assert.Contains(" IN SSHFP 4 2 ", records.Out, StringComparison.Ordinal);
        Assert.Contains(" IN SSHFP 1 2 ", records.Out, StringComparison.Ordinal);

        var bad = await _data.RunAsync("admin", "host-key", "sshfp", "--host", "not a host");
        Assert.Equal((2, "", "wharf: Invalid host name 'not a host': SSHFP records belong to a DNS name such as git.example.org.\n"), (bad.ExitCode, bad.Out, bad.Error));
    }

    [Fact]
    public async Task ServePublishesTheAnnouncedKeyAsSuchOnTheHostKeysPageAndMeta()
    {
        var active = (await ListAsync())[0][3];
        var next = await AddAsync();
        await using var serve = await InProcessServe.StartAsync(_data);
        using var http = new HttpClient { BaseAddress = new Uri(serve.HttpBaseUrl) };

        var html = await http.GetStringAsync("/host-keys");
        var row = System.Text.RegularExpressions.Regex.Match(html, "<tr id=\"host-key-ed25519-announced-1\">(.*?)</tr>", System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.True(row.Success, "the page has a row for the announced key");
        Assert.Contains(next, System.Net.WebUtility.HtmlDecode(row.Groups[1].Value), StringComparison.Ordinal);
        Assert.Contains("announced: the next key, not in use yet", row.Groups[1].Value, StringComparison.Ordinal);

        var meta = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync("/meta"))!;
        Assert.Equal(active["SHA256:".Length..], (string)meta["ssh_key_fingerprints"]!["SHA256_ED25519"]!);
        Assert.Equal(2, meta["ssh_keys"]!.AsArray().Count);
        Assert.Equal("announced", (string)meta["ssh_host_keys"]!.AsArray().Single(k => (string)k!["fingerprint"]! == next)!["state"]!);
    }
}
