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
        SshKeyTypes.Ed25519,
        SshKeyTypes.EcdsaP256, SshKeyTypes.EcdsaP384, SshKeyTypes.EcdsaP521,
        SshKeyTypes.RsaSha2_512, SshKeyTypes.RsaSha2_256,
    ];

    /// <summary>True when <paramref name="algorithm"/> may be used with <paramref name="key"/> at all.</summary>
    public static bool IsCompatible(string algorithm, SshPublicKey key) =>
        Array.IndexOf(AcceptedAlgorithms, algorithm) >= 0 && SshKeyTypes.KeyTypeForSignatureAlgorithm(algorithm) == key.KeyType;

    public static bool Verify(SshPublicKey key, string algorithm, ReadOnlySpan<byte> signatureBlob, ReadOnlySpan<byte> signedData)
    {
        try
        {
            if (!IsCompatible(algorithm, key)) return false;
            var r = new SshReader(signatureBlob);
            var sigAlg = System.Text.Encoding.ASCII.GetString(r.ReadBinary());
            // The signature must be made with exactly the algorithm the request named (OpenSSH ssh-rsa.c).
            if (sigAlg != algorithm) return false;
            var sig = r.ReadBinary();
            if (!r.End) return false;
            return key.KeyType switch
            {
                SshKeyTypes.Ed25519 => sig.Length == Geralt.Ed25519.SignatureSize && Geralt.Ed25519.Verify(sig, signedData, key.KeyData),
                SshKeyTypes.Rsa => VerifyRsa(key, algorithm, sig, signedData),
                SshKeyTypes.EcdsaP256 or SshKeyTypes.EcdsaP384 or SshKeyTypes.EcdsaP521 => VerifyEcdsa(key, sig, signedData),
                _ => false,
            };
        }
        catch (SshProtocolException) { return false; }
        catch (CryptographicException) { return false; }
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
        var hash = algorithm == SshKeyTypes.RsaSha2_512 ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256;
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
