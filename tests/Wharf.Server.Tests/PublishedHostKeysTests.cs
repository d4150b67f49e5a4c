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
}
