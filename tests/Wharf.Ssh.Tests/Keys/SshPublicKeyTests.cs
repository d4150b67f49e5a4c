using Wharf.Ssh.Keys;

namespace Wharf.Ssh.Tests.Keys;

public class SshPublicKeyTests
{
    [Theory]
    [InlineData(KeyFixtures.Ed25519, "ssh-ed25519", 256, KeyFixtures.Ed25519Sha256)]
    [InlineData(KeyFixtures.Rsa3072, "ssh-rsa", 3072, KeyFixtures.Rsa3072Sha256)]
    [InlineData(KeyFixtures.EcdsaP256, "ecdsa-sha2-nistp256", 256, KeyFixtures.EcdsaP256Sha256)]
    [InlineData(KeyFixtures.EcdsaP384, "ecdsa-sha2-nistp384", 384, KeyFixtures.EcdsaP384Sha256)]
    [InlineData(KeyFixtures.EcdsaP521, "ecdsa-sha2-nistp521", 521, KeyFixtures.EcdsaP521Sha256)]
    public void OpenSshLineGivesTypeBitsAndTheFingerprintSshKeygenPrints(string line, string type, int bits, string sha256)
    {
        var key = SshPublicKey.ParseOpenSsh(line);
        Assert.Equal(type, key.KeyType);
        Assert.Equal(bits, key.Bits);
        Assert.Equal(sha256, key.FingerprintSha256);
        Assert.Equal(line, key.ToOpenSshLine());
    }

    [Fact]
    public void Md5FingerprintMatchesSshKeygen()
    {
        var key = SshPublicKey.ParseOpenSsh(KeyFixtures.Ed25519);
        Assert.Equal(KeyFixtures.Ed25519Md5, key.FingerprintMd5);
        Assert.Equal("fixture@example.com", key.Comment);
    }

    [Fact]
    public void TruncatedKeyDataIsReportedAsDamaged()
    {
        var parts = KeyFixtures.Rsa3072.Split(' ');
        var truncated = parts[0] + " " + parts[1][..200];
        var e = Assert.Throws<SshKeyFormatException>(() => SshPublicKey.ParseOpenSsh(truncated));
        Assert.Equal(SshKeyError.Truncated, e.Error);
        Assert.Equal("The key data is damaged or truncated.", e.Message);
    }

    [Fact]
    public void TypeNameThatDisagreesWithTheDataIsRefused()
    {
        var parts = KeyFixtures.Ed25519.Split(' ');
        var e = Assert.Throws<SshKeyFormatException>(() => SshPublicKey.ParseOpenSsh("ssh-rsa " + parts[1]));
        Assert.Equal(SshKeyError.TypeMismatch, e.Error);
        Assert.Equal("The key says it is 'ssh-rsa' but its data is a 'ssh-ed25519' key.", e.Message);
    }

    [Theory]
    [InlineData("", SshKeyError.Empty)]
    [InlineData("ssh-ed25519", SshKeyError.NotOpenSshFormat)]
    [InlineData("ssh-dss AAAAB3NzaC1kc3MAAACBAP", SshKeyError.UnsupportedType)]
    [InlineData("ssh-ed25519 !!!notbase64!!!", SshKeyError.InvalidBase64)]
    public void MalformedLinesGetTheirOwnError(string line, SshKeyError error)
    {
        var e = Assert.Throws<SshKeyFormatException>(() => SshPublicKey.ParseOpenSsh(line));
        Assert.Equal(error, e.Error);
    }

    [Fact]
    public void TrailingBytesAfterTheKeyAreRefused()
    {
        var key = SshPublicKey.ParseOpenSsh(KeyFixtures.Ed25519);
        var blob = key.BlobArray().Concat(new byte[] { 0 }).ToArray();
        var e = Assert.Throws<SshKeyFormatException>(() => SshPublicKey.FromBlob(blob));
        Assert.Equal(SshKeyError.InvalidKeyData, e.Error);
    }

    [Fact]
    public void KeysAreEqualByBlobNotComment()
    {
        var a = SshPublicKey.ParseOpenSsh(KeyFixtures.Ed25519);
        var b = a.WithComment("other");
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }
}
