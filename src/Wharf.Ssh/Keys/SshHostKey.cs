using System.Security.Cryptography;
using System.Text;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.Keys;

/// <summary>
/// A server host key with its private half: Ed25519, or RSA for clients pinned to RSA host keys.
/// Stored on disk in OpenSSH's own private key format (PROTOCOL.key, unencrypted), so an operator can
/// inspect it with <c>ssh-keygen -l -f</c>, and several nodes can share one file.
/// </summary>
public sealed class SshHostKey
{
    private const string Armor = "OPENSSH PRIVATE KEY";
    private static readonly byte[] AuthMagic = "openssh-key-v1\0"u8.ToArray();

    /// <summary>RSA host keys below this are refused: ssh-audit fails under 2048 bits, and 3072 matches ssh-keygen's default.</summary>
    public const int MinimumRsaHostKeyBits = 3072;

    // Ed25519 private key as libsodium wants it: seed (32) followed by the public key (32). Null for RSA.
    private readonly byte[]? _ed25519Private;
    private readonly RSA? _rsa;

    private SshHostKey(byte[] ed25519Private, string comment)
    {
        _ed25519Private = ed25519Private;
        Comment = comment;
        var w = new SshWriter();
        w.WriteString(SshKeyTypes.Ed25519);
        w.WriteBinary(ed25519Private.AsSpan(32, 32));
        PublicKey = SshPublicKey.FromBlob(w.WrittenSpan, comment);
        Algorithms = [SshKeyTypes.Ed25519];
    }

    private SshHostKey(RSA rsa, string comment)
    {
        _rsa = rsa;
        Comment = comment;
        var p = rsa.ExportParameters(false);
        var w = new SshWriter();
        w.WriteString(SshKeyTypes.Rsa);
        w.WriteMPInt(p.Exponent);
        w.WriteMPInt(p.Modulus);
        PublicKey = SshPublicKey.FromBlob(w.WrittenSpan, comment);
        if (PublicKey.Bits < MinimumRsaHostKeyBits)
            throw new InvalidDataException($"RSA host keys need at least {MinimumRsaHostKeyBits} bits; this one has {PublicKey.Bits}.");
        // SHA-2 only (RFC 8332); ssh-rsa with SHA-1 is never offered.
        Algorithms = [SshKeyTypes.RsaSha2_512, SshKeyTypes.RsaSha2_256];
    }

    public SshPublicKey PublicKey { get; }
    public string Comment { get; }

    /// <summary>The host key algorithm names this key can sign with, in preference order.</summary>
    public IReadOnlyList<string> Algorithms { get; }

    public static SshHostKey GenerateRsa(int bits = MinimumRsaHostKeyBits, string comment = "wharf host key") =>
        new(RSA.Create(Math.Max(bits, MinimumRsaHostKeyBits)), comment);

    /// <summary>Loads the RSA key at <paramref name="path"/>, or creates a 3072-bit one (mode 0600) when the file does not exist.</summary>
    public static SshHostKey LoadOrCreateRsa(string path) => LoadOrCreate(path, () => GenerateRsa());

    public static SshHostKey GenerateEd25519(string comment = "wharf host key")
    {
        var pub = new byte[Geralt.Ed25519.PublicKeySize];
        var priv = new byte[Geralt.Ed25519.PrivateKeySize];
        Geralt.Ed25519.GenerateKeyPair(pub, priv);
        return new SshHostKey(priv, comment);
    }

    /// <summary>Loads the key at <paramref name="path"/>, or creates it (mode 0600) when the file does not exist.</summary>
    public static SshHostKey LoadOrCreateEd25519(string path) => LoadOrCreate(path, () => GenerateEd25519());

    /// <summary>
    /// Several servers may share one data directory and start at the same moment: the first key to be moved
    /// into place wins, and the others load it, so every node presents the same host key.
    /// </summary>
    private static SshHostKey LoadOrCreate(string path, Func<SshHostKey> generate)
    {
        if (File.Exists(path)) return Load(path);
        var key = generate();
        return key.TrySaveNew(path) ? key : Load(path);
    }

    /// <summary>Signs <paramref name="data"/> and returns the SSH signature blob (<c>string alg, string sig</c>).</summary>
    internal byte[] Sign(string algorithm, ReadOnlySpan<byte> data)
    {
        if (!Algorithms.Contains(algorithm)) throw new InvalidOperationException($"Host key cannot sign with {algorithm}.");
        var w = new SshWriter(600);
        // The signature names the negotiated algorithm, never plain ssh-rsa (RFC 8332 §3).
        w.WriteString(algorithm);
        if (_rsa is not null)
        {
            var hash = algorithm == SshKeyTypes.RsaSha2_512 ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256;
            w.WriteBinary(_rsa.SignData(data.ToArray(), hash, RSASignaturePadding.Pkcs1));
        }
        else
        {
            Span<byte> sig = stackalloc byte[Geralt.Ed25519.SignatureSize];
            Geralt.Ed25519.Sign(sig, data, _ed25519Private);
            w.WriteBinary(sig);
        }
        return w.ToArray();
    }

    public void Save(string path) => File.Move(WriteTemporary(path), path, overwrite: true);

    /// <summary>Saves the key unless a file is already at <paramref name="path"/>; false when one was.</summary>
    private bool TrySaveNew(string path)
    {
        var tmp = WriteTemporary(path);
        try
        {
            File.Move(tmp, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(tmp);
            return false;
        }
    }

    /// <summary>Writes the key (mode 0600) to a file next to <paramref name="path"/> whose name no other process uses.</summary>
    private string WriteTemporary(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var f = new FileStream(tmp, options))
        using (var sw = new StreamWriter(f, new UTF8Encoding(false)))
        {
            sw.Write(ToOpenSshPrivateKey());
        }
        return tmp;
    }

