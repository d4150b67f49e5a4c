using System.Security.Cryptography;
using System.Text;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.Keys;

/// <summary>
/// A user or host public key in SSH wire form (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709). Immutable;
/// equality is by the key blob, which is what identifies a key everywhere in Wharf.
/// </summary>
public sealed class SshPublicKey : IEquatable<SshPublicKey>
{
    // Matches OpenSSH: SSH_RSA_MINIMUM_MODULUS_SIZE is 1024, SSHBUF_MAX_BIGNUM caps at 16384 bits.
    public const int MaxRsaBits = 16384;
    public const int MinRsaBitsAnyUse = 1024;

    private readonly byte[] _blob;

    private SshPublicKey(string keyType, byte[] blob, int bits, string? comment, byte[] keyData, byte[]? rsaExponent, string? application)
    {
        KeyType = keyType;
        _blob = blob;
        Bits = bits;
        Comment = comment;
        KeyData = keyData;
        RsaExponent = rsaExponent;
        Application = application;
    }

    /// <summary>The key type name as in the blob: <c>ssh-ed25519</c>, <c>ssh-rsa</c>, <c>ecdsa-sha2-nistp256</c>, ...</summary>
    public string KeyType { get; }
    /// <summary>The key size in bits (RSA modulus, curve size, 256 for Ed25519).</summary>
    public int Bits { get; }
    public string? Comment { get; }
    /// <summary>Ed25519: the 32-byte point; RSA: the modulus; ECDSA: the uncompressed point Q.</summary>
    internal byte[] KeyData { get; }
    internal byte[]? RsaExponent { get; }
    /// <summary>The FIDO application string of a security key (sk-*), else null.</summary>
    public string? Application { get; }

    public ReadOnlySpan<byte> Blob => _blob;
    public byte[] BlobArray() => (byte[])_blob.Clone();

    /// <summary>A short name of the key family for people: ED25519, RSA, ECDSA, ED25519-SK, ECDSA-SK.</summary>
    public string Family => KeyType switch
    {
        SshKeyTypes.Ed25519 => "ED25519",
        SshKeyTypes.Rsa => "RSA",
        SshKeyTypes.SkEd25519 => "ED25519-SK",
        SshKeyTypes.SkEcdsaP256 => "ECDSA-SK",
        _ => "ECDSA",
    };

    /// <summary>OpenSSH's SHA256 fingerprint: <c>SHA256:</c> and unpadded base64 of SHA-256(blob).</summary>
    public string FingerprintSha256 => FingerprintOf(_blob);

    public static string FingerprintOf(ReadOnlySpan<byte> blob)
    {
        Span<byte> h = stackalloc byte[32];
        SHA256.HashData(blob, h);
        return "SHA256:" + Convert.ToBase64String(h).TrimEnd('=');
    }

    /// <summary>OpenSSH's legacy MD5 fingerprint: <c>MD5:</c> and colon-separated hex.</summary>
    public string FingerprintMd5
    {
        get
        {
            var h = MD5.HashData(_blob);
            return "MD5:" + string.Join(':', h.Select(b => b.ToString("x2")));
        }
    }

    /// <summary>The one-line OpenSSH form: <c>type base64 [comment]</c>.</summary>
    public string ToOpenSshLine(bool includeComment = true) =>
        includeComment && !string.IsNullOrEmpty(Comment)
            ? $"{KeyType} {Convert.ToBase64String(_blob)} {Comment}"
            : $"{KeyType} {Convert.ToBase64String(_blob)}";

    public SshPublicKey WithComment(string? comment) => new(KeyType, _blob, Bits, comment, KeyData, RsaExponent, Application);

