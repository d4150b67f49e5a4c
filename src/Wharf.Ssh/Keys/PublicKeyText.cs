using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.Keys;

/// <summary>What was understood from pasted text, and what was changed on the way.</summary>
public sealed record ParsedPublicKey(SshPublicKey Key, string Format, bool OptionsDropped);

/// <summary>
/// Reads the public key formats people actually paste, and normalises them to one key: OpenSSH one-line
/// keys (with or without a comment, broken over lines or padded with stray spaces by copy and paste),
/// authorized_keys lines with options, RFC 4716 files (PuTTYgen's "Save public key", Tectia), and PEM
/// public keys (<c>BEGIN PUBLIC KEY</c>, <c>BEGIN RSA PUBLIC KEY</c>). Private keys in any format are
/// recognised and refused before anything else is looked at.
/// </summary>
public static partial class PublicKeyText
{
    /// <summary>Far beyond any real public key (a 16384-bit RSA key is about 2.8 KB of base64).</summary>
    public const int MaxLength = 16 * 1024;

    public static ParsedPublicKey Parse(string? text)
    {
        text ??= "";
        if (text.Length > MaxLength)
            throw new SshKeyFormatException(SshKeyError.TooLong, $"The key text is {text.Length} characters long; a public key is never longer than {MaxLength}.");
        var trimmed = text.Trim().TrimStart('\uFEFF');
        if (trimmed.Length == 0) throw new SshKeyFormatException(SshKeyError.Empty, "The key is empty.");
        if (LooksPrivate(trimmed))
            throw new SshKeyFormatException(SshKeyError.PrivateKey,
                "This is a private key. Paste the public key instead (the .pub file, or PuTTYgen's \"Public key for pasting\" box). " +
                "If this private key was sent anywhere, consider it exposed: make a new key pair.");
        if (trimmed.StartsWith("---- BEGIN SSH2 PUBLIC KEY ----", StringComparison.Ordinal)) return ParseRfc4716(trimmed);
        if (trimmed.StartsWith("-----BEGIN ", StringComparison.Ordinal)) return ParsePem(trimmed);
        return ParseOpenSshText(trimmed);
    }

    private static bool LooksPrivate(string text) =>
        text.Contains("PRIVATE KEY-----", StringComparison.Ordinal)
        || text.StartsWith("PuTTY-User-Key-File-", StringComparison.Ordinal)
        || text.Contains("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----", StringComparison.Ordinal);

