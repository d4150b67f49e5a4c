using Wharf.Ssh.Keys;

namespace Wharf.Ssh.Tests.Keys;

/// <summary>Every format people paste, and every refusal, with the exact message a person reads.</summary>
public class PublicKeyTextTests
{
    // PuTTYgen 0.78's "Save public key" output (RFC 4716), and the same key as PuTTYgen's one-line box.
    private const string PuttygenFile = "---- BEGIN SSH2 PUBLIC KEY ----\r\nComment: \"putty-key\"\r\nAAAAC3NzaC1lZDI1NTE5AAAAICv/nhyDbkN8Avzb36eQEj/t5syFBX4xQa+5BPje\r\nRSWs\r\n---- END SSH2 PUBLIC KEY ----\r\n";
    private const string PuttygenLine = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICv/nhyDbkN8Avzb36eQEj/t5syFBX4xQa+5BPjeRSWs putty-key";
    // ssh-keygen -e: RFC 4716 with a quoted comment header.
    private const string SshKeygenRfc4716 = "---- BEGIN SSH2 PUBLIC KEY ----\nComment: \"256-bit ED25519, converted by root@vm from OpenSSH\"\nAAAAC3NzaC1lZDI1NTE5AAAAIGC6H6ib1Gpq/poFUMSQXXsV0CzZRGeOartfDiRca9Xe\n---- END SSH2 PUBLIC KEY ----\n";
    private const string RsaPkcs8Pem = "-----BEGIN PUBLIC KEY-----\nMIIBojANBgkqhkiG9w0BAQEFAAOCAY8AMIIBigKCAYEAlI4VYxDptI1pAIE56SLt\n4SglqPuQ2zJX8mXbWdbI1dc2dgcmqpT1OJ/bSUQ2Rjdo0BYhGDUoEBDHnaGxx69I\n0t9hsuhOc02IQKRFpgcDJSOQEe82kpezsOYuBmJEUNkBq7BOVnKdLzIKwrr/wGVA\n4+8TTepP39mqO/b8cYnxxXxDQ27a4khFD3g1tztNdlp7tL8Y6pIXTDvDR3mqmVAd\nac3SrhHkgGVNxifV2Fph1qdECix20a8Ge836ITMq2btRR71Iad6nYqvW5OlLt59j\nTB/cvy7vTT/cdbILPEQ4+LggZfVAfPPbMSP5kDYGTbdoSaYxitXojAX90JGytsBo\nO999WAIE2ILhFJ16HWWyFO/DT47GEGi3ug1ZFAgmUc2jZ6NM1ROaocmeV0T50e1M\nEDAywjYjGEm2Bpl+it0C50jIAwh5fg9WjMm00/8jaNUYB4eTEVMtj5MNvrl+YXvs\nN87b4631i93BFG2xo8wdzU49IygKbEl2iZ+varw/LxxbAgMBAAE=\n-----END PUBLIC KEY-----\n";
    private const string RsaPkcs1Pem = "-----BEGIN RSA PUBLIC KEY-----\nMIIBigKCAYEAlI4VYxDptI1pAIE56SLt4SglqPuQ2zJX8mXbWdbI1dc2dgcmqpT1\nOJ/bSUQ2Rjdo0BYhGDUoEBDHnaGxx69I0t9hsuhOc02IQKRFpgcDJSOQEe82kpez\nsOYuBmJEUNkBq7BOVnKdLzIKwrr/wGVA4+8TTepP39mqO/b8cYnxxXxDQ27a4khF\nD3g1tztNdlp7tL8Y6pIXTDvDR3mqmVAdac3SrhHkgGVNxifV2Fph1qdECix20a8G\ne836ITMq2btRR71Iad6nYqvW5OlLt59jTB/cvy7vTT/cdbILPEQ4+LggZfVAfPPb\nMSP5kDYGTbdoSaYxitXojAX90JGytsBoO999WAIE2ILhFJ16HWWyFO/DT47GEGi3\nug1ZFAgmUc2jZ6NM1ROaocmeV0T50e1MEDAywjYjGEm2Bpl+it0C50jIAwh5fg9W\njMm00/8jaNUYB4eTEVMtj5MNvrl+YXvsN87b4631i93BFG2xo8wdzU49IygKbEl2\niZ+varw/LxxbAgMBAAE=\n-----END RSA PUBLIC KEY-----\n";
    private const string EcdsaPem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExH2CxZDu+IGtAgdJqeQx3AIJq6Y0\nKRQIEuK8ytXvqe4LT/imP2RT+auEiFTdE2jB1rMpgNyBHKHixaZeszXtwQ==\n-----END PUBLIC KEY-----\n";
    // openssl genpkey -algorithm ed25519 | openssl pkey -pubout
    private const string Ed25519Pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAugsRpDgrOAb+X70VjyQtAG+NykK4jMR73AsHlnJb6pU=\n-----END PUBLIC KEY-----\n";

