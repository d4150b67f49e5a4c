using Microsoft.EntityFrameworkCore;
using Wharf.Core;
using Wharf.Core.Audit;
using Wharf.Data;
using Wharf.Interop.Tests.Infrastructure;
using Wharf.Ssh.Keys;

namespace Wharf.Interop.Tests;

/// <summary>
/// A server that trusts one user CA from a file (<c>Ssh:TrustedUserCAKeys</c>), reads an OpenSSH KRL made by
/// <c>ssh-keygen -k</c> (<c>Ssh:RevokedKeys</c>), and accepts only certificates for the account erin
/// (<c>Ssh:RequireCertificates</c>). The CA and the empty KRL are made before the server starts.
/// </summary>
public sealed class CertificateServer : WharfServer
{
    public string CaDirectory => Path.Combine(Root, "ca");
    public string CaPath => Path.Combine(CaDirectory, "user_ca");
    public string KrlPath => Path.Combine(CaDirectory, "revoked.krl");

    protected override IReadOnlyDictionary<string, string?> ServerEnvironment => new Dictionary<string, string?>
    {
        ["WHARF_Ssh__TrustedUserCAKeys__0"] = CaPath + ".pub",
        ["WHARF_Ssh__RevokedKeys"] = KrlPath,
        ["WHARF_Ssh__RequireCertificates__0"] = "erin",
    };

    public override async Task InitializeAsync()
    {
        Directory.CreateDirectory(CaDirectory);
        await RunOrThrowAsync(["-q", "-t", "ed25519", "-N", "", "-C", "wharf user CA", "-f", CaPath]);
        var empty = Path.Combine(CaDirectory, "nothing");
        await File.WriteAllTextAsync(empty, "");
        await RunOrThrowAsync(["-k", "-f", KrlPath, "-s", CaPath + ".pub", empty]);
        await base.InitializeAsync();
    }

    /// <summary>The CA's SHA256 fingerprint as the greeting and refusals show it.</summary>
    public string CaFingerprint => SshPublicKey.ParseOpenSsh(File.ReadAllText(CaPath + ".pub")).FingerprintSha256;

    /// <summary>Makes a key and signs it with <paramref name="caPath"/> (default: the trusted CA); ssh picks up KEY-cert.pub beside KEY.</summary>
    public async Task<(SshKey Key, SshCertificate Certificate)> CertifiedKeyAsync(string name, string keyId, string principals, string type = "ed25519",
        string? caPath = null, params string[] options)
    {
        var key = await SshKey.GenerateAsync(KeysDirectory, name, type);
        await RunOrThrowAsync(["-q", "-s", caPath ?? CaPath, "-I", keyId, "-n", principals, .. options, key.PrivateKeyPath + ".pub"]);
        var certificate = SshCertificate.ParseOpenSsh(await File.ReadAllTextAsync(key.PrivateKeyPath + "-cert.pub"));
        return (key, certificate);
    }

    /// <summary>Adds revocations to the KRL in place (<c>ssh-keygen -k -u</c>), as an administrator would.</summary>
    public async Task RevokeAsync(string specification)
    {
        var spec = Path.Combine(CaDirectory, $"spec-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(spec, specification + "\n");
        await RunOrThrowAsync(["-k", "-u", "-f", KrlPath, "-s", CaPath + ".pub", spec]);
    }

    public static async Task RunOrThrowAsync(IEnumerable<string> arguments)
    {
        var run = await ProcessRunner.RunAsync(Tools.SshKeygen, arguments);
        if (run.ExitCode != 0) throw new InvalidOperationException($"ssh-keygen failed\n{run.Describe()}");
    }
}

/// <summary>
/// Issue 14 point 1 with the real OpenSSH client and certificates made by <c>ssh-keygen -s</c>: a valid certificate
/// logs in as the account its principal names, is greeted with key id, CA and expiry, clones and pushes; expired, not
/// yet valid, wrong principal, unknown CA, revoked (KRL: serial, key id), source-address mismatch, unknown critical
/// options and plain keys of an account that requires certificates are refused, and ssh shows the holder why.
/// </summary>
public sealed class UserCertificateTests(CertificateServer server) : IClassFixture<CertificateServer>
{
    private const string Denied = "Permission denied (publickey).";

    private string Refusal(SshCertificate certificate, string why) =>
        $"Wharf refused your certificate '{certificate.KeyId}' from CA {server.CaFingerprint}: {why}.";

