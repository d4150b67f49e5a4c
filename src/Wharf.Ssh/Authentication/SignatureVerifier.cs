using System.Security.Cryptography;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.Authentication;

/// <summary>
/// Verifies a user's signature blob (<c>string alg, string sig</c>) against a public key for the
/// publickey method (RFC 4252 §7, RFC 8332, RFC 5656 §3.1.2, RFC 8709). Never throws on hostile input:
/// anything malformed is simply "not verified".
/// </summary>
internal static class SignatureVerifier
{
    /// <summary>What we list in server-sig-algs; SHA-1 <c>ssh-rsa</c> is deliberately absent (RFC 8332 §3.3).</summary>
    public static readonly string[] AcceptedAlgorithms =
    [
        SshKeyTypes.Ed25519, SshKeyTypes.SkEd25519,
        SshKeyTypes.EcdsaP256, SshKeyTypes.EcdsaP384, SshKeyTypes.EcdsaP521, SshKeyTypes.SkEcdsaP256,
        SshKeyTypes.RsaSha2_512, SshKeyTypes.RsaSha2_256,
    ];

    /// <summary>FIDO flag "user present" (sk-api.h): the key was touched. Required, as sshd requires it by default.</summary>
    internal const byte SkUserPresent = 0x01;

    /// <summary>
    /// True when <paramref name="algorithm"/> may be used with <paramref name="key"/> at all. <c>ssh-rsa</c> (SHA-1) only
    /// with <paramref name="allowRsaSha1"/> (<see cref="Server.SshServerOptions.AllowRsaSha1Signatures"/>).
    /// </summary>
    public static bool IsCompatible(string algorithm, SshPublicKey key, bool allowRsaSha1 = false) =>
        allowRsaSha1 && algorithm == SshKeyTypes.Rsa
            ? key.KeyType == SshKeyTypes.Rsa
            : Array.IndexOf(AcceptedAlgorithms, algorithm) >= 0 && SshKeyTypes.KeyTypeForSignatureAlgorithm(algorithm) == key.KeyType;

    public static bool Verify(SshPublicKey key, string algorithm, ReadOnlySpan<byte> signatureBlob, ReadOnlySpan<byte> signedData, bool allowRsaSha1 = false)
    {
        try
        {
            if (!IsCompatible(algorithm, key, allowRsaSha1)) return false;
            var r = new SshReader(signatureBlob);
            var sigAlg = System.Text.Encoding.ASCII.GetString(r.ReadBinary());
            // The signature must be made with exactly the algorithm the request named (OpenSSH ssh-rsa.c).
            if (sigAlg != algorithm) return false;
            var sig = r.ReadBinary();
            if (key.KeyType is SshKeyTypes.SkEd25519 or SshKeyTypes.SkEcdsaP256)
                return VerifySecurityKey(key, sig, ref r, signedData);
            if (!r.End) return false;
            return key.KeyType switch
            {
                SshKeyTypes.Ed25519 => VerifyEd25519(key, sig, signedData),
                SshKeyTypes.Rsa => VerifyRsa(key, algorithm, sig, signedData),
                SshKeyTypes.EcdsaP256 or SshKeyTypes.EcdsaP384 or SshKeyTypes.EcdsaP521 => VerifyEcdsa(key, sig, signedData),
                _ => false,
            };
        }
        catch (SshProtocolException) { return false; }
        catch (CryptographicException) { return false; }
    }

    private static bool VerifyEd25519(SshPublicKey key, ReadOnlySpan<byte> sig, ReadOnlySpan<byte> data) =>
        sig.Length == Geralt.Ed25519.SignatureSize && Geralt.Ed25519.Verify(sig, data, key.KeyData);

    /// <summary>
    /// sk-ssh-ed25519@openssh.com and sk-ecdsa-sha2-nistp256@openssh.com (PROTOCOL.u2f, docs/SSH-INTEROP.md §9): the
    /// authenticator signed SHA256(application) || flags || counter || SHA256(message), and the signature
    /// blob carries flags and counter after the signature. A signature without user presence is refused.
    /// </summary>
    private static bool VerifySecurityKey(SshPublicKey key, ReadOnlySpan<byte> sig, ref SshReader r, ReadOnlySpan<byte> message)
    {
        var flags = r.ReadByte();
        var counter = r.ReadUInt32();
        if (!r.End) return false;
        if ((flags & SkUserPresent) == 0) return false;
        Span<byte> signed = stackalloc byte[32 + 1 + 4 + 32];
        SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key.Application ?? ""), signed[..32]);
        signed[32] = flags;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(signed[33..], counter);
        SHA256.HashData(message, signed[37..]);
        return key.KeyType == SshKeyTypes.SkEd25519 ? VerifyEd25519(key, sig, signed) : VerifyEcdsa(key, sig, signed);
    }

    private static bool VerifyRsa(SshPublicKey key, string algorithm, ReadOnlySpan<byte> sig, ReadOnlySpan<byte> data)
    {
        var modulusBytes = key.KeyData.Length;
        if (sig.Length > modulusBytes || sig.Length == 0) return false;
        // OpenSSH left-pads a short signature to the modulus size (ssh-rsa.c); .NET would refuse it.
        byte[]? rented = null;
        ReadOnlySpan<byte> s = sig;
        if (sig.Length < modulusBytes)
        {
            rented = new byte[modulusBytes];
            sig.CopyTo(rented.AsSpan(modulusBytes - sig.Length));
            s = rented;
        }
        using var rsa = key.CreateRsa();
        var hash = algorithm switch
        {
            SshKeyTypes.RsaSha2_512 => HashAlgorithmName.SHA512,
            SshKeyTypes.RsaSha2_256 => HashAlgorithmName.SHA256,
            _ => HashAlgorithmName.SHA1, // ssh-rsa, reached only when allowed (IsCompatible)
        };
        return rsa.VerifyData(data, s, hash, RSASignaturePadding.Pkcs1);
    }

    private static bool VerifyEcdsa(SshPublicKey key, ReadOnlySpan<byte> sig, ReadOnlySpan<byte> data)
    {
        var r = new SshReader(sig);
        var rv = r.ReadMPIntUnsigned();
        var sv = r.ReadMPIntUnsigned();
        if (!r.End) return false;
        var size = (key.KeyData.Length - 1) / 2;
        if (rv.Length > size || sv.Length > size || rv.Length == 0 || sv.Length == 0) return false;
        Span<byte> fixedSig = stackalloc byte[2 * size];
        fixedSig.Clear();
        rv.CopyTo(fixedSig[(size - rv.Length)..size]);
        sv.CopyTo(fixedSig[(2 * size - sv.Length)..]);
        var hash = key.Bits switch { 256 => HashAlgorithmName.SHA256, 384 => HashAlgorithmName.SHA384, _ => HashAlgorithmName.SHA512 };
        using var ecdsa = key.CreateEcdsa();
        return ecdsa.VerifyData(data, fixedSig, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }
}
