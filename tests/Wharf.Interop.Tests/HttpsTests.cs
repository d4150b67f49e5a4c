using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// `wharf serve` whose web listener speaks HTTPS with a self-signed certificate for 127.0.0.1, made before it starts
/// (PEM certificate and key in two files: <c>Http:Certificate</c> and <c>Http:CertificateKey</c>).
/// </summary>
public sealed class HttpsServer : WharfServer
{
    public string CertificatePath => Path.Combine(Root, "tls", "cert.pem");
    public string KeyPath => Path.Combine(Root, "tls", "key.pem");

    protected override IReadOnlyDictionary<string, string?> ServerEnvironment => new Dictionary<string, string?>
    {
        ["WHARF_Http__Certificate"] = CertificatePath,
        ["WHARF_Http__CertificateKey"] = KeyPath,
    };

    public override async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CertificatePath)!);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        // Its own authority, as `openssl req -x509` makes one: curl (git) and Go (git-lfs) both take it as the trust anchor.
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        await File.WriteAllTextAsync(CertificatePath, certificate.ExportCertificatePem() + "\n");
        await File.WriteAllTextAsync(KeyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        await base.InitializeAsync();
    }
}

/// <summary>
/// git and git-lfs over real HTTPS: `git clone https://...` with an API token, trusting the server's certificate through
/// GIT_SSL_CAINFO, and an LFS push and pull through the HTTP LFS API, audited with the token's name.
/// </summary>
public sealed class HttpsTests(HttpsServer server) : IClassFixture<HttpsServer>
{
    private TestUser Alice => server.Alice;

    private async Task<string> TokenAsync(string name)
    {
        var run = await server.WharfOrThrowAsync(["admin", "token", "create", "alice", "--name", name]);
        return run.Stdout.Trim().Split('\n')[^1].Trim();
    }

    private string HttpsUrl(string repository, string? credentials = null) =>
        $"https://{(credentials is null ? "" : credentials + "@")}{server.HttpAddress.Authority}/{repository}.git";

    [Fact]
    public async Task Serve_listens_with_https_and_git_clones_with_a_token_trusting_the_certificate()
    {
        Assert.Equal("https", server.HttpAddress.Scheme);
        var repository = await server.CreateRepositoryAsync(Alice, "https-clone");
        var secret = await TokenAsync("https-ci");
        var work = server.NewDirectory("https-first");
        var trust = new Dictionary<string, string?> { ["GIT_SSL_CAINFO"] = server.CertificatePath };
        Expect.Succeeded(await server.GitAsync(Alice, work, ["init", "-q"]), server, "git init");
        await Workspace.WriteFileAsync(work, "README.md", "# over https\n");
        await Workspace.CommitAllAsync(server, Alice, work, "first");
        var push = await server.GitAsync(Alice, work, ["push", HttpsUrl(repository, "alice:" + secret), "main"], extraEnvironment: trust);
        Expect.Succeeded(push, server, "git push over https with a token");

        // Without trusting the certificate, git refuses the server: it really is TLS with that certificate.
        var parent = server.NewDirectory("https-clone");
        var untrusted = await server.GitAsync(Alice, parent, ["clone", HttpsUrl(repository, "x-token-auth:" + secret), "untrusted"]);
        Expect.Failed(untrusted, server, "git clone over https without trusting the certificate");
        Expect.StderrContains("certificate", untrusted, server, "git names the certificate problem");

        var clone = await server.GitAsync(Alice, parent, ["clone", HttpsUrl(repository, "x-token-auth:" + secret), "copy"], extraEnvironment: trust);
        Expect.Succeeded(clone, server, "git clone over https with x-token-auth and the token");
        Assert.Equal("# over https\n", await File.ReadAllTextAsync(Path.Combine(parent, "copy", "README.md")));
    }

    [Fact]
    public async Task Git_lfs_pushes_pulls_and_locks_over_https_and_the_audit_names_the_token()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "https-lfs");
        var secret = await TokenAsync("lfs-ci");
        // git and git-lfs both ask git's credential helpers; this one answers alice and the token.
        var environment = LfsTests.LfsEnvironment(
            ("credential.helper", $"!f() {{ test \"$1\" = get && echo username=alice && echo password={secret}; }}; f"));
        environment["GIT_SSL_CAINFO"] = server.CertificatePath;
        Task<ProcessResult> Git(string directory, params string[] arguments) =>
            server.GitAsync(Alice, directory, arguments, extraEnvironment: environment);

        var work = server.NewDirectory("https-lfs");
        Expect.Succeeded(await Git(work, "init", "-q"), server, "git init");
        Expect.Succeeded(await Git(work, "lfs", "track", "*.bin"), server, "git lfs track");
        var content = new byte[150_000];
        new Random(11).NextBytes(content);
        var oid = Convert.ToHexStringLower(SHA256.HashData(content));
        await File.WriteAllBytesAsync(Path.Combine(work, "data.bin"), content);
        Expect.Succeeded(await Git(work, "add", "-A"), server, "git add");
        Expect.Succeeded(await Git(work, "commit", "-q", "-m", "LFS over https"), server, "git commit");
        Expect.Succeeded(await Git(work, "remote", "add", "origin", HttpsUrl(repository)), server, "git remote add");

        var push = await Git(work, "push", "-q", "-u", "origin", "main");
        Expect.Succeeded(push, server, "git push with an LFS file over https");
        var stored = Directory.EnumerateFiles(Path.Combine(server.DataDirectory, "lfs"), oid, SearchOption.AllDirectories).ToList();
        Expect.That(stored.Count == 1 && File.ReadAllBytes(stored[0]).SequenceEqual(content), "the object is stored once, whole", push, server);
        var upload = Assert.Single(await LfsTests.AuditAsync(server, repository, "lfs-upload"));
        Assert.Equal(("alice", "lfs-ci", "", "127.0.0.1", $"{oid} (150000 bytes)"),
            (upload.Actor, upload.KeyLabel, upload.KeyFingerprint, upload.SourceAddress, upload.Detail));

        var parent = server.NewDirectory("https-lfs-clone");
        var clone = await Git(parent, "clone", "-q", HttpsUrl(repository), "copy");
        Expect.Succeeded(clone, server, "git clone with an LFS file over https");
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(parent, "copy", "data.bin")));

        var locked = await Git(work, "lfs", "lock", "data.bin");
        Expect.Succeeded(locked, server, "git lfs lock over https");
        var id = (await Git(work, "lfs", "locks")).Stdout.Split("ID:").Last().Trim();
        Expect.Succeeded(await Git(work, "lfs", "unlock", "data.bin"), server, "git lfs unlock over https");
        Assert.Equal([("alice", "lfs-ci", $"data.bin (lock {id})")],
            (await LfsTests.AuditAsync(server, repository, "lfs-lock")).Select(a => (a.Actor, a.KeyLabel, a.Detail)));
        Assert.Equal([("alice", "lfs-ci", $"data.bin (lock {id})")],
            (await LfsTests.AuditAsync(server, repository, "lfs-unlock")).Select(a => (a.Actor, a.KeyLabel, a.Detail)));
    }
}
