using System.Security.Cryptography;
using System.Text;
using Wharf.Ssh.Authentication;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.Keys;

/// <summary>What checking an SSH signature (<see cref="SshSignature.Verify"/>) found.</summary>
public enum SshSignatureCheck
{
    /// <summary>The signature is good for the message, in the expected namespace.</summary>
    Good,
    /// <summary>The signature is well formed but made for another namespace (another purpose than asked).</summary>
    WrongNamespace,
    /// <summary>The signature does not verify over the message with the key it names.</summary>
    BadSignature,
}

/// <summary>Why an SSH signature could not be read at all.</summary>
public sealed class SshSignatureFormatException(string message) : Exception(message);

/// <summary>
/// An OpenSSH SSHSIG signature (PROTOCOL.sshsig in OpenSSH's source), what <c>ssh-keygen -Y sign</c> writes
/// and git stores for <c>gpg.format=ssh</c>. The blob is
/// <c>byte[6] "SSHSIG", uint32 version (1), string publickey, string namespace, string reserved,
/// string hash_algorithm, string signature</c>; the signature is made over
/// <c>byte[6] "SSHSIG", string namespace, string reserved, string hash_algorithm, string H(message)</c>
/// with the signature algorithms Wharf accepts for logins (<see cref="SignatureVerifier"/>): SHA-1
/// <c>ssh-rsa</c> signatures are refused, security-key signatures need the user-presence flag (PROTOCOL.u2f).
/// </summary>
public sealed class SshSignature
{
    public const string ArmorBegin = "-----BEGIN SSH SIGNATURE-----";
    public const string ArmorEnd = "-----END SSH SIGNATURE-----";
    /// <summary>Larger armored texts are refused before decoding (a 16384-bit RSA signature is about 4.5 KB).</summary>
    public const int MaxArmoredLength = 64 * 1024;

    private static readonly byte[] Magic = "SSHSIG"u8.ToArray();
    private const uint Version = 1;

    private readonly byte[] _reserved;
    private readonly byte[] _signatureBlob;

    private SshSignature(SshPublicKey key, string ns, byte[] reserved, string hashAlgorithm, string signatureAlgorithm, byte[] signatureBlob)
    {
        PublicKey = key;
        Namespace = ns;
        _reserved = reserved;
        HashAlgorithm = hashAlgorithm;
        SignatureAlgorithm = signatureAlgorithm;
        _signatureBlob = signatureBlob;
    }

    /// <summary>The key the signature says it was made with (not yet proven: see <see cref="Verify"/>).</summary>
    public SshPublicKey PublicKey { get; }
    /// <summary>The purpose the signer named, such as <c>git</c> or <c>file</c>.</summary>
    public string Namespace { get; }
    /// <summary><c>sha256</c> or <c>sha512</c>: how the message was hashed before signing.</summary>
    public string HashAlgorithm { get; }
    /// <summary>The signature algorithm of the inner signature (for RSA keys <c>rsa-sha2-256</c> or <c>rsa-sha2-512</c>).</summary>
    public string SignatureAlgorithm { get; }

    /// <summary>True when the text starts (after white space) with the SSH signature armor.</summary>
    public static bool LooksArmored(string text) => text.AsSpan().TrimStart().StartsWith(ArmorBegin, StringComparison.Ordinal);

