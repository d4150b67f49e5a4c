using System.Text;
using Wharf.Ssh.Authentication;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.Keys;

/// <summary>The two kinds of OpenSSH certificate (PROTOCOL.certkeys: SSH2_CERT_TYPE_USER and SSH2_CERT_TYPE_HOST).</summary>
public enum SshCertificateKind : uint
{
    User = 1,
    Host = 2,
}

/// <summary>One critical option or extension: a name and its data. <see cref="Value"/> is the data read as one string.</summary>
/// <param name="Name">The option's name, e.g. <c>force-command</c> or <c>permit-pty</c>.</param>
/// <param name="Value">The data read as one SSH string ("" for a flag without data), or null when the data is not one string.</param>
public sealed record SshCertificateOption(string Name, string? Value);

/// <summary>
/// An OpenSSH certificate (<c>*-cert-v01@openssh.com</c>, OpenSSH PROTOCOL.certkeys): a public key signed by a
/// certificate authority together with a serial, a type, a key id, principals, a validity window, critical options
/// and extensions. <see cref="Parse"/> only reads the blob; <see cref="VerifySignature"/> checks the authority's
/// signature over it. Whether the authority is trusted and the certificate acceptable now is the application's
/// decision (docs/ARCHITECTURE.md, design rule 2).
/// </summary>
public sealed class SshCertificate
{
    /// <summary>valid_before of a certificate that never expires (<c>ssh-keygen -V always:forever</c>).</summary>
    public const ulong Forever = ulong.MaxValue;

    private const string Suffix = "-cert-v01@openssh.com";
    // Far more than any real certificate: OpenSSH caps a whole key blob at 16 KiB-ish; principals and options are short.
    private const int MaxPrincipals = 256;

    private readonly byte[] _blob;
    private readonly int _signedLength;
    private readonly byte[] _signature;

    private SshCertificate(byte[] blob, int signedLength, byte[] signature)
    {
        _blob = blob;
        _signedLength = signedLength;
        _signature = signature;
    }

    /// <summary>The certificate's type name, e.g. <c>ssh-ed25519-cert-v01@openssh.com</c>.</summary>
    public required string CertificateType { get; init; }
    /// <summary>The certified key (what signs a login), as a plain key.</summary>
    public required SshPublicKey Key { get; init; }
    public required byte[] Nonce { get; init; }
    public required ulong Serial { get; init; }
    public required SshCertificateKind Kind { get; init; }
    public required string KeyId { get; init; }
    /// <summary>The principals; empty means "any principal" (PROTOCOL.certkeys), which Wharf never accepts for a user.</summary>
    public required IReadOnlyList<string> Principals { get; init; }
    /// <summary>Seconds since 1970 (UTC) from which the certificate is valid.</summary>
    public required ulong ValidAfterSeconds { get; init; }
    /// <summary>Seconds since 1970 (UTC) until which the certificate is valid; <see cref="Forever"/> for no end.</summary>
    public required ulong ValidBeforeSeconds { get; init; }
    public required IReadOnlyList<SshCertificateOption> CriticalOptions { get; init; }
    public required IReadOnlyList<SshCertificateOption> Extensions { get; init; }
    /// <summary>The certificate authority's public key (never itself a certificate).</summary>
    public required SshPublicKey SignatureKey { get; init; }
    /// <summary>The algorithm of the authority's signature, e.g. <c>ssh-ed25519</c> or <c>rsa-sha2-512</c>.</summary>
    public required string SignatureAlgorithm { get; init; }

    public ReadOnlySpan<byte> Blob => _blob;

    /// <summary>The valid_after time, clamped to what <see cref="DateTimeOffset"/> holds.</summary>
    public DateTimeOffset ValidAfter => ToTime(ValidAfterSeconds);
    /// <summary>The valid_before time, clamped; <see cref="DateTimeOffset.MaxValue"/> for a certificate without end.</summary>
    public DateTimeOffset ValidBefore => ToTime(ValidBeforeSeconds);

    /// <summary>SHA256 fingerprint of the whole certificate blob.</summary>
    public string FingerprintSha256 => SshPublicKey.FingerprintOf(_blob);

    /// <summary>The one-line OpenSSH form, <c>TYPE-cert-v01@openssh.com base64</c>.</summary>
    public string ToOpenSshLine() => $"{CertificateType} {Convert.ToBase64String(_blob)}";

    /// <summary>The value of a critical option, or null when the certificate does not carry it.</summary>
    public SshCertificateOption? CriticalOption(string name) => CriticalOptions.FirstOrDefault(o => o.Name == name);

