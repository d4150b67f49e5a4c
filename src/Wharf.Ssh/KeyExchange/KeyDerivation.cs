using System.Security.Cryptography;
using Wharf.Ssh.Algorithms;
using Wharf.Ssh.Transport;

namespace Wharf.Ssh.KeyExchange;

/// <summary>
/// Key derivation of RFC 4253 §7.2: K1 = HASH(K || H || X || session_id), Kn = HASH(K || H || K1..Kn-1),
/// with K encoded exactly as it entered the exchange hash. chacha20-poly1305 needs 64 bytes, so the
/// extension step is not optional with SHA-256.
/// </summary>
internal static class KeyDerivation
{
    public static byte[] Derive(HashAlgorithmName hash, ReadOnlySpan<byte> encodedK, ReadOnlySpan<byte> h, char letter, ReadOnlySpan<byte> sessionId, int length)
    {
        var result = new byte[length];
        using var ih = IncrementalHash.CreateHash(hash);
        ih.AppendData(encodedK);
        ih.AppendData(h);
        ih.AppendData([(byte)letter]);
        ih.AppendData(sessionId);
        var block = ih.GetHashAndReset();
        var have = 0;
        var all = new List<byte>(block);
        while (true)
        {
            var take = Math.Min(block.Length, length - have);
            block.AsSpan(0, take).CopyTo(result.AsSpan(have));
            have += take;
            if (have >= length) return result;
            ih.AppendData(encodedK);
            ih.AppendData(h);
            ih.AppendData(all.ToArray());
            block = ih.GetHashAndReset();
            all.AddRange(block);
        }
    }

    /// <summary>Builds the protection for one direction from the derived keys (letters per RFC 4253 §7.2).</summary>
    public static PacketProtection CreateProtection(string cipher, string? mac, HashAlgorithmName hash, ReadOnlySpan<byte> encodedK,
        ReadOnlySpan<byte> h, ReadOnlySpan<byte> sessionId, bool clientToServer)
    {
        var ivLetter = clientToServer ? 'A' : 'B';
        var keyLetter = clientToServer ? 'C' : 'D';
        var macLetter = clientToServer ? 'E' : 'F';
        switch (cipher)
        {
            case SshAlgorithms.ChaCha20Poly1305:
                return new ChaCha20Poly1305Protection(Derive(hash, encodedK, h, keyLetter, sessionId, ChaCha20Poly1305Protection.KeySize));
            case SshAlgorithms.Aes128Gcm:
            case SshAlgorithms.Aes256Gcm:
            {
                var keySize = cipher == SshAlgorithms.Aes128Gcm ? 16 : 32;
                return new AesGcmProtection(Derive(hash, encodedK, h, keyLetter, sessionId, keySize), Derive(hash, encodedK, h, ivLetter, sessionId, 12));
            }
            case SshAlgorithms.Aes128Ctr:
            case SshAlgorithms.Aes192Ctr:
            case SshAlgorithms.Aes256Ctr:
            {
                var keySize = cipher switch { SshAlgorithms.Aes128Ctr => 16, SshAlgorithms.Aes192Ctr => 24, _ => 32 };
                var macName = mac ?? throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, "no MAC negotiated");
                return new AesCtrProtection(
                    Derive(hash, encodedK, h, keyLetter, sessionId, keySize),
                    Derive(hash, encodedK, h, ivLetter, sessionId, 16),
                    macName,
                    Derive(hash, encodedK, h, macLetter, sessionId, AesCtrProtection.MacKeySize(macName)));
            }
            default:
                throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, $"cipher {cipher} not supported");
        }
    }
}
