using System.Security.Cryptography;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.KeyExchange;

/// <summary>
/// The post-quantum hybrids mlkem768x25519-sha256 and sntrup761x25519-sha512 (OpenSSH kexmlkem768x25519.c,
/// kexsntrup761x25519.c). The client sends KEM public key || X25519 public key; we answer KEM ciphertext ||
/// X25519 public key. K is a <c>string</c>: HASH(kem_secret || raw 32-byte X25519 secret). Encoding it as
/// an mpint, as for plain curve25519, fails about one handshake in 512 (docs/SSH-INTEROP.md §4).
/// </summary>
internal sealed class HybridKex(HybridKex.Kem kem) : KexMethod
{
    public enum Kem { MlKem768, Sntrup761 }

    private const int MlKemPublicKeySize = 1184;
    private const int SntrupPublicKeySize = Sntrup761.PublicKeySize;

    public override HashAlgorithmName Hash => kem == Kem.MlKem768 ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA512;

    public override KexReply Respond(ReadOnlySpan<byte> clientMessageBody)
    {
        var r = new SshReader(clientMessageBody);
        var blob = r.ReadBinary();
        if (!r.End) throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, "trailing bytes in key exchange init");
        var kemPublicSize = kem == Kem.MlKem768 ? MlKemPublicKeySize : SntrupPublicKeySize;
        if (blob.Length != kemPublicSize + 32)
            throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, "hybrid key exchange client value has the wrong length");

        var (kemSecret, ciphertext) = kem == Kem.MlKem768 ? EncapsulateMlKem(blob[..kemPublicSize]) : EncapsulateSntrup(blob[..kemPublicSize]);
        Span<byte> ecdhSecret = stackalloc byte[32];
        try
        {
            var x25519Public = Curve25519Kex.X25519Agree(blob[kemPublicSize..], ecdhSecret);
            var serverBlob = new byte[ciphertext.Length + 32];
            ciphertext.CopyTo(serverBlob, 0);
            x25519Public.CopyTo(serverBlob, ciphertext.Length);

            var combined = new byte[kemSecret.Length + 32];
            kemSecret.CopyTo(combined, 0);
            ecdhSecret.CopyTo(combined.AsSpan(kemSecret.Length));
            var hashed = kem == Kem.MlKem768 ? SHA256.HashData(combined) : SHA512.HashData(combined);
            CryptographicOperations.ZeroMemory(combined);
            return new KexReply(Curve25519Kex.Encode(blob), Curve25519Kex.Encode(serverBlob), Curve25519Kex.Encode(hashed));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ecdhSecret);
            CryptographicOperations.ZeroMemory(kemSecret);
        }
    }

    private static (byte[] Secret, byte[] Ciphertext) EncapsulateMlKem(ReadOnlySpan<byte> publicKey)
    {
        var secret = new byte[Geralt.MLKEM768.SharedSecretSize];
        var ciphertext = new byte[Geralt.MLKEM768.CiphertextSize];
        try { Geralt.MLKEM768.Encapsulate(secret, ciphertext, publicKey); }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, "ML-KEM public key is invalid");
        }
        return (secret, ciphertext);
    }

    private static (byte[] Secret, byte[] Ciphertext) EncapsulateSntrup(ReadOnlySpan<byte> publicKey)
    {
        // Our own encapsulation (Sntrup761.cs): BouncyCastle's took about 13 ms a login (docs/BENCHMARKS.md).
        var secret = new byte[Sntrup761.SharedSecretSize];
        var ciphertext = new byte[Sntrup761.CiphertextSize];
        Sntrup761.Encapsulate(publicKey, ciphertext, secret);
        return (secret, ciphertext);
    }
}