    /// <summary>Reads an armored signature (<c>-----BEGIN SSH SIGNATURE-----</c> ... <c>-----END SSH SIGNATURE-----</c>).</summary>
    public static SshSignature ParseArmored(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxArmoredLength) throw new SshSignatureFormatException("The signature is too long.");
        var trimmed = text.Trim();
        if (!trimmed.StartsWith(ArmorBegin, StringComparison.Ordinal))
            throw new SshSignatureFormatException($"The signature does not start with '{ArmorBegin}'.");
        var end = trimmed.IndexOf(ArmorEnd, StringComparison.Ordinal);
        if (end < 0) throw new SshSignatureFormatException($"The signature does not end with '{ArmorEnd}'.");
        if (end + ArmorEnd.Length != trimmed.Length)
            throw new SshSignatureFormatException($"There is text after '{ArmorEnd}'.");
        var body = trimmed.AsSpan(ArmorBegin.Length, end - ArmorBegin.Length);
        var base64 = new StringBuilder(body.Length);
        foreach (var c in body)
        {
            if (char.IsWhiteSpace(c)) continue;
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '='))
                throw new SshSignatureFormatException("The signature is not valid base64.");
            base64.Append(c);
        }
        byte[] blob;
        try { blob = Convert.FromBase64String(base64.ToString()); }
        catch (FormatException) { throw new SshSignatureFormatException("The signature is not valid base64."); }
        return FromBlob(blob);
    }

    /// <summary>Reads the binary SSHSIG blob (PROTOCOL.sshsig §2).</summary>
    public static SshSignature FromBlob(ReadOnlySpan<byte> blob)
    {
        try
        {
            var r = new SshReader(blob);
            if (!r.ReadBytes(Magic.Length).SequenceEqual(Magic))
                throw new SshSignatureFormatException("The data is not an SSH signature (no SSHSIG preamble).");
            var version = r.ReadUInt32();
            if (version != Version)
                throw new SshSignatureFormatException($"SSH signature version {version} is not supported; only version 1 is.");
            SshPublicKey key;
            try { key = SshPublicKey.FromBlob(r.ReadBinary()); }
            catch (SshKeyFormatException e) { throw new SshSignatureFormatException("The signature's public key cannot be read: " + e.Message); }
            var ns = Encoding.UTF8.GetString(r.ReadBinary());
            if (ns.Length == 0) throw new SshSignatureFormatException("The signature has an empty namespace.");
            var reserved = r.ReadBinary().ToArray();
            var hash = Encoding.ASCII.GetString(r.ReadBinary());
            if (hash is not ("sha256" or "sha512"))
                throw new SshSignatureFormatException($"The hash algorithm '{Truncate(hash)}' is not supported; sha256 and sha512 are.");
            var sigBlob = r.ReadBinary().ToArray();
            if (!r.End) throw new SshSignatureFormatException("The signature has unexpected bytes after it.");
            var inner = new SshReader(sigBlob);
            var sigAlg = Encoding.ASCII.GetString(inner.ReadBinary());
            return new SshSignature(key, ns, reserved, hash, sigAlg, sigBlob);
        }
        catch (SshProtocolException)
        {
            throw new SshSignatureFormatException("The signature is damaged or truncated.");
        }
    }

    /// <summary>
    /// Checks the signature over <paramref name="message"/> for <paramref name="expectedNamespace"/>. Never
    /// throws for hostile input: a signature that does not check is <see cref="SshSignatureCheck.BadSignature"/>.
    /// The namespace is compared only after the signature verified, so a good signature made for another purpose
    /// is told apart from a forged one.
    /// </summary>
    public SshSignatureCheck Verify(ReadOnlySpan<byte> message, string expectedNamespace)
    {
        ArgumentNullException.ThrowIfNull(expectedNamespace);
        // The inner algorithm must be one we accept for this key type: rsa-sha2-* for RSA, the key type otherwise.
        if (!SignatureVerifier.IsCompatible(SignatureAlgorithm, PublicKey)) return SshSignatureCheck.BadSignature;
        var digest = HashAlgorithm == "sha512" ? SHA512.HashData(message) : SHA256.HashData(message);
        var w = new SshWriter(64 + Namespace.Length + _reserved.Length + digest.Length);
        w.WriteRaw(Magic);
        w.WriteBinary(Encoding.UTF8.GetBytes(Namespace));
        w.WriteBinary(_reserved);
        w.WriteString(HashAlgorithm);
        w.WriteBinary(digest);
        if (!SignatureVerifier.Verify(PublicKey, SignatureAlgorithm, _signatureBlob, w.WrittenSpan))
            return SshSignatureCheck.BadSignature;
        return Namespace == expectedNamespace ? SshSignatureCheck.Good : SshSignatureCheck.WrongNamespace;
    }

    private static string Truncate(string s) => s.Length <= 32 ? s : s[..32] + "…";
}
