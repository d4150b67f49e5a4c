using System.Security.Cryptography;
using System.Text;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.Tests.Keys;

public class SshSignatureTests
{
    private static readonly byte[] Message = Encoding.UTF8.GetBytes(SshSigFixtures.Message);

    public static TheoryData<string, string, string> OpenSshSignatures => new()
    {
        { SshSigFixtures.Ed25519Key, SshSigFixtures.Ed25519Sig, "ssh-ed25519" },
        { SshSigFixtures.EcdsaP256Key, SshSigFixtures.EcdsaP256Sig, "ecdsa-sha2-nistp256" },
        { SshSigFixtures.EcdsaP384Key, SshSigFixtures.EcdsaP384Sig, "ecdsa-sha2-nistp384" },
        { SshSigFixtures.EcdsaP521Key, SshSigFixtures.EcdsaP521Sig, "ecdsa-sha2-nistp521" },
        { SshSigFixtures.Rsa3072Key, SshSigFixtures.Rsa3072Sig, "rsa-sha2-512" },
        { SshSigFixtures.Ed25519Key, SshSigFixtures.Ed25519Sha256HashSig, "ssh-ed25519" },
    };

    [Theory]
    [MemberData(nameof(OpenSshSignatures))]
    public void SignaturesMadeBySshKeygenVerify(string publicKey, string armored, string algorithm)
    {
        var sig = SshSignature.ParseArmored(armored);
        Assert.Equal(SshPublicKey.ParseOpenSsh(publicKey), sig.PublicKey);
        Assert.Equal("git", sig.Namespace);
        Assert.Equal(algorithm, sig.SignatureAlgorithm);
        Assert.Equal(SshSignatureCheck.Good, sig.Verify(Message, "git"));
    }

    [Fact]
    public void TheHashAlgorithmIsReadFromTheSignature()
    {
        Assert.Equal("sha512", SshSignature.ParseArmored(SshSigFixtures.Ed25519Sig).HashAlgorithm);
        Assert.Equal("sha256", SshSignature.ParseArmored(SshSigFixtures.Ed25519Sha256HashSig).HashAlgorithm);
    }

    [Theory]
    [MemberData(nameof(OpenSshSignatures))]
    public void TamperedMessageIsABadSignature(string publicKey, string armored, string algorithm)
    {
        _ = publicKey; _ = algorithm;
        var tampered = (byte[])Message.Clone();
        tampered[0] ^= 0x20;
        Assert.Equal(SshSignatureCheck.BadSignature, SshSignature.ParseArmored(armored).Verify(tampered, "git"));
    }

    [Fact]
    public void ASignatureForAnotherNamespaceIsToldApart()
    {
        var sig = SshSignature.ParseArmored(SshSigFixtures.Ed25519FileNamespaceSig);
        Assert.Equal("file", sig.Namespace);
        Assert.Equal(SshSignatureCheck.WrongNamespace, sig.Verify(Message, "git"));
        Assert.Equal(SshSignatureCheck.Good, sig.Verify(Message, "file"));
    }

    [Fact]
    public void ChangingTheNamespaceInTheBlobBreaksTheSignature()
    {
        // The namespace is signed: rewriting "file" to "gitx" in place must not verify.
        var sig = SshSignature.ParseArmored(SshSigFixtures.Ed25519FileNamespaceSig);
        var blob = Unarmor(SshSigFixtures.Ed25519FileNamespaceSig);
        var text = Encoding.ASCII.GetString(blob);
        var at = text.IndexOf("\0\0\0\u0004file", StringComparison.Ordinal);
        Assert.True(at > 0);
        Encoding.ASCII.GetBytes("\0\0\0\u0004gitx").CopyTo(blob, at);
        var forged = SshSignature.FromBlob(blob);
        Assert.Equal("gitx", forged.Namespace);
        Assert.Equal(SshSignatureCheck.BadSignature, forged.Verify(Message, "gitx"));
        Assert.Equal(SshSignatureCheck.Good, sig.Verify(Message, "file"));
    }

    [Fact]
    public void ASignatureWithAnotherKeySwappedInDoesNotVerify()
    {
        var ed = SshPublicKey.ParseOpenSsh(SshSigFixtures.Ed25519Key);
        var other = SshPublicKey.ParseOpenSsh(KeyFixtures.Ed25519);
        var blob = Unarmor(SshSigFixtures.Ed25519Sig);
        var at = blob.AsSpan().IndexOf(ed.Blob);
        Assert.Equal(ed.Blob.Length, other.Blob.Length);
        other.Blob.CopyTo(blob.AsSpan(at));
        Assert.Equal(SshSignatureCheck.BadSignature, SshSignature.FromBlob(blob).Verify(Message, "git"));
    }

