using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Wharf.Core.Signatures;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// Security keys (issue 13): ed25519-sk and ecdsa-sk keys made and used by the real OpenSSH tools with OpenSSH's
/// software authenticator (Debian's openssh-tests, <see cref="Provider"/>; it asks for no touch and sets the
/// user-presence flag). git signs a commit and an annotated tag with them (<c>gpg.format=ssh</c>, ssh-keygen reads
/// <c>SSH_SK_PROVIDER</c>), the push goes over SSH, and the API's <c>signature</c> object says verified with the key's
/// label and fingerprint; the same ed25519-sk key, registered for both uses, logs in with
/// <c>ssh -o SecurityKeyProvider=...</c>.
/// </summary>
public sealed class SecurityKeySigningTests(WharfServer server) : IClassFixture<WharfServer>
{
    public const string Provider = "/usr/lib/openssh/regress/misc/sk-dummy/sk-dummy.so";

    private static Dictionary<string, string?> ProviderEnvironment => new() { ["SSH_SK_PROVIDER"] = RequireProvider() };

    private static string RequireProvider() => File.Exists(Provider) ? Provider : throw new InvalidOperationException(
        $"{Provider} is missing. scripts/test.sh installs it (Debian package openssh-tests): `apt-get install openssh-tests`.");

    /// <summary><c>ssh-keygen -t ed25519-sk|ecdsa-sk</c> through the software authenticator, as a user with a token would.</summary>
    private async Task<SshKey> SecurityKeyAsync(string name, string type)
    {
        var path = Path.Combine(server.KeysDirectory, name);
        var made = await ProcessRunner.RunAsync(Tools.SshKeygen, ["-t", type, "-N", "", "-C", name + "@wharf-interop", "-q", "-f", path],
            environment: ProviderEnvironment);
        Assert.True(made.ExitCode == 0 && File.Exists(path + ".pub"), made.Describe());
        var listed = await ProcessRunner.RunAsync(Tools.SshKeygen, ["-l", "-E", "sha256", "-f", path + ".pub"]);
        var fingerprint = listed.Stdout.Split(' ').Single(w => w.StartsWith("SHA256:", StringComparison.Ordinal));
        return new SshKey(name, type, path, (await File.ReadAllTextAsync(path + ".pub")).Trim(), fingerprint);
    }

