using System.Security.Cryptography;
using System.Text;
using Wharf.Core.Errors;
using Wharf.Ssh.Keys;

namespace Wharf.Server.Ssh;

/// <summary>
/// What <c>Ssh:RevokedKeys</c> revokes: an OpenSSH key revocation list (KRL, made by <c>ssh-keygen -k</c>, format in
/// OpenSSH's PROTOCOL.krl) or a plain text file of public keys, one per line. A certificate is revoked when its
/// serial or key id is revoked for its authority, or when its certified key or its authority's key is revoked
/// (explicitly, by SHA-1 or SHA-256 fingerprint), as sshd's <c>RevokedKeys</c> decides.
/// </summary>
public sealed class RevokedKeys
{
    private static ReadOnlySpan<byte> KrlMagic => "SSHKRL\n\0"u8;

    private const byte SectionCertificates = 1;
    private const byte SectionExplicitKey = 2;
    private const byte SectionFingerprintSha1 = 3;
    private const byte SectionSignature = 4;
    private const byte SectionFingerprintSha256 = 5;
    private const byte SectionExtension = 255;
    private const byte CertSerialList = 0x20;
    private const byte CertSerialRange = 0x21;
    private const byte CertSerialBitmap = 0x22;
    private const byte CertKeyId = 0x23;
    private const byte CertExtension = 0x39;

    /// <summary>Revocations of certificates of one authority (or of any authority: a null key blob).</summary>
    private sealed class AuthorityRevocations
    {
        public readonly HashSet<ulong> Serials = [];
        public readonly List<(ulong Low, ulong High)> Ranges = [];
        public readonly HashSet<string> KeyIds = new(StringComparer.Ordinal);
    }

    private readonly Dictionary<string, AuthorityRevocations> _byAuthority = new(StringComparer.Ordinal);
    private readonly HashSet<string> _keyBlobs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _sha1 = new(StringComparer.Ordinal);
    private readonly HashSet<string> _sha256 = new(StringComparer.Ordinal);

    private RevokedKeys() { }

    /// <summary>An empty list (nothing revoked).</summary>
    public static RevokedKeys None { get; } = new();

    /// <summary>Reads a KRL or a list of public keys; anything malformed is an <see cref="ErrorCategory.InvalidArgument"/> error naming <paramref name="source"/>.</summary>
    public static RevokedKeys Parse(ReadOnlySpan<byte> data, string source)
    {
        var list = new RevokedKeys();
        try
        {
            if (data.StartsWith(KrlMagic)) list.ReadKrl(data);
            else list.ReadText(Encoding.UTF8.GetString(data));
        }
        catch (Exception e) when (e is Wharf.Ssh.SshProtocolException or SshKeyFormatException or ArgumentException)
        {
            throw WharfException.InvalidArgument($"The revoked keys file {source} is not a valid KRL or list of public keys: {e.Message}");
        }
        return list;
    }

    /// <summary>True when the certificate, its certified key or its authority's key is revoked.</summary>
    public bool IsRevoked(SshCertificate certificate)
    {
        if (IsRevoked(certificate.Key) || IsRevoked(certificate.SignatureKey)) return true;
        foreach (var authority in new[] { Convert.ToBase64String(certificate.SignatureKey.Blob), "" })
        {
            if (!_byAuthority.TryGetValue(authority, out var r)) continue;
            if (r.KeyIds.Contains(certificate.KeyId)) return true;
            // Serial 0 means "no serial" (PROTOCOL.certkeys) and is never revoked by serial.
            if (certificate.Serial == 0) continue;
            if (r.Serials.Contains(certificate.Serial)) return true;
            if (r.Ranges.Any(x => x.Low <= certificate.Serial && certificate.Serial <= x.High)) return true;
        }
        return false;
    }

    /// <summary>True when the plain key is revoked explicitly or by fingerprint.</summary>
    public bool IsRevoked(SshPublicKey key)
    {
        if (_keyBlobs.Contains(Convert.ToBase64String(key.Blob))) return true;
        if (_sha256.Count > 0 && _sha256.Contains(Convert.ToBase64String(SHA256.HashData(key.Blob)))) return true;
        return _sha1.Count > 0 && _sha1.Contains(Convert.ToBase64String(SHA1.HashData(key.Blob)));
    }