    [Theory]
    [InlineData("", "The signature does not start with '-----BEGIN SSH SIGNATURE-----'.")]
    [InlineData("-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----", "The signature does not start with '-----BEGIN SSH SIGNATURE-----'.")]
    [InlineData("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n", "The signature does not end with '-----END SSH SIGNATURE-----'.")]
    [InlineData("-----BEGIN SSH SIGNATURE-----\n!!!!\n-----END SSH SIGNATURE-----", "The signature is not valid base64.")]
    [InlineData("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----", "The signature is damaged or truncated.")]
    [InlineData("-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAg==\n-----END SSH SIGNATURE-----", "SSH signature version 2 is not supported; only version 1 is.")]
    [InlineData("-----BEGIN SSH SIGNATURE-----\nU1NIU0lJAAAAAQ==\n-----END SSH SIGNATURE-----", "The data is not an SSH signature (no SSHSIG preamble).")]
    public void MalformedArmorIsRefusedWithAReason(string text, string message)
    {
        var e = Assert.Throws<SshSignatureFormatException>(() => SshSignature.ParseArmored(text));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void AnUnknownHashAlgorithmIsRefused()
    {
        var key = Ed25519Software.Create();
        var blob = Build(key.PublicBlob, "git", "sha1", Message, key.SignInner, hashOverride: SHA1.HashData);
        var e = Assert.Throws<SshSignatureFormatException>(() => SshSignature.FromBlob(blob));
        Assert.Equal("The hash algorithm 'sha1' is not supported; sha256 and sha512 are.", e.Message);
    }

    [Fact]
    public void TrailingBytesAreRefused()
    {
        var blob = Unarmor(SshSigFixtures.Ed25519Sig).Concat(new byte[] { 0 }).ToArray();
        Assert.Equal("The signature has unexpected bytes after it.", Assert.Throws<SshSignatureFormatException>(() => SshSignature.FromBlob(blob)).Message);
    }

    [Fact]
    public void RsaSha256SignaturesVerifyAndSha1SshRsaSignaturesAreRefused()
    {
        using var rsa = RSA.Create(2048);
        var p = rsa.ExportParameters(false);
        var w = new SshWriter();
        w.WriteString("ssh-rsa"); w.WriteMPInt(p.Exponent); w.WriteMPInt(p.Modulus);
        var keyBlob = w.ToArray();
        byte[] Inner(string alg, HashAlgorithmName h, byte[] data)
        {
            var s = new SshWriter();
            s.WriteString(alg);
            s.WriteBinary(rsa.SignData(data, h, RSASignaturePadding.Pkcs1));
            return s.ToArray();
        }
        var good = SshSignature.FromBlob(Build(keyBlob, "git", "sha512", Message, d => Inner("rsa-sha2-256", HashAlgorithmName.SHA256, d)));
        Assert.Equal(SshSignatureCheck.Good, good.Verify(Message, "git"));
        var sha1 = SshSignature.FromBlob(Build(keyBlob, "git", "sha512", Message, d => Inner("ssh-rsa", HashAlgorithmName.SHA1, d)));
        Assert.Equal("ssh-rsa", sha1.SignatureAlgorithm);
        Assert.Equal(SshSignatureCheck.BadSignature, sha1.Verify(Message, "git"));
    }

    // Security-key signatures cannot be made here without an authenticator, so these vectors are built by hand from
    // PROTOCOL.u2f with software keys: the authenticator signs SHA256(application) || flags || counter ||
    // SHA256(message), and the signature blob carries flags and counter after the signature.

    [Theory]
    [InlineData(0x01, SshSignatureCheck.Good)]
    [InlineData(0x05, SshSignatureCheck.Good)]
    [InlineData(0x00, SshSignatureCheck.BadSignature)]
    public void SkEd25519SignaturesVerifyOnlyWithUserPresence(byte flags, SshSignatureCheck expected)
    {
        var key = Ed25519Software.Create();
        var w = new SshWriter();
        w.WriteString("sk-ssh-ed25519@openssh.com"); w.WriteBinary(key.Public); w.WriteString("ssh:");
        var keyBlob = w.ToArray();
        var blob = Build(keyBlob, "git", "sha512", Message, d =>
        {
            var signed = SkSignedData("ssh:", flags, 7, d);
            var sig = new byte[Geralt.Ed25519.SignatureSize];
            Geralt.Ed25519.Sign(sig, signed, key.Private);
            var s = new SshWriter();
            s.WriteString("sk-ssh-ed25519@openssh.com"); s.WriteBinary(sig); s.WriteByte(flags); s.WriteUInt32(7);
            return s.ToArray();
        });
        var parsed = SshSignature.FromBlob(blob);
        Assert.Equal("sk-ssh-ed25519@openssh.com", parsed.PublicKey.KeyType);
        Assert.Equal(expected, parsed.Verify(Message, "git"));
    }

    [Fact]
    public void SkEcdsaSignaturesVerifyAndTheApplicationIsSigned()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = ec.ExportParameters(false).Q;
        byte[] KeyBlob(string app)
        {
            var w = new SshWriter();
            w.WriteString("sk-ecdsa-sha2-nistp256@openssh.com"); w.WriteString("nistp256");
            w.WriteBinary([0x04, .. q.X!, .. q.Y!]); w.WriteString(app);
            return w.ToArray();
        }
        byte[] Inner(byte[] d)
        {
            var signed = SkSignedData("ssh:", 0x01, 42, d);
            var rs = ec.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            var sig = new SshWriter();
            sig.WriteMPInt(rs.AsSpan(0, 32)); sig.WriteMPInt(rs.AsSpan(32));
            var s = new SshWriter();
            s.WriteString("sk-ecdsa-sha2-nistp256@openssh.com"); s.WriteBinary(sig.WrittenSpan); s.WriteByte(0x01); s.WriteUInt32(42);
            return s.ToArray();
        }
        Assert.Equal(SshSignatureCheck.Good, SshSignature.FromBlob(Build(KeyBlob("ssh:"), "git", "sha256", Message, Inner)).Verify(Message, "git"));
        // The same signature claimed for a key with another application does not verify.
        Assert.Equal(SshSignatureCheck.BadSignature, SshSignature.FromBlob(Build(KeyBlob("ssh:other"), "git", "sha256", Message, Inner)).Verify(Message, "git"));
    }