    private static string Until(SshCertificate certificate) => certificate.ValidBeforeSeconds == SshCertificate.Forever
        ? "forever"
        : certificate.ValidBefore.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task AValidCertificateLogsInAsItsPrincipalIsGreetedAndClonesAndPushes()
    {
        var (key, certificate) = await server.CertifiedKeyAsync("frank_cert", "frank@laptop", "frank", options: ["-V", "-5m:+1h", "-z", "11"]);
        // frank has no stored key at all: the certificate is his only way in.
        var frank = await server.CreateUserAsync("frank") with { Keys = [key] };

        var greeting = await server.SshAsync(key, ["-T"]);
        Expect.Succeeded(greeting, server, "ssh -T with frank's certificate");
        Expect.StdoutIs(
            $"logged in as frank (certificate 'frank@laptop' from CA {server.CaFingerprint}, valid until {Until(certificate)}).\n" +
            $"Key: ssh-ed25519-cert-v01@openssh.com {key.Fingerprint}.\n\n" +
            "You can use git or hg to connect to Wharf. Shell access is disabled.\n" +
            $"Run '{SshSessionTests.HelpCommand(server)}' for the other commands.\n", greeting, server, "the greeting names the certificate");

        var repository = await server.CreateRepositoryAsync(frank, "certified");
        var parent = server.NewDirectory("cert-push");
        Expect.Succeeded(await server.GitAsync(frank, parent, ["clone", server.Url(repository), "first"], key), server, "git clone with a certificate");
        var first = Path.Combine(parent, "first");
        await Workspace.WriteFileAsync(first, "README.md", "# signed\n");
        var head = await Workspace.CommitAllAsync(server, frank, first, "Pushed with a certificate");
        var push = await server.GitAsync(frank, first, ["push", "origin", "main"], key);
        Expect.Succeeded(push, server, "git push main with a certificate");
        Expect.StderrContains("* [new branch]      main -> main", push, server, "the push created main");

        var again = await server.GitAsync(frank, parent, ["clone", server.Url(repository), "second"], key);
        Expect.Succeeded(again, server, "a second clone");
        var log = await server.GitAsync(frank, Path.Combine(parent, "second"), ["log", "-1", "--format=%H"], key);
        Expect.StdoutIs(head + "\n", log, server, "the clone has the pushed commit");

        await using var db = WharfDatabase.OpenSqlite(new WharfPaths(server.DataDirectory));
        var pushed = await db.AuditLog.Where(a => a.Action == AuditActions.Push && a.Repository == repository).SingleAsync();
        Assert.Equal("certificate 'frank@laptop'", pushed.KeyLabel);
        Assert.Equal(key.Fingerprint, pushed.KeyFingerprint);
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("ecdsa")]
    public async Task RsaAndEcdsaCertificatesLogIn(string type)
    {
        // OpenSSH offers an RSA certificate as rsa-sha2-512-cert-v01@openssh.com: the signature is rsa-sha2-512.
        var name = $"gina{type}";
        await server.CreateUserAsync(name);
        var (key, certificate) = await server.CertifiedKeyAsync($"{name}_cert", $"{name}-id", name, type);
        var run = await server.SshAsync(key, ["-T"]);
        Expect.Succeeded(run, server, $"ssh -T with a {type} certificate");
        Expect.That(run.Stdout.StartsWith($"logged in as {name} (certificate '{name}-id' from CA {server.CaFingerprint}, valid until {Until(certificate)}).", StringComparison.Ordinal),
            "the greeting names the certificate", run, server);
    }