    private void ReadText(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var type = line.Split((char[]?)null, 2)[0];
            // A certificate line revokes the key it certifies.
            var key = SshCertificate.IsCertificateType(type) ? SshCertificate.ParseOpenSsh(line).Key : SshPublicKey.ParseOpenSsh(line);
            _keyBlobs.Add(Convert.ToBase64String(key.Blob));
        }
    }

    private void ReadKrl(ReadOnlySpan<byte> data)
    {
        var r = new Wharf.Ssh.Wire.SshReader(data);
        r.ReadBytes(KrlMagic.Length);
        var format = r.ReadUInt32();
        if (format != 1) throw new ArgumentException($"unsupported KRL format version {format}");
        r.ReadUInt64(); // krl_version
        r.ReadUInt64(); // generated_date
        r.ReadUInt64(); // flags
        r.ReadBinary(); // reserved
        r.ReadBinary(); // comment
        while (!r.End)
        {
            var type = r.ReadByte();
            var section = r.ReadBinary();
            switch (type)
            {
                case SectionCertificates:
                    ReadCertificateSection(section);
                    break;
                case SectionExplicitKey:
                    foreach (var blob in Strings(section)) _keyBlobs.Add(Convert.ToBase64String(blob));
                    break;
                case SectionFingerprintSha1:
                    foreach (var hash in Strings(section)) _sha1.Add(Convert.ToBase64String(hash));
                    break;
                case SectionFingerprintSha256:
                    foreach (var hash in Strings(section)) _sha256.Add(Convert.ToBase64String(hash));
                    break;
                case SectionSignature:
                    // sshd does not check KRL signatures either; the file's integrity is the file system's.
                    break;
                case SectionExtension:
                    RefuseCriticalExtension(section);
                    break;
                default:
                    throw new ArgumentException($"unknown KRL section type {type}");
            }
        }
    }

    private void ReadCertificateSection(ReadOnlySpan<byte> section)
    {
        var r = new Wharf.Ssh.Wire.SshReader(section);
        var caBlob = r.ReadBinary();
        // An empty key means the revocations apply to certificates of every authority (ssh-keygen -k without -s).
        var authority = caBlob.Length == 0 ? "" : Convert.ToBase64String(SshPublicKey.FromBlob(caBlob).Blob);
        r.ReadBinary(); // reserved
        if (!_byAuthority.TryGetValue(authority, out var revoked)) _byAuthority[authority] = revoked = new AuthorityRevocations();
        while (!r.End)
        {
            var type = r.ReadByte();
            var data = r.ReadBinary();
            var d = new Wharf.Ssh.Wire.SshReader(data);
            switch (type)
            {
                case CertSerialList:
                    while (!d.End) revoked.Serials.Add(d.ReadUInt64());
                    break;
                case CertSerialRange:
                {
                    var low = d.ReadUInt64();
                    var high = d.ReadUInt64();
                    if (low > high || !d.End) throw new ArgumentException("a KRL serial range is malformed");
                    revoked.Ranges.Add((low, high));
                    break;
                }
                case CertSerialBitmap:
                {
                    var offset = d.ReadUInt64();
                    var bitmap = d.ReadMPIntUnsigned();
                    if (!d.End) throw new ArgumentException("a KRL serial bitmap is malformed");
                    // Bit i of the big-endian number (least significant first) revokes serial offset + i.
                    for (var i = 0; i < bitmap.Length * 8; i++)
                        if ((bitmap[bitmap.Length - 1 - i / 8] & (1 << (i % 8))) != 0) revoked.Serials.Add(offset + (ulong)i);
                    break;
                }
                case CertKeyId:
                    while (!d.End) revoked.KeyIds.Add(Encoding.UTF8.GetString(d.ReadBinary()));
                    break;
                case CertExtension:
                    RefuseCriticalExtension(data);
                    break;
                default:
                    throw new ArgumentException($"unknown KRL certificate section type {type}");
            }
        }
    }

    /// <summary>An extension (string name, bool critical, string data) Wharf does not know: refused when critical.</summary>
    private static void RefuseCriticalExtension(ReadOnlySpan<byte> data)
    {
        var r = new Wharf.Ssh.Wire.SshReader(data);
        var name = Encoding.UTF8.GetString(r.ReadBinary());
        if (r.ReadBoolean()) throw new ArgumentException($"unsupported critical KRL extension '{name}'");
    }

    private static List<byte[]> Strings(ReadOnlySpan<byte> section)
    {
        var list = new List<byte[]>();
        var r = new Wharf.Ssh.Wire.SshReader(section);
        while (!r.End) list.Add(r.ReadBinary().ToArray());
        return list;
    }

    /// <summary>How many entries are loaded, for the start-up log line.</summary>
    public int Count => _keyBlobs.Count + _sha1.Count + _sha256.Count + _byAuthority.Values.Sum(a => a.Serials.Count + a.Ranges.Count + a.KeyIds.Count);
}
