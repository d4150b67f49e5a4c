using Wharf.Ssh.Algorithms;
using Wharf.Ssh.Transport;

namespace Wharf.Ssh.Benchmarks;

/// <summary>
/// The five packet protections the issue asks about, built the way the key exchange builds them, from
/// fixed keys so that a protection made twice seals and opens the same bytes (a receiver needs its own
/// instance: CTR and GCM carry a counter).
/// </summary>
internal static class Ciphers
{
    public const string ChaCha20Poly1305 = SshAlgorithms.ChaCha20Poly1305;
    public const string Aes128Gcm = SshAlgorithms.Aes128Gcm;
    public const string Aes256Gcm = SshAlgorithms.Aes256Gcm;
    public const string Aes128CtrSha256Etm = "aes128-ctr+hmac-sha2-256-etm";
    public const string Aes256CtrSha512Etm = "aes256-ctr+hmac-sha2-512-etm";

    public static readonly string[] All = [ChaCha20Poly1305, Aes128Gcm, Aes256Gcm, Aes128CtrSha256Etm, Aes256CtrSha512Etm];

    private static readonly byte[] Key = Fill(64, 0x11);
    private static readonly byte[] Iv = Fill(16, 0x22);
    private static readonly byte[] MacKey = Fill(64, 0x33);

    public static PacketProtection Create(string cipher) => cipher switch
    {
        ChaCha20Poly1305 => new ChaCha20Poly1305Protection(Key),
        Aes128Gcm => new AesGcmProtection(Key.AsSpan(0, 16), Iv),
        Aes256Gcm => new AesGcmProtection(Key.AsSpan(0, 32), Iv),
        Aes128CtrSha256Etm => new AesCtrProtection(Key.AsSpan(0, 16), Iv, SshAlgorithms.HmacSha256Etm, MacKey.AsSpan(0, 32)),
        Aes256CtrSha512Etm => new AesCtrProtection(Key.AsSpan(0, 32), Iv, SshAlgorithms.HmacSha512Etm, MacKey),
        _ => throw new ArgumentOutOfRangeException(nameof(cipher), cipher, "unknown cipher"),
    };

    private static byte[] Fill(int length, byte seed)
    {
        var b = new byte[length];
        for (var i = 0; i < b.Length; i++) b[i] = (byte)(seed + i * 7);
        return b;
    }
}