    private async Task<string> GitOkAsync(TestUser user, string work, params string[] args)
    {
        var run = await server.GitAsync(user, work, args, extraEnvironment: ProviderEnvironment);
        Expect.Succeeded(run, server, "git " + string.Join(' ', args));
        return run.Stdout.Trim();
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string path)
    {
        var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task ACommitAndATagSignedByGitWithSecurityKeysArePushedOverSshAndTheApiSaysVerifiedWithTheKeysLabelAndFingerprint()
    {
        var sam = await server.CreateUserAsync("sam", "ed25519");
        var edSk = await SecurityKeyAsync("sam_ed25519_sk", "ed25519-sk");
        var ecSk = await SecurityKeyAsync("sam_ecdsa_sk", "ecdsa-sk");
        Assert.StartsWith("sk-ssh-ed25519@openssh.com ", edSk.PublicKeyLine);
        Assert.StartsWith("sk-ecdsa-sha2-nistp256@openssh.com ", ecSk.PublicKeyLine);
        await server.WharfOrThrowAsync(["admin", "key", "add", "sam", "--label", "yubi-ed", "--usage", "authentication_and_signing"], edSk.PublicKeyLine + "\n");
        await server.WharfOrThrowAsync(["admin", "key", "add", "sam", "--label", "yubi-ec", "--usage", "signing"], ecSk.PublicKeyLine + "\n");

        var repository = await server.CreateRepositoryAsync(sam, "tokens");
        var work = server.NewDirectory("tokens");
        await GitOkAsync(sam, work, "init", "-q", "-b", "main");
        await GitOkAsync(sam, work, "-c", "gpg.format=ssh", "-c", "user.signingkey=" + edSk.PrivateKeyPath, "commit", "-q", "-S", "--allow-empty", "-m", "signed with a security key");
        var commit = await GitOkAsync(sam, work, "rev-parse", "HEAD");
        await GitOkAsync(sam, work, "-c", "gpg.format=ssh", "-c", "user.signingkey=" + ecSk.PrivateKeyPath, "tag", "-s", "v1", "-m", "release 1");
        var tag = await GitOkAsync(sam, work, "rev-parse", "v1");
        // What git put in the objects: security-key signatures (their SSHSIG blobs name the sk key types).
        Assert.Contains("gpgsig -----BEGIN SSH SIGNATURE-----", await GitOkAsync(sam, work, "cat-file", "commit", commit));
        await GitOkAsync(sam, work, "remote", "add", "origin", server.Url(repository));
        await GitOkAsync(sam, work, "push", "-q", "origin", "main", "v1");

        var token = (await server.WharfOrThrowAsync(["admin", "token", "create", "sam", "--name", "sk"])).Stdout.Trim().Split('\n')[^1].Trim();
        using var http = new HttpClient { BaseAddress = server.HttpAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var signature = (await GetJsonAsync(http, $"/2.0/repositories/{repository}/commit/{commit}")).GetProperty("signature");
        Assert.Equal(("verified", JsonValueKind.Null, "yubi-ed", edSk.Fingerprint, "sam"),
            (signature.GetProperty("status").GetString(), signature.GetProperty("reason").ValueKind, signature.GetProperty("key").GetProperty("label").GetString(),
             signature.GetProperty("key").GetProperty("fingerprint").GetString(), signature.GetProperty("account").GetString()));
        Assert.True(DateTimeOffset.UtcNow - signature.GetProperty("verified_at").GetDateTimeOffset() < TimeSpan.FromHours(1));

        // The tag's verdict, recorded at the push, with git agreeing through the repository's allowed_signers file.
        var signers = await http.GetStringAsync($"/{repository}/allowed_signers");
        Assert.Contains(string.Join(' ', ecSk.PublicKeyLine.Split(' ')[..2]), signers);
        var file = Path.Combine(server.NewDirectory("sk-signers"), "allowed_signers");
        await File.WriteAllTextAsync(file, signers);
        var verifiedTag = await server.GitAsync(sam, work, ["-c", "gpg.ssh.allowedSignersFile=" + file, "tag", "-v", "v1"], extraEnvironment: ProviderEnvironment);
        Assert.True(verifiedTag.ExitCode == 0 && verifiedTag.Stderr.Contains($"Good \"git\" signature for sam@example.com with ECDSA-SK key {ecSk.Fingerprint}", StringComparison.Ordinal),
            verifiedTag.Describe());
        var log = await GitOkAsync(sam, work, "-c", "gpg.ssh.allowedSignersFile=" + file, "log", "-1", "--format=%G? %GS %GF", commit);
        Assert.Equal($"G sam@example.com {edSk.Fingerprint}", log);
        var tagVerdict = (await SignedCommitTests.VerdictsAsync(server, repository))[tag];
        Assert.Equal((SignatureStatus.Verified, ecSk.Fingerprint, "yubi-ec", "sam"), (tagVerdict.Status, tagVerdict.KeyFingerprint, tagVerdict.KeyLabel, tagVerdict.Account));
    }

    [Fact]
    public async Task AnEd25519SkKeyRegisteredForLoginLogsInWithSshThroughTheSecurityKeyProvider()
    {
        var tess = await server.CreateUserAsync("tess", "ed25519");
        var sk = await SecurityKeyAsync("tess_ed25519_sk", "ed25519-sk");
        await server.WharfOrThrowAsync(["admin", "key", "add", "tess", "--label", "token", "--usage", "authentication_and_signing"], sk.PublicKeyLine + "\n");

        var greeting = await server.SshAsync(sk, ["-o", "SecurityKeyProvider=" + RequireProvider(), "-T"]);
        Expect.Succeeded(greeting, server, "ssh -T with an ed25519-sk key");
        Expect.StdoutIs(SshSessionTests.Greeting(server, tess, sk, "token"), greeting, server, "the greeting names the security key");

        // Registered for signing only, the same kind of key is refused at the door like an unknown one.
        var signingOnly = await SecurityKeyAsync("tess_ecdsa_sk", "ecdsa-sk");
        await server.WharfOrThrowAsync(["admin", "key", "add", "tess", "--label", "token-sign", "--usage", "signing"], signingOnly.PublicKeyLine + "\n");
        var refused = await server.SshAsync(signingOnly, ["-o", "SecurityKeyProvider=" + RequireProvider(), "-T"]);
        Expect.ExitCode(255, refused, server, "ssh -T with a signing-only ecdsa-sk key");
        Expect.StderrContains("Permission denied (publickey).", refused, server, "ssh -T with a signing-only ecdsa-sk key");
    }
}