    /// <summary>Parses one OpenSSH one-line public key (<c>type base64 [comment]</c>).</summary>
    public static SshPublicKey ParseOpenSsh(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var line = text.Trim();
        if (line.Length == 0) throw new SshKeyFormatException(SshKeyError.Empty, "The key is empty.");
        var parts = line.Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
            throw new SshKeyFormatException(SshKeyError.NotOpenSshFormat, "The key is not in OpenSSH format: expected 'TYPE BASE64 [COMMENT]'.");
        var declaredType = parts[0];
        if (!SshKeyTypes.IsKnown(declaredType))
            throw new SshKeyFormatException(SshKeyError.UnsupportedType, $"The key type '{Truncate(declaredType)}' is not supported.");
        byte[] blob;
        try { blob = Convert.FromBase64String(parts[1]); }
        catch (FormatException)
        {
            // Only base64 characters but a length that is not a multiple of four: the text was cut off
            // (Bitbucket's own documentation shows such a sample).
            if (parts[1].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '='))
                throw new SshKeyFormatException(SshKeyError.Truncated, "The key data is damaged or truncated.");
            throw new SshKeyFormatException(SshKeyError.InvalidBase64, "The key data is not valid base64; it may be damaged or truncated.");
        }
        var key = FromBlob(blob, parts.Length > 2 ? parts[2].Trim() : null);
        if (key.KeyType != declaredType)
            throw new SshKeyFormatException(SshKeyError.TypeMismatch, $"The key says it is '{Truncate(declaredType)}' but its data is a '{key.KeyType}' key.");
        return key;
    }

    /// <summary>Parses a key blob (RFC 4253 §6.6). Trailing bytes, bad points and oversized keys are refused.</summary>
    public static SshPublicKey FromBlob(ReadOnlySpan<byte> blob, string? comment = null)
    {
        try
        {
            var r = new SshReader(blob);
            var type = Encoding.ASCII.GetString(r.ReadBinary());
            SshPublicKey key;
            switch (type)
            {
                case SshKeyTypes.Ed25519:
                case SshKeyTypes.SkEd25519:
                {
                    var pk = r.ReadBinary();
                    if (pk.Length != 32) throw new SshKeyFormatException(SshKeyError.InvalidKeyData, "The Ed25519 key data has the wrong length.");
                    string? app = type == SshKeyTypes.SkEd25519 ? r.ReadString() : null;
                    key = new SshPublicKey(type, blob.ToArray(), 256, comment, pk.ToArray(), null, app);
                    break;
                }
                case SshKeyTypes.Rsa:
                {
                    var e = r.ReadMPIntUnsigned();
                    var n = r.ReadMPIntUnsigned();
                    if (e.Length == 0 || (e[^1] & 1) == 0 || e.Length > 8)
                        throw new SshKeyFormatException(SshKeyError.InvalidKeyData, "The RSA public exponent is invalid.");
                    var bits = BitLength(n);
                    if (bits > MaxRsaBits) throw new SshKeyFormatException(SshKeyError.TooLarge, $"The RSA key has {bits} bits; at most {MaxRsaBits} are accepted.");
                    if (bits < MinRsaBitsAnyUse) throw new SshKeyFormatException(SshKeyError.TooSmall, $"The RSA key has {bits} bits; at least {MinRsaBitsAnyUse} are needed.");
                    key = new SshPublicKey(type, blob.ToArray(), bits, comment, n.ToArray(), e.ToArray(), null);
                    break;
                }
                case SshKeyTypes.EcdsaP256:
                case SshKeyTypes.EcdsaP384:
                case SshKeyTypes.EcdsaP521:
                case SshKeyTypes.SkEcdsaP256:
                {
                    var curve = Encoding.ASCII.GetString(r.ReadBinary());
                    var expectedCurve = SshKeyTypes.CurveOf(type);
                    if (curve != expectedCurve)
                        throw new SshKeyFormatException(SshKeyError.TypeMismatch, $"The key type '{type}' does not match its curve '{Truncate(curve)}'.");
                    var q = r.ReadBinary();
                    var size = SshKeyTypes.CurveFieldBytes(curve);
                    // Only uncompressed points (0x04 || X || Y); OpenSSH refuses compressed ones too.
                    if (q.Length != 1 + 2 * size || q[0] != 0x04)
                        throw new SshKeyFormatException(SshKeyError.InvalidKeyData, "The ECDSA key point is not a valid uncompressed point.");
                    string? app = type == SshKeyTypes.SkEcdsaP256 ? r.ReadString() : null;
                    key = new SshPublicKey(type, blob.ToArray(), SshKeyTypes.CurveBits(curve), comment, q.ToArray(), null, app);
                    // Import once so that a point that is not on the curve is refused here, not at login.
                    using var _ = key.CreateEcdsa();
                    break;
                }
                default:
                    throw new SshKeyFormatException(SshKeyError.UnsupportedType, $"The key type '{Truncate(type)}' is not supported.");
            }
            if (!r.End) throw new SshKeyFormatException(SshKeyError.InvalidKeyData, "The key data has unexpected bytes after the key.");
            return key;
        }
        catch (SshProtocolException)
        {
            throw new SshKeyFormatException(SshKeyError.Truncated, "The key data is damaged or truncated.");
        }
        catch (CryptographicException)
        {
            throw new SshKeyFormatException(SshKeyError.InvalidKeyData, "The key data does not describe a valid public key.");
        }
    }

    internal ECDsa CreateEcdsa()
    {
        var size = (KeyData.Length - 1) / 2;
        var curve = SshKeyTypes.CurveOf(KeyType) switch
        {
            "nistp256" => ECCurve.NamedCurves.nistP256,
            "nistp384" => ECCurve.NamedCurves.nistP384,
            _ => ECCurve.NamedCurves.nistP521,
        };
        return ECDsa.Create(new ECParameters
        {
            Curve = curve,
            Q = new ECPoint { X = KeyData.AsSpan(1, size).ToArray(), Y = KeyData.AsSpan(1 + size, size).ToArray() },
        });
    }

    internal RSA CreateRsa()
    {
        var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters { Modulus = KeyData, Exponent = RsaExponent });
        return rsa;
    }

    private static int BitLength(ReadOnlySpan<byte> magnitude)
    {
        if (magnitude.Length == 0) return 0;
        return (magnitude.Length - 1) * 8 + (32 - System.Numerics.BitOperations.LeadingZeroCount((uint)magnitude[0]));
    }

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";

    public bool Equals(SshPublicKey? other) => other is not null && _blob.AsSpan().SequenceEqual(other._blob);
    public override bool Equals(object? obj) => Equals(obj as SshPublicKey);
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.AddBytes(_blob);
        return h.ToHashCode();
    }
    public override string ToString() => $"{KeyType} {FingerprintSha256}";
}
