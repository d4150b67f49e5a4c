using System.Security.Cryptography;
using Wharf.Ssh.Authentication;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.Tests.Authentication;

public class SignatureVerifierTests
{
    private static readonly byte[] Message = "session id || userauth request"u8.ToArray();

    private static byte[] Blob(Action<SshWriter> write)
    {
        var w = new SshWriter();
        write(w);
        return w.ToArray();
    }

    private static (SshPublicKey Key, byte[] Private) NewEd25519(string type = SshKeyTypes.Ed25519, string? application = null)
    {
        var pk = new byte[32];
        var sk = new byte[64];
        Geralt.Ed25519.GenerateKeyPair(pk, sk);
        var blob = Blob(w =>
        {
            w.WriteString(type);
            w.WriteBinary(pk);
            if (application is not null) w.WriteString(application);
        });
        return (SshPublicKey.FromBlob(blob), sk);
    }

    private static byte[] SkSignedData(string application, byte flags, uint counter, byte[] message)
    {
        var w = new SshWriter();
        w.WriteRaw(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(application)));
        w.WriteByte(flags);
        w.WriteUInt32(counter);
        w.WriteRaw(SHA256.HashData(message));
        return w.ToArray();
    }

    [Fact]
    public void Ed25519SignatureVerifiesOnlyOverTheSignedData()
    {
        var (key, sk) = NewEd25519();
        var sig = new byte[64];
        Geralt.Ed25519.Sign(sig, Message, sk);
        var blob = Blob(w => { w.WriteString("ssh-ed25519"); w.WriteBinary(sig); });
        Assert.True(SignatureVerifier.Verify(key, "ssh-ed25519", blob, Message));
        Assert.False(SignatureVerifier.Verify(key, "ssh-ed25519", blob, "other data"u8));
        Assert.False(SignatureVerifier.Verify(key, "rsa-sha2-256", blob, Message));
    }

    [Theory]
    [InlineData("rsa-sha2-256")]
    [InlineData("rsa-sha2-512")]
    public void RsaSha2SignaturesVerifyAndSha1IsNeverAccepted(string algorithm)
    {
        using var rsa = RSA.Create(2048);
        var p = rsa.ExportParameters(false);
        var key = SshPublicKey.FromBlob(Blob(w => { w.WriteString("ssh-rsa"); w.WriteMPInt(p.Exponent); w.WriteMPInt(p.Modulus); }));
        var hash = algorithm == "rsa-sha2-512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256;
        var sig = rsa.SignData(Message, hash, RSASignaturePadding.Pkcs1);
        Assert.True(SignatureVerifier.Verify(key, algorithm, Blob(w => { w.WriteString(algorithm); w.WriteBinary(sig); }), Message));
        // A signature that names another algorithm than the request is refused (OpenSSH ssh-rsa.c).
        var other = algorithm == "rsa-sha2-512" ? "rsa-sha2-256" : "rsa-sha2-512";
        Assert.False(SignatureVerifier.Verify(key, other, Blob(w => { w.WriteString(algorithm); w.WriteBinary(sig); }), Message));
        var sha1 = rsa.SignData(Message, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);
        Assert.False(SignatureVerifier.Verify(key, "ssh-rsa", Blob(w => { w.WriteString("ssh-rsa"); w.WriteBinary(sha1); }), Message));
    }

    [Fact]
    public void RsaSignatureShorterThanTheModulusIsLeftPadded()
    {
        // About 1 in 256 RSA signatures has a leading zero byte that some signers strip (OpenSSH pads them back).
        using var rsa = RSA.Create(2048);
        var p = rsa.ExportParameters(false);
        var key = SshPublicKey.FromBlob(Blob(w => { w.WriteString("ssh-rsa"); w.WriteMPInt(p.Exponent); w.WriteMPInt(p.Modulus); }));
        for (var i = 0; i < 5000; i++)
        {
            var data = BitConverter.GetBytes(i);
            var sig = rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            if (sig[0] != 0) continue;
            Assert.True(SignatureVerifier.Verify(key, "rsa-sha2-256", Blob(w => { w.WriteString("rsa-sha2-256"); w.WriteBinary(sig.AsSpan(1)); }), data));
            return;
        }
        Assert.Fail("no signature with a leading zero byte in 5000 tries");
    }

    [Theory]
    [InlineData("ecdsa-sha2-nistp256", "nistp256")]
    [InlineData("ecdsa-sha2-nistp384", "nistp384")]
    [InlineData("ecdsa-sha2-nistp521", "nistp521")]
    public void EcdsaSignaturesVerify(string type, string curveName)
    {
        var (curve, hash) = curveName switch
        {
            "nistp256" => (ECCurve.NamedCurves.nistP256, HashAlgorithmName.SHA256),
            "nistp384" => (ECCurve.NamedCurves.nistP384, HashAlgorithmName.SHA384),
            _ => (ECCurve.NamedCurves.nistP521, HashAlgorithmName.SHA512),
        };
        using var ec = ECDsa.Create(curve);
        var key = SshPublicKey.FromBlob(EcdsaBlob(ec, type, curveName, null));
        var sig = EcdsaSignature(ec, Message, hash);
        Assert.True(SignatureVerifier.Verify(key, type, Blob(w => { w.WriteString(type); w.WriteBinary(sig); }), Message));
        Assert.False(SignatureVerifier.Verify(key, type, Blob(w => { w.WriteString(type); w.WriteBinary(sig); }), "tampered"u8));
    }

    [Fact]
    public void SecurityKeyEd25519NeedsTheUserPresenceFlag()
    {
        const string app = "ssh:";
        var (key, sk) = NewEd25519(SshKeyTypes.SkEd25519, app);
        byte[] Sign(byte flags)
        {
            var sig = new byte[64];
            Geralt.Ed25519.Sign(sig, SkSignedData(app, flags, 7, Message), sk);
            return Blob(w => { w.WriteString(SshKeyTypes.SkEd25519); w.WriteBinary(sig); w.WriteByte(flags); w.WriteUInt32(7); });
        }
        Assert.True(SignatureVerifier.Verify(key, SshKeyTypes.SkEd25519, Sign(0x01), Message));
        Assert.True(SignatureVerifier.Verify(key, SshKeyTypes.SkEd25519, Sign(0x05), Message));
        Assert.False(SignatureVerifier.Verify(key, SshKeyTypes.SkEd25519, Sign(0x00), Message));
        Assert.False(SignatureVerifier.Verify(key, SshKeyTypes.SkEd25519, Sign(0x04), Message));
    }

    [Fact]
    public void SecurityKeyEcdsaNeedsTheUserPresenceFlag()
    {
        const string app = "ssh:";
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = SshPublicKey.FromBlob(EcdsaBlob(ec, SshKeyTypes.SkEcdsaP256, "nistp256", app));
        Assert.Equal("ssh:", key.Application);
        byte[] Sign(byte flags)
        {
            var sig = EcdsaSignature(ec, SkSignedData(app, flags, 1, Message), HashAlgorithmName.SHA256);
            return Blob(w => { w.WriteString(SshKeyTypes.SkEcdsaP256); w.WriteBinary(sig); w.WriteByte(flags); w.WriteUInt32(1); });
        }
        Assert.True(SignatureVerifier.Verify(key, SshKeyTypes.SkEcdsaP256, Sign(0x01), Message));
        Assert.False(SignatureVerifier.Verify(key, SshKeyTypes.SkEcdsaP256, Sign(0x00), Message));
    }

    private static byte[] EcdsaBlob(ECDsa ec, string type, string curve, string? application)
    {
        var q = ec.ExportParameters(false).Q;
        return Blob(w =>
        {
            w.WriteString(type);
            w.WriteString(curve);
            w.WriteBinary([0x04, .. q.X!, .. q.Y!]);
            if (application is not null) w.WriteString(application);
        });
    }

    private static byte[] EcdsaSignature(ECDsa ec, byte[] data, HashAlgorithmName hash)
    {
        var raw = ec.SignData(data, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var half = raw.Length / 2;
        return Blob(w => { w.WriteMPInt(raw.AsSpan(0, half)); w.WriteMPInt(raw.AsSpan(half)); });
    }
}
