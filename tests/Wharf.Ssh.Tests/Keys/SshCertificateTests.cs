using Wharf.Ssh.Keys;
using Wharf.Ssh.Tests.Support;

namespace Wharf.Ssh.Tests.Keys;

/// <summary>OpenSSH certificates (PROTOCOL.certkeys) made by the real <c>ssh-keygen -s</c>, read and verified by <see cref="SshCertificate"/>.</summary>
public sealed class SshCertificateTests : IDisposable
{
    private readonly CertificateAuthority _ca = new();

    public void Dispose() => _ca.Dispose();

    [Theory]
    [InlineData("ed25519", "ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519")]
    [InlineData("ecdsa:256", "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256")]
    [InlineData("ecdsa:384", "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384")]
    [InlineData("ecdsa:521", "ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521")]
    [InlineData("rsa:3072", "ssh-rsa-cert-v01@openssh.com", "ssh-rsa")]
    [InlineData("sk-ed25519", "sk-ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com")]
    [InlineData("sk-ecdsa", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")]
    public void EveryUserKeyTypeIsReadWithAllItsFieldsAndItsSignatureVerifies(string keyType, string certificateType, string plainType)
    {
        var path = keyType switch
        {
            "sk-ed25519" => _ca.SecurityKeyPublicKey("user", Plain(_ca.NewKey("plain", "ed25519"))),
            "sk-ecdsa" => _ca.SecurityKeyPublicKey("user", Plain(_ca.NewKey("plain", "ecdsa:256"))),
            _ => _ca.NewKey("user", keyType),
        };
        var line = _ca.Sign(path, "alice@laptop", "alice,ops", "-z", "42", "-V", "20260101000000Z:20270101000000Z",
            "-O", "clear", "-O", "permit-pty", "-O", "force-command=git-upload-pack 'alice/site.git'", "-O", "source-address=127.0.0.1/32,::1");

        var cert = SshCertificate.ParseOpenSsh(line);

        Assert.Equal(certificateType, cert.CertificateType);
        Assert.Equal(plainType, cert.Key.KeyType);
        Assert.Equal(Plain(path), cert.Key);
        Assert.Equal(32, cert.Nonce.Length);
        Assert.Equal(42UL, cert.Serial);
        Assert.Equal(SshCertificateKind.User, cert.Kind);
        Assert.Equal("alice@laptop", cert.KeyId);
        Assert.Equal(["alice", "ops"], cert.Principals);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), cert.ValidAfter);
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), cert.ValidBefore);
        Assert.Equal(
            [new SshCertificateOption("force-command", "git-upload-pack 'alice/site.git'"), new SshCertificateOption("source-address", "127.0.0.1/32,::1")],
            cert.CriticalOptions);
        Assert.Equal([new SshCertificateOption("permit-pty", "")], cert.Extensions);
        Assert.Equal(_ca.CaPublicKey, cert.SignatureKey);
        Assert.Equal("ssh-ed25519", cert.SignatureAlgorithm);
        Assert.True(cert.VerifySignature());
    }

    [Theory]
    [InlineData("rsa:3072", "rsa-sha2-512", null)]
    [InlineData("rsa:3072", "rsa-sha2-256", "rsa-sha2-256")]
    [InlineData("ecdsa:384", "ecdsa-sha2-nistp384", null)]
    [InlineData("ed25519", "ssh-ed25519", null)]
    public void AuthoritiesOfEachTypeAreVerified(string caType, string expectedAlgorithm, string? signingAlgorithm)
    {
        using var ca = new CertificateAuthority(caType);
        var user = ca.NewKey("user", "ed25519");
        var line = signingAlgorithm is null ? ca.Sign(user, "id", "alice") : ca.Sign(user, "id", "alice", "-t", signingAlgorithm);
        var cert = SshCertificate.ParseOpenSsh(line);
        Assert.Equal(expectedAlgorithm, cert.SignatureAlgorithm);
        Assert.Equal(ca.CaPublicKey, cert.SignatureKey);
        Assert.True(cert.VerifySignature());
    }

    [Fact]
    public void AnAuthoritySignatureMadeWithSha1RsaIsNotAccepted()
    {
        using var ca = new CertificateAuthority("rsa:3072");
        var cert = SshCertificate.ParseOpenSsh(ca.Sign(ca.NewKey("user", "ed25519"), "id", "alice", "-t", "ssh-rsa"));
        Assert.Equal("ssh-rsa", cert.SignatureAlgorithm);
        Assert.False(cert.VerifySignature());
    }

    [Fact]
    public void ATamperedCertificateFailsVerification()
    {
        var line = _ca.Sign(_ca.NewKey("user", "ed25519"), "alice-key", "alice");
        var blob = Convert.FromBase64String(line.Split(' ')[1]);
        // The key id "alice-key" becomes "blice-key": still a well-formed certificate, but not the one the CA signed.
        var at = blob.AsSpan().IndexOf("alice-key"u8);
        blob[at] = (byte)'b';
        var cert = SshCertificate.Parse(blob);
        Assert.Equal("blice-key", cert.KeyId);
        Assert.False(cert.VerifySignature());
    }

    [Fact]
    public void ACertificateWithAnotherAuthoritysKeyPutInFailsVerification()
    {
        using var other = new CertificateAuthority();
        var line = _ca.Sign(_ca.NewKey("user", "ed25519"), "alice-key", "alice");
        var blob = Convert.FromBase64String(line.Split(' ')[1]);
        var caBlob = _ca.CaPublicKey.BlobArray();
        var at = blob.AsSpan().IndexOf(caBlob);
        other.CaPublicKey.Blob.CopyTo(blob.AsSpan(at));
        var cert = SshCertificate.Parse(blob);
        Assert.Equal(other.CaPublicKey, cert.SignatureKey);
        Assert.False(cert.VerifySignature());
    }

    [Fact]
    public void AHostCertificateIsReadAsOne()
    {
        var cert = SshCertificate.ParseOpenSsh(_ca.Sign(_ca.NewKey("host", "ed25519"), "git.example.com", "git.example.com", "-h"));
        Assert.Equal(SshCertificateKind.Host, cert.Kind);
        Assert.True(cert.VerifySignature());
    }

    [Fact]
    public void TheValidityWindowAllowsTheGivenSkewAndForeverHasNoEnd()
    {
        var cert = SshCertificate.ParseOpenSsh(_ca.Sign(_ca.NewKey("user", "ed25519"), "id", "alice", "-V", "20260101000000Z:20260102000000Z"));
        var skew = TimeSpan.FromMinutes(5);
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var end = start.AddDays(1);
        Assert.True(cert.IsValidAt(start.AddHours(1), skew));
        Assert.True(cert.IsValidAt(start.AddMinutes(-4), skew));
        Assert.False(cert.IsValidAt(start.AddMinutes(-6), skew));
        Assert.True(cert.IsValidAt(end.AddMinutes(4), skew));
        Assert.False(cert.IsValidAt(end.AddMinutes(6), skew));
        Assert.False(cert.IsValidAt(end, TimeSpan.Zero));

        var forever = SshCertificate.ParseOpenSsh(_ca.Sign(_ca.NewKey("user2", "ed25519"), "id", "alice"));
        Assert.Equal(SshCertificate.Forever, forever.ValidBeforeSeconds);
        Assert.Equal(DateTimeOffset.MaxValue, forever.ValidBefore);
        Assert.True(forever.IsValidAt(new DateTimeOffset(9000, 1, 1, 0, 0, 0, TimeSpan.Zero), TimeSpan.Zero));

        // An end far past what DateTimeOffset holds (but not "forever") is clamped, and the skew does not overflow.
        var far = SshCertificate.ParseOpenSsh(_ca.Sign(_ca.NewKey("user3", "ed25519"), "id", "alice", "-V", "20260101000000Z:99991231235959Z"));
        Assert.True(far.IsValidAt(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), skew));
    }

    [Fact]
    public void DamagedCertificatesAreRefusedWithAFormatError()
    {
        var line = _ca.Sign(_ca.NewKey("user", "ed25519"), "id", "alice");
        var blob = Convert.FromBase64String(line.Split(' ')[1]);
        var cut = Assert.Throws<SshKeyFormatException>(() => SshCertificate.Parse(blob.AsSpan(0, blob.Length - 10)));
        Assert.Equal("The certificate data is damaged or truncated.", cut.Message);
        var trailing = Assert.Throws<SshKeyFormatException>(() => SshCertificate.Parse([.. blob, 0]));
        Assert.Equal("The certificate has unexpected bytes after the signature.", trailing.Message);
        var plain = Assert.Throws<SshKeyFormatException>(() => SshCertificate.ParseOpenSsh(File.ReadAllText(_ca.CaPath + ".pub")));
        Assert.Equal("The text is not an OpenSSH certificate: expected 'TYPE-cert-v01@openssh.com BASE64'.", plain.Message);
    }

    [Theory]
    [InlineData("rsa-sha2-256-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com", "rsa-sha2-256")]
    [InlineData("rsa-sha2-512-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com", "rsa-sha2-512")]
    [InlineData("ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519")]
    [InlineData("sk-ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com")]
    [InlineData("ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521")]
    public void CertificateAlgorithmsNameTheBlobTypeAndTheSignatureAlgorithm(string algorithm, string certificateType, string signatureAlgorithm) =>
        Assert.Equal((certificateType, signatureAlgorithm), SshCertificate.ForAuthenticationAlgorithm(algorithm));

    [Theory]
    [InlineData("ssh-rsa-cert-v01@openssh.com")]
    [InlineData("ssh-dss-cert-v01@openssh.com")]
    [InlineData("ssh-ed25519")]
    public void Sha1RsaDsaAndPlainAlgorithmsAreNoCertificateAlgorithm(string algorithm) =>
        Assert.Null(SshCertificate.ForAuthenticationAlgorithm(algorithm));

    private static SshPublicKey Plain(string path) => SshPublicKey.ParseOpenSsh(File.ReadAllText(path + ".pub"));
}