    [Fact]
    public void OpenSshLineWithAnEmailCommentIsTakenAsIs()
    {
        var parsed = PublicKeyText.Parse(KeyFixtures.Ed25519 + "\n");
        Assert.Equal(KeyFixtures.Ed25519, parsed.Key.ToOpenSshLine());
        Assert.Equal("OpenSSH", parsed.Format);
        Assert.False(parsed.OptionsDropped);
    }

    [Fact]
    public void ALineBrokenByCopyAndPasteWithStraySpacesIsJoined()
    {
        var line = KeyFixtures.Rsa3072;
        var parts = line.Split(' ');
        var broken = "  " + parts[0] + "   " + string.Join("\r\n", Enumerable.Range(0, (parts[1].Length + 63) / 64).Select(i => parts[1].Substring(i * 64, Math.Min(64, parts[1].Length - i * 64)))) + "\n   " + parts[2] + "  \n";
        var parsed = PublicKeyText.Parse(broken);
        Assert.Equal(KeyFixtures.Rsa3072Sha256, parsed.Key.FingerprintSha256);
        Assert.Equal("fixture@example.com", parsed.Key.Comment);
    }

    [Fact]
    public void ATerminalWrapThatLeavesTheBase64EndAndTheCommentOnOneLineIsJoined()
    {
        // What a terminal shows of `cat id_rsa.pub`, copied line by line: the last line holds the tail of the
        // base64 and the comment.
        var line = KeyFixtures.Rsa3072;
        var head = line[..^30];
        var wrapped = string.Join("\n", head.Chunk(64).Select(c => new string(c))) + "\n" + line[^30..];
        Assert.Matches("^[A-Za-z0-9+/=]+ fixture@example.com$", wrapped.Split('\n')[^1]);
        var parsed = PublicKeyText.Parse(wrapped);
        Assert.Equal(KeyFixtures.Rsa3072Sha256, parsed.Key.FingerprintSha256);
        Assert.Equal("fixture@example.com", parsed.Key.Comment);
    }

    [Fact]
    public void ABreakRightAfterTheTypeNameIsJoined()
    {
        var parts = KeyFixtures.Ed25519.Split(' ');
        Assert.Equal(KeyFixtures.Ed25519Sha256, PublicKeyText.Parse(parts[0] + "\n" + parts[1]).Key.FingerprintSha256);
    }

    [Fact]
    public void AuthorizedKeysOptionsAreDroppedAndSaidSo()
    {
        var parsed = PublicKeyText.Parse("command=\"echo hi, there\",no-port-forwarding,no-pty " + KeyFixtures.EcdsaP256);
        Assert.True(parsed.OptionsDropped);
        Assert.Equal(KeyFixtures.EcdsaP256, parsed.Key.ToOpenSshLine());
    }

    [Fact]
    public void PuttygensSavedPublicKeyFileIsTheSameKeyAsItsOneLineBox()
    {
        var file = PublicKeyText.Parse(PuttygenFile);
        var line = PublicKeyText.Parse(PuttygenLine);
        Assert.Equal("RFC 4716", file.Format);
        Assert.Equal(line.Key, file.Key);
        Assert.Equal("putty-key", file.Key.Comment);
    }

    [Fact]
    public void SshKeygenRfc4716ExportIsRead()
    {
        var parsed = PublicKeyText.Parse(SshKeygenRfc4716);
        Assert.Equal(KeyFixtures.Ed25519Sha256, parsed.Key.FingerprintSha256);
        Assert.Equal("256-bit ED25519, converted by root@vm from OpenSSH", parsed.Key.Comment);
    }

    [Theory]
    [InlineData(RsaPkcs8Pem, KeyFixtures.Rsa3072Sha256)]
    [InlineData(RsaPkcs1Pem, KeyFixtures.Rsa3072Sha256)]
    [InlineData(EcdsaPem, KeyFixtures.EcdsaP256Sha256)]
    public void PemPublicKeysAreRead(string pem, string fingerprint)
    {
        var parsed = PublicKeyText.Parse(pem);
        Assert.Equal("PEM", parsed.Format);
        Assert.Equal(fingerprint, parsed.Key.FingerprintSha256);
    }