    /// <summary>True when the certificate is inside its validity window at <paramref name="now"/>, allowing <paramref name="skew"/> either side.</summary>
    public bool IsValidAt(DateTimeOffset now, TimeSpan skew) =>
        // The skew moves "now", never the certificate's times, which may sit at DateTimeOffset's limits.
        ValidAfter <= now + skew && (ValidBeforeSeconds == Forever || now - skew < ValidBefore);

    /// <summary>True when the certificate authority's signature over the blob verifies with <see cref="SignatureKey"/>.</summary>
    public bool VerifySignature() =>
        SignatureVerifier.Verify(SignatureKey, SignatureAlgorithm, _signature, _blob.AsSpan(0, _signedLength));

    /// <summary>True for the type names of certificates (<c>*-cert-v01@openssh.com</c>) Wharf reads.</summary>
    public static bool IsCertificateType(string name) => name.EndsWith(Suffix, StringComparison.Ordinal) && PlainTypeOf(name) is not null;

    /// <summary>
    /// For a publickey algorithm name that names a certificate: the certificate type its blob must have and the
    /// signature algorithm of the certified key. <c>rsa-sha2-256-cert-v01@openssh.com</c> is an
    /// <c>ssh-rsa-cert-v01@openssh.com</c> blob signed with rsa-sha2-256; <c>ssh-rsa-cert-v01@openssh.com</c> as an
    /// algorithm means SHA-1 signatures and is refused, like plain <c>ssh-rsa</c> (RFC 8332 §3.3). Null when the
    /// name is not a certificate algorithm Wharf accepts.
    /// </summary>
    public static (string CertificateType, string SignatureAlgorithm)? ForAuthenticationAlgorithm(string algorithm) => algorithm switch
    {
        "rsa-sha2-256-cert-v01@openssh.com" => ("ssh-rsa-cert-v01@openssh.com", SshKeyTypes.RsaSha2_256),
        "rsa-sha2-512-cert-v01@openssh.com" => ("ssh-rsa-cert-v01@openssh.com", SshKeyTypes.RsaSha2_512),
        "ssh-rsa-cert-v01@openssh.com" => null,
        _ when IsCertificateType(algorithm) => (algorithm, PlainTypeOf(algorithm)!),
        _ => null,
    };

    /// <summary>The plain key type of a certificate type name, or null.</summary>
    private static string? PlainTypeOf(string certificateType)
    {
        if (!certificateType.EndsWith(Suffix, StringComparison.Ordinal)) return null;
        var plain = certificateType[..^Suffix.Length];
        // sk-ssh-ed25519-cert-v01@openssh.com certifies sk-ssh-ed25519@openssh.com (the @openssh.com moves to the end).
        if (plain is "sk-ssh-ed25519" or "sk-ecdsa-sha2-nistp256") plain += "@openssh.com";
        return SshKeyTypes.IsKnown(plain) ? plain : null;
    }