    private static ParsedPublicKey ParseOpenSshText(string text)
    {
        // Copy and paste from a terminal or a web page breaks long lines; a key is one line, so join them.
        var lines = text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var typeStarts = lines.Count(l => StartsWithKeyType(l) || OptionsThenType().IsMatch(l));
        if (typeStarts > 1)
            throw new SshKeyFormatException(SshKeyError.MultipleKeys, "The text holds more than one key; add them one at a time.");
        var joined = JoinBrokenLine(lines);

        var optionsDropped = false;
        if (!StartsWithKeyType(joined))
        {
            var m = OptionsThenType().Match(joined);
            if (m.Success)
            {
                joined = joined[m.Groups["key"].Index..];
                optionsDropped = true;
            }
        }
        var parts = joined.Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length >= 1 && parts[0] == "ssh-dss")
            throw new SshKeyFormatException(SshKeyError.UnsupportedType, "DSA keys (ssh-dss) are not accepted: OpenSSH itself disabled them in 2015. Make an ed25519 key: ssh-keygen -t ed25519");
        if (parts.Length >= 1 && !SshKeyTypes.IsKnown(parts[0]) && parts[0].Length < 64 && KeyTypeLike().IsMatch(parts[0]))
            throw new SshKeyFormatException(SshKeyError.UnsupportedType, $"The key type '{parts[0]}' is not supported. Use ed25519, ECDSA, RSA or a security key (sk-).");
        var key = SshPublicKey.ParseOpenSsh(joined);
        return new ParsedPublicKey(key, optionsDropped ? "authorized_keys line" : "OpenSSH", optionsDropped);
    }

    /// <summary>
    /// Rejoins an OpenSSH line that copy and paste broke: pieces of base64 are glued back together, and a
    /// trailing comment (the last piece with a space, or one with characters base64 never has) is kept.
    /// </summary>
    private static string JoinBrokenLine(string[] lines)
    {
        var sb = new StringBuilder(CollapseSpaces(lines[0]));
        foreach (var line in lines.Skip(1))
        {
            var l = CollapseSpaces(line);
            var tokens = sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            // After the type comes the base64; more base64 continues it; anything else is the comment. A
            // terminal's column wrap often leaves the end of the base64 and the comment on the last line.
            var first = l.Split(' ', 2);
            if (tokens == 2 && Base64Piece().IsMatch(first[0]))
            {
                sb.Append(first[0]);
                if (first.Length > 1) sb.Append(' ').Append(first[1]);
            }
            else sb.Append(' ').Append(l);
        }
        return sb.ToString();
    }

    private static string CollapseSpaces(string s) => Whitespace().Replace(s.Trim(), " ");

    private static bool StartsWithKeyType(string line)
    {
        var first = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        return SshKeyTypes.IsKnown(first) || first == "ssh-dss";
    }

    private static ParsedPublicKey ParseRfc4716(string text)
    {
        const string begin = "---- BEGIN SSH2 PUBLIC KEY ----";
        const string end = "---- END SSH2 PUBLIC KEY ----";
        var e = text.IndexOf(end, StringComparison.Ordinal);
        if (e < 0) throw new SshKeyFormatException(SshKeyError.Truncated, "The key ends early: the line '---- END SSH2 PUBLIC KEY ----' is missing.");
        if (text.IndexOf(begin, e, StringComparison.Ordinal) >= 0 || text[(e + end.Length)..].Trim().Length > 0)
            throw new SshKeyFormatException(SshKeyError.MultipleKeys, "The text holds more than one key; add them one at a time.");
        var body = text[begin.Length..e].Replace("\r", "", StringComparison.Ordinal).Split('\n');
        string? comment = null;
        var base64 = new StringBuilder();
        for (var i = 0; i < body.Length; i++)
        {
            var line = body[i].Trim();
            if (line.Length == 0) continue;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && base64.Length == 0)
            {
                // RFC 4716 §3.3 headers; a trailing backslash continues the value on the next line.
                var value = line[(colon + 1)..].Trim();
                while (value.EndsWith('\\') && i + 1 < body.Length) value = value[..^1] + body[++i].Trim();
                if (line[..colon].Equals("Comment", StringComparison.OrdinalIgnoreCase)) comment = value.Trim('"');
                continue;
            }
            base64.Append(line);
        }
        byte[] blob;
        try { blob = Convert.FromBase64String(base64.ToString()); }
        catch (FormatException) { throw new SshKeyFormatException(SshKeyError.InvalidBase64, "The key data is not valid base64; it may be damaged or truncated."); }
        return new ParsedPublicKey(SshPublicKey.FromBlob(blob, comment), "RFC 4716", false);
    }

    private static ParsedPublicKey ParsePem(string text)
    {
        var m = PemBlock().Match(text);
        if (!m.Success) throw new SshKeyFormatException(SshKeyError.Truncated, "The PEM key ends early: its END line is missing.");
        if (PemBlock().Matches(text).Count > 1)
            throw new SshKeyFormatException(SshKeyError.MultipleKeys, "The text holds more than one key; add them one at a time.");
        var label = m.Groups["label"].Value;
        byte[] der;
        try { der = Convert.FromBase64String(string.Concat(m.Groups["body"].Value.Where(c => !char.IsWhiteSpace(c)))); }
        catch (FormatException) { throw new SshKeyFormatException(SshKeyError.InvalidBase64, "The key data is not valid base64; it may be damaged or truncated."); }
        try
        {
            return label switch
            {
                "RSA PUBLIC KEY" => FromRsa(der, pkcs1: true),
                "PUBLIC KEY" => FromSubjectPublicKeyInfo(der),
                _ => throw new SshKeyFormatException(SshKeyError.NotOpenSshFormat, $"A PEM '{label}' block is not a public key."),
            };
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException)
        {
            throw new SshKeyFormatException(SshKeyError.Truncated, "The key data is damaged or truncated.");
        }
    }

    private static ParsedPublicKey FromSubjectPublicKeyInfo(byte[] der)
    {
        var reader = new AsnReader(der, AsnEncodingRules.DER);
        var spki = reader.ReadSequence();
        var algorithm = spki.ReadSequence();
        var oid = algorithm.ReadObjectIdentifier();
        switch (oid)
        {
            case "1.2.840.113549.1.1.1":
                return FromRsa(der, pkcs1: false);
            case "1.2.840.10045.2.1":
            {
                // The named curve is checked before the import: given a curve OID it does not know, OpenSSL's import
                // throws PlatformNotSupportedException, not CryptographicException (found by tests/Wharf.Fuzz, key-text).
                var curveOid = algorithm.HasData && algorithm.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier)
                    ? algorithm.ReadObjectIdentifier()
                    : null;
                if (curveOid is not ("1.2.840.10045.3.1.7" or "1.3.132.0.34" or "1.3.132.0.35")) throw UnsupportedCurve();
                using var ec = ECDsa.Create();
                ec.ImportSubjectPublicKeyInfo(der, out _);
                var p = ec.ExportParameters(false);
                var (type, curve) = p.Curve.Oid.Value switch
                {
                    "1.2.840.10045.3.1.7" => (SshKeyTypes.EcdsaP256, "nistp256"),
                    "1.3.132.0.34" => (SshKeyTypes.EcdsaP384, "nistp384"),
                    "1.3.132.0.35" => (SshKeyTypes.EcdsaP521, "nistp521"),
                    _ => throw UnsupportedCurve(),
                };
                var w = new SshWriter();
                w.WriteString(type);
                w.WriteString(curve);
                w.WriteBinary([0x04, .. p.Q.X!, .. p.Q.Y!]);
                return new ParsedPublicKey(SshPublicKey.FromBlob(w.WrittenSpan), "PEM", false);
            }
            case "1.3.101.112":
            {
                var point = spki.ReadBitString(out _);
                var w = new SshWriter();
                w.WriteString(SshKeyTypes.Ed25519);
                w.WriteBinary(point);
                return new ParsedPublicKey(SshPublicKey.FromBlob(w.WrittenSpan), "PEM", false);
            }
            case "1.2.840.10040.4.1":
                throw new SshKeyFormatException(SshKeyError.UnsupportedType, "DSA keys are not accepted. Make an ed25519 key: ssh-keygen -t ed25519");
            default:
                throw new SshKeyFormatException(SshKeyError.UnsupportedType, $"The PEM key's algorithm ({oid}) is not supported.");
        }
    }

    private static SshKeyFormatException UnsupportedCurve() =>
        new(SshKeyError.UnsupportedType, "Only the NIST P-256, P-384 and P-521 curves are supported for ECDSA keys.");

    private static ParsedPublicKey FromRsa(byte[] der, bool pkcs1)
    {
        using var rsa = RSA.Create();
        if (pkcs1) rsa.ImportRSAPublicKey(der, out _);
        else rsa.ImportSubjectPublicKeyInfo(der, out _);
        var p = rsa.ExportParameters(false);
        var w = new SshWriter();
        w.WriteString(SshKeyTypes.Rsa);
        w.WriteMPInt(p.Exponent);
        w.WriteMPInt(p.Modulus);
        return new ParsedPublicKey(SshPublicKey.FromBlob(w.WrittenSpan), "PEM", false);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^[A-Za-z0-9+/=]+\z")]
    private static partial Regex Base64Piece();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9@.\-]*\z")]
    private static partial Regex KeyTypeLike();

    // authorized_keys options (sshd(8) AUTHORIZED_KEYS FILE FORMAT): comma-separated, quoted values may hold spaces.
    // One option, then ",option" repeated: no nested ambiguity, so no catastrophic backtracking on long
    // base64 lines; the timeout is a second line of defence for hostile input.
    [GeneratedRegex(@"^[A-Za-z0-9\-]+(?:=""(?:[^""\\]|\\.)*"")?(?:,[A-Za-z0-9\-]+(?:=""(?:[^""\\]|\\.)*"")?)*\s+(?<key>(?:ssh-|ecdsa-|sk-)\S+\s+\S+.*)\z", RegexOptions.None, matchTimeoutMilliseconds: 200)]
    private static partial Regex OptionsThenType();

    [GeneratedRegex(@"-----BEGIN (?<label>[A-Z0-9 ]+)-----(?<body>[\s\S]*?)-----END \k<label>-----")]
    private static partial Regex PemBlock();
}