    [Fact]
    public async Task AnExpiredCertificateIsRefusedWithTheReasonAndAudited()
    {
        await server.CreateUserAsync("hank");
        var (key, certificate) = await server.CertifiedKeyAsync("hank_cert", "hank-old", "hank", options: ["-V", "20200101000000Z:20200102000000Z"]);
        var run = await server.SshAsync(key, ["-T"]);
        Expect.ExitCode(255, run, server, "ssh -T with an expired certificate");
        Expect.StderrContains(Refusal(certificate, "it expired on 2020-01-02 00:00:00 UTC"), run, server, "ssh shows why");
        Expect.StderrContains(Denied, run, server, "the login is refused");
        Expect.StdoutIs("", run, server, "no greeting");
        Expect.That(server.StderrLines().Any(l => l.Contains($"Refused SSH certificate 'hank-old' (serial 0, CA {server.CaFingerprint}) from 127.0.0.1: expired", StringComparison.Ordinal)),
            "the server logs the refusal with key id and CA fingerprint", run, server);
        Expect.That(server.StderrLines().Any(l => l.Contains("Failed SSH authentication from 127.0.0.1 for user git", StringComparison.Ordinal)),
            "the failed login line fail2ban matches is written", run, server);

        // A client that retries (a CI loop, a misconfigured agent) is refused each time but audited once.
        var again = await server.SshAsync(key, ["-T"]);
        Expect.StderrContains(Refusal(certificate, "it expired on 2020-01-02 00:00:00 UTC"), again, server, "ssh shows why again");

        await using var db = WharfDatabase.OpenSqlite(new WharfPaths(server.DataDirectory));
        var hankId = await db.Users.Where(u => u.LowerName == "hank").Select(u => u.Id).SingleAsync();
        var entry = await db.AuditLog.Where(a => a.UserId == hankId && a.Action == AuditActions.CertificateRefused).SingleAsync();
        Assert.Equal($"certificate 'hank-old' from {server.CaFingerprint}: it expired on 2020-01-02 00:00:00 UTC", entry.KeyLabel);
        Assert.Equal(key.Fingerprint, entry.KeyFingerprint);
        Assert.Equal("127.0.0.1", entry.SourceAddress);
    }

    [Fact]
    public async Task ACertificateNotYetValidIsRefused()
    {
        await server.CreateUserAsync("ivy");
        var (key, certificate) = await server.CertifiedKeyAsync("ivy_cert", "ivy-future", "ivy", options: ["-V", "+1d:+2d"]);
        var run = await server.SshAsync(key, ["-T"]);
        Expect.ExitCode(255, run, server, "ssh -T with a certificate valid from tomorrow");
        var from = certificate.ValidAfter.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        Expect.StderrContains(Refusal(certificate, $"it is not valid before {from}"), run, server, "ssh shows why");
    }

    [Fact]
    public async Task ACertificateWhosePrincipalIsNoAccountIsRefused()
    {
        var (key, certificate) = await server.CertifiedKeyAsync("nobody_cert", "nobody-id", "no-such-account,root");
        var run = await server.SshAsync(key, ["-T"]);
        Expect.ExitCode(255, run, server, "ssh -T with a certificate for no account");
        Expect.StderrContains(Refusal(certificate, "none of its principals (no-such-account, root) is a Wharf account"), run, server, "ssh shows why");
    }

    [Fact]
    public async Task ACertificateOfAnUnknownCaIsRefused()
    {
        await server.CreateUserAsync("jack");
        var otherCa = Path.Combine(server.CaDirectory, "other_ca");
        await CertificateServer.RunOrThrowAsync(["-q", "-t", "ed25519", "-N", "", "-f", otherCa]);
        var (key, certificate) = await server.CertifiedKeyAsync("jack_cert", "jack-id", "jack", caPath: otherCa);
        var run = await server.SshAsync(key, ["-T"]);
        Expect.ExitCode(255, run, server, "ssh -T with a certificate of an untrusted CA");
        var other = certificate.SignatureKey.FingerprintSha256;
        Expect.StderrContains($"Wharf refused your certificate 'jack-id' from CA {other}: the certificate authority {other} is not trusted by this Wharf.",
            run, server, "ssh shows why");
    }

    [Fact]
    public async Task CertificatesRevokedInTheKrlBySerialAndByKeyIdAreRefusedWithoutARestart()
    {
        await server.CreateUserAsync("kate");
        var (bySerial, serialCert) = await server.CertifiedKeyAsync("kate_serial", "kate-serial", "kate", options: ["-z", "4242"]);
        var (byId, idCert) = await server.CertifiedKeyAsync("kate_id", "kate-stolen-laptop", "kate", options: ["-z", "4243"]);
        Expect.Succeeded(await server.SshAsync(bySerial, ["-T"]), server, "serial 4242 before revocation");
        Expect.Succeeded(await server.SshAsync(byId, ["-T"]), server, "key id kate-stolen-laptop before revocation");

        await server.RevokeAsync("serial: 4242");
        await server.RevokeAsync("id: kate-stolen-laptop");

        var serial = await server.SshAsync(bySerial, ["-T"]);
        Expect.ExitCode(255, serial, server, "serial 4242 after revocation");
        Expect.StderrContains(Refusal(serialCert, "it has been revoked"), serial, server, "ssh shows why");
        var id = await server.SshAsync(byId, ["-T"]);
        Expect.ExitCode(255, id, server, "key id after revocation");
        Expect.StderrContains(Refusal(idCert, "it has been revoked"), id, server, "ssh shows why");
    }

