using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Configuration;
using Wharf.Core;
using Wharf.Core.Errors;
using Wharf.Server.Ssh;
using Wharf.Ssh.Keys;

namespace Wharf.Server.Tests;

/// <summary>
/// The certificate settings (<c>Ssh:TrustedUserCAKeys</c>, <c>Ssh:RevokedKeys</c>, <c>Ssh:RequireCertificates</c>,
/// <c>Ssh:CertificateClockSkew</c>) and the revocation list reader, with KRLs and certificates made by the real ssh-keygen.
/// </summary>
public sealed class UserCertificatesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("wharf-usercerts-").FullName;
    private readonly WharfPaths _paths;
    private readonly string _ca;

    public UserCertificatesTests()
    {
        _paths = new WharfPaths(Path.Combine(_root, "data"));
        Directory.CreateDirectory(_paths.DataDirectory);
        _ca = NewKey("ca");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string NewKey(string name)
    {
        var path = Path.Combine(_root, name);
        Keygen("-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path);
        return path;
    }

    private SshCertificate Sign(string name, string keyId, ulong serial, params string[] options)
    {
        var key = NewKey(name);
        Keygen(["-q", "-s", _ca, "-I", keyId, "-z", serial.ToString(System.Globalization.CultureInfo.InvariantCulture), "-n", "alice", .. options, key + ".pub"]);
        return SshCertificate.ParseOpenSsh(File.ReadAllText(key + "-cert.pub"));
    }

    private static void Keygen(params string[] args)
    {
        var start = new ProcessStartInfo("ssh-keygen") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var error = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"ssh-keygen {string.Join(' ', args)}: {error}");
    }

    private UserCertificates Build(params (string Key, string Value)[] settings) =>
        UserCertificates.Build(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build(), _paths);

    private string CaLine => File.ReadAllText(_ca + ".pub").Trim();

    [Fact]
    public void AKrlRevokesSerialsRangesBitmapsKeyIdsExplicitKeysAndFingerprints()
    {
        var listed = Sign("listed", "a", 5);
        var ranged = Sign("ranged", "b", 150);
        var bitmapped = Sign("bitmapped", "c", 1007);
        var notInBitmap = Sign("gap", "d", 1008);
        var byId = Sign("byid", "bob", 7);
        var explicitKey = Sign("explicit", "e", 8);
        var byHash = Sign("hashed", "f", 9);
        var fine = Sign("fine", "g", 10);
        var unserialled = Sign("zero", "h", 0);

        var spec1 = Path.Combine(_root, "spec1");
        // Six serials close together: ssh-keygen encodes them as a bitmap (offset 1000).
        File.WriteAllText(spec1, "serial: 5\nserial: 100-200\nserial: 1000\nserial: 1002\nserial: 1004\nserial: 1007\nserial: 1009\nserial: 1011\nid: bob\n");
        var spec2 = Path.Combine(_root, "spec2");
        File.WriteAllText(spec2, $"key: {explicitKey.Key.ToOpenSshLine()}\nhash: {byHash.Key.FingerprintSha256}\n");
        var krl = Path.Combine(_root, "revoked.krl");
        Keygen("-k", "-f", krl, "-s", _ca + ".pub", spec1);
        Keygen("-k", "-u", "-f", krl, spec2);

        var revoked = RevokedKeys.Parse(File.ReadAllBytes(krl), krl);
        Assert.True(revoked.IsRevoked(listed));
        Assert.True(revoked.IsRevoked(ranged));
        Assert.True(revoked.IsRevoked(bitmapped));
        Assert.False(revoked.IsRevoked(notInBitmap));
        Assert.True(revoked.IsRevoked(byId));
        Assert.True(revoked.IsRevoked(explicitKey));
        Assert.True(revoked.IsRevoked(byHash));
        Assert.False(revoked.IsRevoked(fine));
        Assert.False(revoked.IsRevoked(unserialled));
    }

    [Fact]
    public void ARevokedCaKeyRevokesEveryCertificateItSigned()
    {
        var cert = Sign("user", "a", 1);
        var list = RevokedKeys.Parse(System.Text.Encoding.UTF8.GetBytes("# revoked\n\n" + CaLine + "\n"), "list");
        Assert.True(list.IsRevoked(cert));
    }

    [Fact]
    public void APlainListRevokesKeysAndTheKeysOfCertificates()
    {
        var byKey = Sign("k1", "a", 1);
        var byCertificate = Sign("k2", "b", 2);
        var other = Sign("k3", "c", 3);
        var text = $"{byKey.Key.ToOpenSshLine()}\n{byCertificate.ToOpenSshLine()}\n";
        var list = RevokedKeys.Parse(System.Text.Encoding.UTF8.GetBytes(text), "list");
        Assert.True(list.IsRevoked(byKey));
        Assert.True(list.IsRevoked(byCertificate));
        Assert.False(list.IsRevoked(other));
    }

    [Fact]
    public void ADamagedKrlIsRefusedWithAMessageNamingTheFile()
    {
        var e = Assert.Throws<WharfException>(() => RevokedKeys.Parse([.. "SSHKRL\n\0"u8, 0, 0, 0, 1, 0, 0], "/etc/wharf/revoked.krl"));
        Assert.Equal(ErrorCategory.InvalidArgument, e.Category);
        Assert.StartsWith("The revoked keys file /etc/wharf/revoked.krl is not a valid KRL or list of public keys: ", e.Message);
        var text = Assert.Throws<WharfException>(() => RevokedKeys.Parse("not a key\n"u8, "list.txt"));
        Assert.StartsWith("The revoked keys file list.txt is not a valid KRL or list of public keys: ", text.Message);
    }

    [Fact]
    public void WithoutSettingsNoCaIsTrustedAndPlainKeysAreAccepted()
    {
        var none = Build();
        Assert.Empty(none.Authorities);
        Assert.False(none.Requires("alice"));
        Assert.Equal(TimeSpan.FromMinutes(5), none.ClockSkew);
        Assert.Equal("unknown-ca", none.Check(Sign("u", "a", 1), IPAddress.Loopback, DateTimeOffset.UtcNow)?.Code);
    }

    [Fact]
    public void AuthoritiesComeInlineOrFromAFileAndRequireCertificatesTakesNamesOrStar()
    {
        var file = Path.Combine(_root, "cas.pub");
        var other = NewKey("other");
        File.WriteAllText(file, "# our CAs\n" + File.ReadAllText(other + ".pub"));
        var settings = Build(("Ssh:TrustedUserCAKeys:0", CaLine), ("Ssh:TrustedUserCAKeys:1", file),
            ("Ssh:RequireCertificates", "Alice,bob"), ("Ssh:CertificateClockSkew", "00:01:00"));
        Assert.Equal(2, settings.Authorities.Count);
        Assert.True(settings.Requires("alice"));
        Assert.True(settings.Requires("BOB"));
        Assert.False(settings.Requires("carol"));
        Assert.Equal(TimeSpan.FromMinutes(1), settings.ClockSkew);
        Assert.True(Build(("Ssh:TrustedUserCAKeys", CaLine), ("Ssh:RequireCertificates", "*")).Requires("anyone"));
    }

    [Theory]
    [InlineData("Ssh:TrustedUserCAKeys", "nothing-here.pub", "Invalid SSH setting 'Ssh:TrustedUserCAKeys': 'nothing-here.pub' is neither a public key line nor an existing file.")]
    [InlineData("Ssh:TrustedUserCAKeys", "ssh-ed25519 AAAA", "Invalid SSH setting 'Ssh:TrustedUserCAKeys': a key in Ssh:TrustedUserCAKeys cannot be read: The key data is damaged or truncated.")]
    [InlineData("Ssh:RevokedKeys", "missing.krl", "Invalid SSH setting 'Ssh:RevokedKeys': the file 'missing.krl' does not exist.")]
    [InlineData("Ssh:RequireCertificates", "alice", "Invalid SSH setting 'Ssh:RequireCertificates': needs at least one authority in Ssh:TrustedUserCAKeys, or nobody it names could log in.")]
    [InlineData("Ssh:CertificateClockSkew", "02:00:00", "Invalid SSH setting 'Ssh:CertificateClockSkew': must be a duration from 00:00:00 to 01:00:00.")]
    public void BadSettingsStopTheStartWithAClearMessage(string key, string value, string message)
    {
        var e = Assert.Throws<WharfException>(() => Build((key, value)));
        Assert.Equal(ErrorCategory.InvalidArgument, e.Category);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void TheCertificateSettingsAreKnownSshSettings()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("Ssh:CertificateClockSkew", "00:01:00"), new("Ssh:RequireCertificates", "*")]).Build();
        // No "Unknown SSH setting": the SSH library's settings accept the names this class reads.
        Assert.NotNull(SshSettings.Build(configuration, _paths));
    }

    [Fact]
    public void HostCertificatesCertificatesWithoutPrincipalsAndBadSourceAddressesAreRefused()
    {
        var settings = Build(("Ssh:TrustedUserCAKeys", CaLine));
        var now = DateTimeOffset.UtcNow;
        var host = NewKey("host");
        Keygen("-q", "-s", _ca, "-I", "host", "-h", "-n", "git.example.com", host + ".pub");
        Assert.Equal(new CertificateRefusal("not-user", "it is a host certificate, not a user certificate"),
            settings.Check(SshCertificate.ParseOpenSsh(File.ReadAllText(host + "-cert.pub")), IPAddress.Loopback, now));

        var anyone = NewKey("anyone");
        Keygen("-q", "-s", _ca, "-I", "anyone", anyone + ".pub");
        Assert.Equal("no-principal", settings.Check(SshCertificate.ParseOpenSsh(File.ReadAllText(anyone + "-cert.pub")), IPAddress.Loopback, now)?.Code);

        var v6 = Sign("v6", "v6", 1, "-O", "source-address=2001:db8::/32");
        Assert.Null(settings.Check(v6, IPAddress.Parse("2001:db8::7"), now));
        Assert.Equal(new CertificateRefusal("source-address", "it may be used only from 2001:db8::/32, not from 127.0.0.1"),
            settings.Check(v6, IPAddress.Parse("::ffff:127.0.0.1"), now));
    }
}