    // Found by the coverage-guided fuzzer (tests/Wharf.Fuzz, target key-text): an EC public key whose named curve
    // (1.2.840.10047.8577.7) OpenSSL does not know made the import throw PlatformNotSupportedException, which escaped the
    // parser (an error 500 instead of a refusal). The input is the fuzzer's, byte for byte.
    private const string EcdsaPemWithAnUnknownCurve = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj/DAQcDQgAEC/6y9nr4xwCyzQI1nYh8MKSx+jcZ\nWY82/LRC4372ELdcr0w05gO8CTEN0C2zGyntxE59nCC3HszyOolOstdtVA==\n-----END PUBLIC KEY-----\n";
    // secp256k1 (1.3.132.0.10; openssl ecparam -name secp256k1 -genkey | openssl ec -pubout): OpenSSL knows it, OpenSSH does not.
    private const string EcdsaPemSecp256k1 = "-----BEGIN PUBLIC KEY-----\nMFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAEeCWDoKZQr+MUEjP4Mk7fd6zpOfGpXfeL\nBExzy5EOwggGm3vo5+OW6Tz+2j/o+kLCYH2EjAP6tDf6ubhKlLhO+g==\n-----END PUBLIC KEY-----\n";

    [Theory]
    [InlineData(EcdsaPemWithAnUnknownCurve)]
    [InlineData(EcdsaPemSecp256k1)]
    public void EcdsaPemOnACurveOtherThanNistIsRefusedWithAKeyError(string pem)
    {
        var e = Assert.Throws<SshKeyFormatException>(() => PublicKeyText.Parse(pem));
        Assert.Equal(SshKeyError.UnsupportedType, e.Error);
        Assert.Equal("Only the NIST P-256, P-384 and P-521 curves are supported for ECDSA keys.", e.Message);
    }

    [Fact]
    public void Ed25519PemIsRead()
    {
        var parsed = PublicKeyText.Parse(Ed25519Pem);
        var der = Convert.FromBase64String("MCowBQYDK2VwAyEAugsRpDgrOAb+X70VjyQtAG+NykK4jMR73AsHlnJb6pU=");
        Assert.Equal("ssh-ed25519", parsed.Key.KeyType);
        Assert.Equal(Convert.ToHexString(der[^32..]), Convert.ToHexString(parsed.Key.BlobArray()[^32..]));
    }

    [Theory]
    [InlineData("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----\n")]
    [InlineData("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----")]
    [InlineData("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY-----")]
    [InlineData("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: putty-key\nPublic-Lines: 2\n")]
    public void PrivateKeysAreRefusedWithAdviceThatTheyMayBeExposed(string text)
    {
        var e = Assert.Throws<SshKeyFormatException>(() => PublicKeyText.Parse(text));
        Assert.Equal(SshKeyError.PrivateKey, e.Error);
        Assert.Equal("This is a private key. Paste the public key instead (the .pub file, or PuTTYgen's \"Public key for pasting\" box). " +
            "If this private key was sent anywhere, consider it exposed: make a new key pair.", e.Message);
    }

    [Fact]
    public void BitbucketsTruncatedSampleKeyIsReportedAsTruncated()
    {
        // The shape of the sample in Bitbucket's documentation: a real type name with base64 cut short.
        var e = Assert.Throws<SshKeyFormatException>(() => PublicKeyText.Parse("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCl2nF+a username@example.com"));
        Assert.Equal(SshKeyError.Truncated, e.Error);
        Assert.Equal("The key data is damaged or truncated.", e.Message);
    }

    [Fact]
    public void TwoKeysInOnePasteAreRefused()
    {
        var e = Assert.Throws<SshKeyFormatException>(() => PublicKeyText.Parse(KeyFixtures.Ed25519 + "\n" + KeyFixtures.EcdsaP256));
        Assert.Equal(SshKeyError.MultipleKeys, e.Error);
        Assert.Equal("The text holds more than one key; add them one at a time.", e.Message);
    }

    [Fact]
    public void DsaIsRefusedWithAdvice()
    {
        var e = Assert.Throws<SshKeyFormatException>(() => PublicKeyText.Parse("ssh-dss AAAAB3NzaC1kc3MAAACBAP1/U4EddRIpUt9KnC7s5Of2EbdSPO9EAMMeP4C2USZpRV1AIlH7WT2NWPq/xfW6MPbLm1Vs14E7gB00b/JmYLdrmVClpJ+f6AR7ECLCT7up1/63xhv4O1fnxqimFQ8E+4P208UewwI1VBNaFpEy9nXzrith1yrv8iIDGZ3RSAHHAAAAFQCXYFCPFSMLzLKSuYKi64QL8Fgc9QAAAIEA9+Gghdabo me"));
        Assert.Equal(SshKeyError.UnsupportedType, e.Error);
        Assert.StartsWith("DSA keys (ssh-dss) are not accepted", e.Message);
    }

    [Fact]
    public void OverLongInputIsRefusedBeforeParsing()
    {
        var e = Assert.Throws<SshKeyFormatException>(() => PublicKeyText.Parse(new string('A', 20000)));
        Assert.Equal(SshKeyError.TooLong, e.Error);
        Assert.Equal("The key text is 20000 characters long; a public key is never longer than 16384.", e.Message);
    }
}