    [Fact]
    public async Task ASourceAddressThatDoesNotMatchTheClientIsRefused()
    {
        await server.CreateUserAsync("liam");
        var (key, certificate) = await server.CertifiedKeyAsync("liam_cert", "liam-id", "liam", options: ["-O", "source-address=10.1.2.0/24"]);
        var run = await server.SshAsync(key, ["-T"]);
        Expect.ExitCode(255, run, server, "ssh -T from outside source-address");
        Expect.StderrContains(Refusal(certificate, "it may be used only from 10.1.2.0/24, not from 127.0.0.1"), run, server, "ssh shows why");

        var (inside, _) = await server.CertifiedKeyAsync("liam_cert2", "liam-id2", "liam", options: ["-O", "source-address=10.1.2.0/24,127.0.0.0/8"]);
        Expect.Succeeded(await server.SshAsync(inside, ["-T"]), server, "ssh -T from inside source-address");
    }

    [Fact]
    public async Task AnUnknownCriticalOptionRefusesTheCertificate()
    {
        await server.CreateUserAsync("mia");
        var (key, certificate) = await server.CertifiedKeyAsync("mia_cert", "mia-id", "mia", options: ["-O", "critical:verify-required-by-wharf"]);
        var run = await server.SshAsync(key, ["-T"]);
        Expect.ExitCode(255, run, server, "ssh -T with an unknown critical option");
        Expect.StderrContains(Refusal(certificate, "it carries the critical option 'verify-required-by-wharf', which Wharf does not support"), run, server, "ssh shows why");
    }

    [Fact]
    public async Task AForcedCommandRunsInsteadOfWhatTheClientAsks()
    {
        var nora = await server.CreateUserAsync("nora", "ed25519");
        var forced = await server.CreateRepositoryAsync(nora, "forced");
        var other = await server.CreateRepositoryAsync(nora, "other");
        var (commit, _) = await Workspace.SeedAsync(server, nora, forced);

        var (key, _) = await server.CertifiedKeyAsync("nora_cert", "nora-ci", "nora", options: ["-O", $"force-command=git-upload-pack '{forced}.git'"]);
        // ls-remote asks for the other repository; the certificate's command serves the forced one.
        var listing = await server.GitAsync(nora, server.WorkDirectory, ["ls-remote", server.Url(other)], key);
        Expect.Succeeded(listing, server, "git ls-remote with a forced command");
        Expect.That(listing.Stdout.Contains($"{commit}\trefs/heads/main", StringComparison.Ordinal), "the forced repository's main is listed", listing, server);

        var (bad, _) = await server.CertifiedKeyAsync("nora_bad", "nora-bad", "nora", options: ["-O", "force-command=rm -rf /"]);
        var run = await server.SshAsync(bad, [], $"git-upload-pack '{other}.git'");
        Expect.ExitCode(1, run, server, "a forced command that is no git or hg command");
        Expect.StderrContains($"wharf: Unknown command 'rm -rf /'. Try 'ssh -p {server.SshPort} git@127.0.0.1 help'.", run, server, "the forced command is parsed like any command and refused");
    }

    [Fact]
    public async Task RequireCertificatesRefusesAPlainKeyButNotACertificate()
    {
        var erin = await server.CreateUserAsync("erin", "ed25519");
        var plain = await server.SshAsync(erin.Key, ["-T"]);
        Expect.ExitCode(255, plain, server, "ssh -T with erin's registered plain key");
        Expect.StderrContains("The Wharf account erin accepts only SSH certificates; ask your certificate authority to sign your key.", plain, server, "ssh shows why");
        Expect.StderrContains(Denied, plain, server, "the login is refused");

        var (key, _) = await server.CertifiedKeyAsync("erin_cert", "erin-id", "erin");
        Expect.Succeeded(await server.SshAsync(key, ["-T"]), server, "ssh -T with erin's certificate");
        // Other accounts still log in with plain keys.
        Expect.Succeeded(await server.SshAsync(server.Bob.Key, ["-T"]), server, "bob's plain key");
    }
}