    private static byte[] SkSignedData(string application, byte flags, uint counter, byte[] message)
    {
        var s = new byte[32 + 1 + 4 + 32];
        SHA256.HashData(Encoding.UTF8.GetBytes(application), s.AsSpan(0, 32));
        s[32] = flags;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(s.AsSpan(33), counter);
        SHA256.HashData(message, s.AsSpan(37));
        return s;
    }

    /// <summary>An SSHSIG blob built from PROTOCOL.sshsig; <paramref name="signInner"/> signs the signed-data blob.</summary>
    private static byte[] Build(byte[] keyBlob, string ns, string hash, byte[] message, Func<byte[], byte[]> signInner, Func<byte[], byte[]>? hashOverride = null)
    {
        var digest = hashOverride is not null ? hashOverride(message) : hash == "sha256" ? SHA256.HashData(message) : SHA512.HashData(message);
        var toSign = new SshWriter();
        toSign.WriteRaw("SSHSIG"u8); toSign.WriteString(ns); toSign.WriteString(""); toSign.WriteString(hash); toSign.WriteBinary(digest);
        var w = new SshWriter();
        w.WriteRaw("SSHSIG"u8); w.WriteUInt32(1); w.WriteBinary(keyBlob); w.WriteString(ns); w.WriteString(""); w.WriteString(hash);
        w.WriteBinary(signInner(toSign.ToArray()));
        return w.ToArray();
    }

    private static byte[] Unarmor(string armored) =>
        Convert.FromBase64String(string.Concat(armored.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal)).Select(l => l.Trim())));

    private sealed record Ed25519Software(byte[] Public, byte[] Private)
    {
        public static Ed25519Software Create()
        {
            var pk = new byte[Geralt.Ed25519.PublicKeySize];
            var sk = new byte[Geralt.Ed25519.PrivateKeySize];
            Geralt.Ed25519.GenerateKeyPair(pk, sk);
            return new Ed25519Software(pk, sk);
        }

        public byte[] PublicBlob
        {
            get
            {
                var w = new SshWriter();
                w.WriteString("ssh-ed25519"); w.WriteBinary(Public);
                return w.ToArray();
            }
        }

        public byte[] SignInner(byte[] data)
        {
            var sig = new byte[Geralt.Ed25519.SignatureSize];
            Geralt.Ed25519.Sign(sig, data, Private);
            var s = new SshWriter();
            s.WriteString("ssh-ed25519"); s.WriteBinary(sig);
            return s.ToArray();
        }
    }
}