    public static SshHostKey Load(string path) => ParseOpenSshPrivateKey(File.ReadAllText(path));

    internal string ToOpenSshPrivateKey()
    {
        var priv = new SshWriter();
        var check = (uint)Random.Shared.Next();
        priv.WriteUInt32(check);
        priv.WriteUInt32(check);
        if (_rsa is not null)
        {
            // PROTOCOL.key / sshkey.c order for RSA: n, e, d, iqmp, p, q.
            var p = _rsa.ExportParameters(true);
            priv.WriteString(SshKeyTypes.Rsa);
            priv.WriteMPInt(p.Modulus);
            priv.WriteMPInt(p.Exponent);
            priv.WriteMPInt(p.D);
            priv.WriteMPInt(p.InverseQ);
            priv.WriteMPInt(p.P);
            priv.WriteMPInt(p.Q);
        }
        else
        {
            priv.WriteString(SshKeyTypes.Ed25519);
            priv.WriteBinary(_ed25519Private.AsSpan(32, 32));
            priv.WriteBinary(_ed25519Private);
        }
        priv.WriteString(Comment);
        for (byte pad = 1; priv.Length % 8 != 0; pad++) priv.WriteByte(pad);

        var w = new SshWriter();
        w.WriteRaw(AuthMagic);
        w.WriteString("none");
        w.WriteString("none");
        w.WriteString("");
        w.WriteUInt32(1);
        w.WriteBinary(PublicKey.Blob);
        w.WriteBinary(priv.WrittenSpan);
        var b64 = Convert.ToBase64String(w.WrittenSpan);
        var sb = new StringBuilder();
        sb.Append("-----BEGIN ").Append(Armor).Append("-----\n");
        for (var i = 0; i < b64.Length; i += 70) sb.Append(b64.AsSpan(i, Math.Min(70, b64.Length - i))).Append('\n');
        sb.Append("-----END ").Append(Armor).Append("-----\n");
        return sb.ToString();
    }

    internal static SshHostKey ParseOpenSshPrivateKey(string text)
    {
        var begin = $"-----BEGIN {Armor}-----";
        var end = $"-----END {Armor}-----";
        var s = text.IndexOf(begin, StringComparison.Ordinal);
        var e = text.IndexOf(end, StringComparison.Ordinal);
        if (s < 0 || e < s) throw new InvalidDataException("Host key file is not an OpenSSH private key.");
        var data = Convert.FromBase64String(string.Concat(text[(s + begin.Length)..e].Where(c => !char.IsWhiteSpace(c))));
        try
        {
            if (!data.AsSpan().StartsWith(AuthMagic)) throw new InvalidDataException("Host key file has no openssh-key-v1 header.");
            var r = new SshReader(data.AsSpan(AuthMagic.Length));
            if (r.ReadString() != "none" || r.ReadString() != "none")
                throw new InvalidDataException("Encrypted host keys are not supported; store the host key without a passphrase.");
            r.ReadBinary();
            if (r.ReadUInt32() != 1) throw new InvalidDataException("Host key file must hold exactly one key.");
            r.ReadBinary();
            var pr = new SshReader(r.ReadBinary());
            if (pr.ReadUInt32() != pr.ReadUInt32()) throw new InvalidDataException("Host key file is damaged (check bytes differ).");
            var type = pr.ReadString();
            if (type == SshKeyTypes.Rsa) return ReadRsa(ref pr);
            if (type != SshKeyTypes.Ed25519) throw new InvalidDataException($"Host key type {type} is not supported here.");
            var pk = pr.ReadBinary();
            var sk = pr.ReadBinary();
            if (pk.Length != 32 || sk.Length != 64 || !sk[32..].SequenceEqual(pk)) throw new InvalidDataException("Host key file is damaged.");
            var comment = pr.ReadString();
            return new SshHostKey(sk.ToArray(), comment);
        }
        catch (SshProtocolException)
        {
            throw new InvalidDataException("Host key file is truncated.");
        }
    }

    private static SshHostKey ReadRsa(ref SshReader pr)
    {
        var n = pr.ReadMPIntUnsigned().ToArray();
        var e = pr.ReadMPIntUnsigned().ToArray();
        var d = pr.ReadMPIntUnsigned().ToArray();
        var iqmp = pr.ReadMPIntUnsigned().ToArray();
        var p = pr.ReadMPIntUnsigned().ToArray();
        var q = pr.ReadMPIntUnsigned().ToArray();
        var comment = pr.ReadString();
        // .NET wants D the size of the modulus and the CRT values half that, left-padded.
        var size = n.Length;
        var half = (size + 1) / 2;
        var dp = Pad(ToBig(d) % (ToBig(p) - 1), half);
        var dq = Pad(ToBig(d) % (ToBig(q) - 1), half);
        var rsa = RSA.Create();
        try
        {
            rsa.ImportParameters(new RSAParameters
            {
                Modulus = n, Exponent = e, D = Pad(ToBig(d), size),
                P = Pad(ToBig(p), half), Q = Pad(ToBig(q), half), DP = dp, DQ = dq, InverseQ = Pad(ToBig(iqmp), half),
            });
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
            throw new InvalidDataException("Host key file holds an invalid RSA key.");
        }
        return new SshHostKey(rsa, comment);
    }

    private static System.Numerics.BigInteger ToBig(byte[] b) => new(b, isUnsigned: true, isBigEndian: true);

    private static byte[] Pad(System.Numerics.BigInteger v, int size)
    {
        var b = v.ToByteArray(isUnsigned: true, isBigEndian: true);
        if (b.Length > size) throw new InvalidDataException("Host key file holds an invalid RSA key.");
        var r = new byte[size];
        b.CopyTo(r, size - b.Length);
        return r;
    }
}
