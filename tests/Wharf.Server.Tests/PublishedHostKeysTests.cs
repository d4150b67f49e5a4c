using Wharf.Server.Ssh;
using Wharf.Ssh.Keys;

namespace Wharf.Server.Tests;

/// <summary>How the host keys are written for known_hosts and /meta, for hosts and ports a running test server never has.</summary>
public sealed class PublishedHostKeysTests
{
    [Theory]
    [InlineData("git.example.org", 22, "git.example.org")]
    [InlineData("git.example.org", 2222, "[git.example.org]:2222")]
    [InlineData("::1", 2222, "[::1]:2222")]
    [InlineData("[::1]", 2222, "[::1]:2222")]
    [InlineData("[2001:db8::1]", 22, "2001:db8::1")]
    public void KnownHostsNameBracketsOnlyOffPort22(string host, int port, string expected) =>
        Assert.Equal(expected, PublishedHostKeys.KnownHostsName(host, port));

    [Fact]
    public void OnPort22TheLinesNameTheBareHostAndMetaKeepsTheServersOrder()
    {
        // Generated until one has a '+' or '/' in its base64, which a default JSON writer would escape.
        var ed25519 = SshHostKey.GenerateEd25519();
        while (!ed25519.PublicKey.ToOpenSshLine(false).Contains('+', StringComparison.Ordinal) && !ed25519.PublicKey.ToOpenSshLine(false).Contains('/', StringComparison.Ordinal))
            ed25519 = SshHostKey.GenerateEd25519();
        var keys = new PublishedHostKeys([ed25519]);

        Assert.Equal([$"git.example.org {ed25519.PublicKey.ToOpenSshLine(false)}"], keys.KnownHostsLines("git.example.org", 22));
        // The exact body of GET /meta: base64 '+' and '/' are written as they are, as GitHub does.
        Assert.Equal(
            $$"""
            {
              "ssh_key_fingerprints": {
                "SHA256_ED25519": "{{ed25519.PublicKey.FingerprintSha256["SHA256:".Length..]}}"
              },
              "ssh_keys": [
                "{{ed25519.PublicKey.ToOpenSshLine(false)}}"
              ],
              "ssh_host_keys": [
                {
                  "key": "{{ed25519.PublicKey.ToOpenSshLine(false)}}",
                  "fingerprint": "{{ed25519.PublicKey.FingerprintSha256}}",
                  "state": "active"
                }
              ]
            }
            """,
            keys.MetaJson());
        Assert.Equal(
            $"Host keys of git.example.org (compare with the fingerprint ssh shows at the first connection):\n\n" +
            $"256 {ed25519.PublicKey.FingerprintSha256} (ED25519)\n\nLines for ~/.ssh/known_hosts:\n\n" +
            $"git.example.org {ed25519.PublicKey.ToOpenSshLine(false)}\n",
            keys.Info("git.example.org", 22));
    }

    [Fact]
    public void AnAnnouncedKeyIsPublishedAsSuchAndLeftOutOfGitHubsMembers()
    {
        var active = SshHostKey.GenerateEd25519();
        var next = SshHostKey.GenerateEd25519();
        var keys = new PublishedHostKeys([active], [next]);
        var line = (SshHostKey k) => k.PublicKey.ToOpenSshLine(false);

        var meta = keys.Meta();
        Assert.Equal(active.PublicKey.FingerprintSha256["SHA256:".Length..], (string)meta["ssh_key_fingerprints"]!["SHA256_ED25519"]!);
        Assert.Equal([line(active)], meta["ssh_keys"]!.AsArray().Select(k => (string)k!));
        Assert.Equal([(line(active), "active"), (line(next), "announced")],
            meta["ssh_host_keys"]!.AsArray().Select(k => ((string)k!["key"]!, (string)k["state"]!)));
        // known_hosts lines for both: a client given them now never sees a warning when the next key starts signing.
        Assert.Equal([$"[h]:2222 {line(active)}", $"[h]:2222 {line(next)}"], keys.KnownHostsLines("h", 2222));
        Assert.Equal(
            "Host keys of [h]:2222 (compare with the fingerprint ssh shows at the first connection):\n\n" +
            $"256 {active.PublicKey.FingerprintSha256} (ED25519)\n" +
            $"256 {next.PublicKey.FingerprintSha256} (ED25519) announced: the next key, not in use yet\n\n" +
            "Lines for ~/.ssh/known_hosts:\n\n" +
            $"[h]:2222 {line(active)}\n[h]:2222 {line(next)}\n",
            keys.Info("h", 2222));
    }
}
