using System.Diagnostics;
using System.Security.Cryptography;

namespace Wharf.Browser.Tests;

/// <summary>The host keys a server offers, as OpenSSH's <c>ssh-keyscan</c> sees them over the wire.</summary>
public static class Keyscan
{
    public sealed record HostKey(string Type, string Base64)
    {
        /// <summary>The SHA256 fingerprint as <c>ssh-keygen -l</c> prints it after "SHA256:": unpadded base64 of the blob's hash.</summary>
        public string Sha256 => Convert.ToBase64String(SHA256.HashData(Convert.FromBase64String(Base64))).TrimEnd('=');

        /// <summary>GitHub's /meta name for this key type: SHA256_ED25519, SHA256_RSA, SHA256_ECDSA.</summary>
        public string MetaName => "SHA256_" + (Type switch
        {
            "ssh-ed25519" => "ED25519",
            "ssh-rsa" => "RSA",
            _ when Type.StartsWith("ecdsa-sha2-", StringComparison.Ordinal) => "ECDSA",
            _ => Type.ToUpperInvariant(),
        });

        public override string ToString() => $"{Type} {Base64}";
    }

    /// <summary>Runs <c>ssh-keyscan -p PORT -t rsa,ecdsa,ed25519 127.0.0.1</c>; fails with its stderr when it finds no key.</summary>
    public static async Task<IReadOnlyList<HostKey>> ScanAsync(int port)
    {
        var psi = new ProcessStartInfo("ssh-keyscan") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-T", "10", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", "rsa,ecdsa,ed25519", "127.0.0.1" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var error = p.StandardError.ReadToEndAsync();
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        var keys = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith('#'))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => new HostKey(f[1], f[2]))
            .ToList();
        Assert.True(keys.Count > 0, $"ssh-keyscan -p {port} 127.0.0.1 found no host key (exit {p.ExitCode}): {await error}");
        return keys;
    }
}