    /// <summary>Parses one OpenSSH line <c>TYPE-cert-v01@openssh.com base64 [comment]</c> (what <c>ssh-keygen -s</c> writes).</summary>
    public static SshCertificate ParseOpenSsh(string line)
    {
        var parts = line.Trim().Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || !IsCertificateType(parts[0]))
            throw new SshKeyFormatException(SshKeyError.NotOpenSshFormat, "The text is not an OpenSSH certificate: expected 'TYPE-cert-v01@openssh.com BASE64'.");
        byte[] blob;
        try { blob = Convert.FromBase64String(parts[1]); }
        catch (FormatException) { throw new SshKeyFormatException(SshKeyError.InvalidBase64, "The certificate data is not valid base64."); }
        var cert = Parse(blob);
        if (cert.CertificateType != parts[0])
            throw new SshKeyFormatException(SshKeyError.TypeMismatch, $"The certificate says it is '{parts[0]}' but its data is a '{cert.CertificateType}'.");
        return cert;
    }

    /// <summary>
    /// Reads a certificate blob (PROTOCOL.certkeys). Malformed data, unknown types, a certificate as the signing key,
    /// duplicate option names and trailing bytes are refused with <see cref="SshKeyFormatException"/>; the signature is
    /// not checked here (<see cref="VerifySignature"/>).
    /// </summary>
    public static SshCertificate Parse(ReadOnlySpan<byte> blob)
    {
        try
        {
            var r = new SshReader(blob);
            var type = Encoding.ASCII.GetString(r.ReadBinary());
            var plain = PlainTypeOf(type)
                ?? throw new SshKeyFormatException(SshKeyError.UnsupportedType, $"The certificate type '{Truncate(type)}' is not supported.");
            var nonce = r.ReadBinary().ToArray();
            var keyStart = r.Position;
            switch (plain)
            {
                case SshKeyTypes.Rsa:
                    r.ReadBinary(); // e
                    r.ReadBinary(); // n
                    break;
                case SshKeyTypes.Ed25519:
                    r.ReadBinary();
                    break;
                case SshKeyTypes.SkEd25519:
                    r.ReadBinary();
                    r.ReadBinary(); // application
                    break;
                case SshKeyTypes.SkEcdsaP256:
                    r.ReadBinary();
                    r.ReadBinary();
                    r.ReadBinary(); // application
                    break;
                default: // ecdsa-sha2-*: curve, Q
                    r.ReadBinary();
                    r.ReadBinary();
                    break;
            }
            var keyFields = blob[keyStart..r.Position];
            var plainBlob = new SshWriter(keyFields.Length + plain.Length + 8);
            plainBlob.WriteString(plain);
            plainBlob.WriteRaw(keyFields);
            var key = SshPublicKey.FromBlob(plainBlob.WrittenSpan);

            var serial = r.ReadUInt64();
            var kind = r.ReadUInt32();
            if (kind is not ((uint)SshCertificateKind.User or (uint)SshCertificateKind.Host))
                throw new SshKeyFormatException(SshKeyError.InvalidKeyData, $"The certificate has an unknown type {kind}.");
            var keyId = Utf8(r.ReadBinary());
            var principals = new List<string>();
            var pr = new SshReader(r.ReadBinary());
            while (!pr.End)
            {
                if (principals.Count >= MaxPrincipals) throw new SshKeyFormatException(SshKeyError.TooLarge, "The certificate lists too many principals.");
                principals.Add(Utf8(pr.ReadBinary()));
            }
            var validAfter = r.ReadUInt64();
            var validBefore = r.ReadUInt64();
            var critical = Options(r.ReadBinary(), "critical option");
            var extensions = Options(r.ReadBinary(), "extension");
            r.ReadBinary(); // reserved
            var signatureKeyBlob = r.ReadBinary();
            var signedLength = r.Position;
            var signature = r.ReadBinary().ToArray();
            if (!r.End) throw new SshKeyFormatException(SshKeyError.InvalidKeyData, "The certificate has unexpected bytes after the signature.");
            // A certificate signed by a certificate is not allowed (PROTOCOL.certkeys); FromBlob knows no certificate types.
            var signatureKey = SshPublicKey.FromBlob(signatureKeyBlob);
            var sr = new SshReader(signature);
            var signatureAlgorithm = Encoding.ASCII.GetString(sr.ReadBinary());
            return new SshCertificate(blob.ToArray(), signedLength, signature)
            {
                CertificateType = type,
                Key = key,
                Nonce = nonce,
                Serial = serial,
                Kind = (SshCertificateKind)kind,
                KeyId = keyId,
                Principals = principals,
                ValidAfterSeconds = validAfter,
                ValidBeforeSeconds = validBefore,
                CriticalOptions = critical,
                Extensions = extensions,
                SignatureKey = signatureKey,
                SignatureAlgorithm = signatureAlgorithm,
            };
        }
        catch (SshProtocolException)
        {
            throw new SshKeyFormatException(SshKeyError.Truncated, "The certificate data is damaged or truncated.");
        }
        catch (DecoderFallbackException)
        {
            throw new SshKeyFormatException(SshKeyError.InvalidKeyData, "The certificate has text that is not valid UTF-8.");
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    private static string Utf8(ReadOnlySpan<byte> bytes) => StrictUtf8.GetString(bytes);

    private static List<SshCertificateOption> Options(ReadOnlySpan<byte> data, string what)
    {
        var list = new List<SshCertificateOption>();
        var r = new SshReader(data);
        while (!r.End)
        {
            var name = Utf8(r.ReadBinary());
            var value = r.ReadBinary();
            if (list.Any(o => o.Name == name))
                throw new SshKeyFormatException(SshKeyError.InvalidKeyData, $"The certificate repeats the {what} '{Truncate(name)}'.");
            string? text = "";
            if (value.Length > 0)
            {
                var vr = new SshReader(value);
                try
                {
                    text = Utf8(vr.ReadBinary());
                    if (!vr.End) text = null;
                }
                catch (SshProtocolException) { text = null; }
            }
            list.Add(new SshCertificateOption(name, text));
            if (list.Count > 64) throw new SshKeyFormatException(SshKeyError.TooLarge, $"The certificate has too many {what}s.");
        }
        return list;
    }

    private static DateTimeOffset ToTime(ulong seconds) =>
        seconds >= (ulong)DateTimeOffset.MaxValue.ToUnixTimeSeconds() ? DateTimeOffset.MaxValue : DateTimeOffset.FromUnixTimeSeconds((long)seconds);

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";

    public override string ToString() => $"{CertificateType} '{KeyId}' serial {Serial} {Key.FingerprintSha256}";
}
