using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Wharf.Core;
using Wharf.Core.Audit;
using Wharf.Core.Signatures;
using Wharf.Data;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// Issue 13 with real programs: commits and tags signed by git itself (<c>gpg.format=ssh</c>, <c>commit -S</c>,
/// <c>tag -s</c>) with ed25519, ecdsa and rsa keys, pushed over SSH to a real <c>wharf serve</c>; the verdicts Wharf
/// records; the allowed_signers file it serves, with which <c>git log</c> agrees; signing-only and compromised keys
/// at the SSH door.
/// </summary>
public sealed class SignedCommitTests(WharfServer server) : IClassFixture<WharfServer>
{
    private async Task<SshKey> AddKeyAsync(TestUser user, string type, string label, string usage)
    {
        var key = await SshKey.GenerateAsync(server.KeysDirectory, $"{user.Name}_{label}", type);
        await server.WharfOrThrowAsync(["admin", "key", "add", user.Name, "--label", label, "--usage", usage], key.PublicKeyLine + "\n");
        return key;
    }

    private async Task<string> GitOkAsync(TestUser user, string work, params string[] args)
    {
        var run = await server.GitAsync(user, work, args);
        Expect.Succeeded(run, server, "git " + string.Join(' ', args));
        return run.Stdout.Trim();
    }

    /// <summary>An empty commit signed by git with <paramref name="key"/> (none: unsigned); returns its id.</summary>
    private async Task<string> CommitAsync(TestUser user, string work, string message, SshKey? key)
    {
        if (key is null) await GitOkAsync(user, work, "commit", "-q", "--allow-empty", "-m", message);
        else await GitOkAsync(user, work, "-c", "gpg.format=ssh", "-c", "user.signingkey=" + key.PrivateKeyPath, "commit", "-q", "-S", "--allow-empty", "-m", message);
        return await GitOkAsync(user, work, "rev-parse", "HEAD");
    }

    /// <summary>
    /// A commit signed in another SSHSIG namespace than git's: git cannot make one, so the commit is written by hand,
    /// its payload signed by <c>ssh-keygen -Y sign -n file</c> and put in a gpgsig header as git does.
    /// </summary>
    private async Task<string> CommitSignedInNamespaceAsync(TestUser user, string work, SshKey key, string ns)
    {
        await CommitAsync(user, work, "namespace " + ns, key: null);
        var raw = await GitOkAsync(user, work, "cat-file", "commit", "HEAD") + "\n";
        var payload = Path.Combine(server.NewDirectory("ns"), "payload");
        await File.WriteAllTextAsync(payload, raw);
        var signed = await ProcessRunner.RunAsync(Tools.SshKeygen, ["-Y", "sign", "-n", ns, "-f", key.PrivateKeyPath, payload]);
        Assert.True(signed.ExitCode == 0, signed.Describe());
        var sig = (await File.ReadAllTextAsync(payload + ".sig")).TrimEnd('\n').Split('\n');
        var headerEnd = raw.IndexOf("\n\n", StringComparison.Ordinal) + 1;
        var withSig = raw[..headerEnd] + "gpgsig " + string.Join("\n ", sig) + "\n" + raw[headerEnd..];
        var objectFile = payload + ".commit";
        await File.WriteAllTextAsync(objectFile, withSig);
        var id = await GitOkAsync(user, work, "hash-object", "-t", "commit", "-w", objectFile);
        await GitOkAsync(user, work, "update-ref", "refs/heads/main", id);
        return id;
    }

    private Task<Dictionary<string, CommitSignature>> VerdictsAsync(string repository) => VerdictsAsync(server, repository);

    /// <summary>The verdicts Wharf recorded for OWNER/NAME, by object id, read from the server's database.</summary>
    internal static async Task<Dictionary<string, CommitSignature>> VerdictsAsync(WharfServer server, string repository)
    {
        await using var db = WharfDatabase.OpenSqlite(new WharfPaths(server.DataDirectory));
        var (owner, name) = (repository.Split('/')[0], repository.Split('/')[1]);
        var repositoryId = await db.Repositories.Where(r => r.LowerName == name && db.Users.Any(u => u.Id == r.OwnerId && u.LowerName == owner))
            .Select(r => r.Id).SingleAsync();
        return await db.CommitSignatures.AsNoTracking().Where(c => c.RepositoryId == repositoryId).ToDictionaryAsync(c => c.ObjectId);
    }

    [Fact]
    public async Task CommitsAndTagsSignedByGitGetVerdictsAtPushAndGitAgreesWithTheAllowedSignersFile()
    {
        var dora = await server.CreateUserAsync("dora", "ed25519");
        var signing = new Dictionary<string, SshKey>
        {
            ["ed25519"] = await AddKeyAsync(dora, "ed25519", "sign-ed25519", "signing"),
            ["ecdsa"] = await AddKeyAsync(dora, "ecdsa", "sign-ecdsa", "signing"),
            ["rsa"] = await AddKeyAsync(dora, "rsa", "sign-rsa", "signing"),
        };
        var erin = await server.CreateUserAsync("erin", "ed25519");
        var erinSigning = await AddKeyAsync(erin, "ed25519", "erin-both", "authentication_and_signing");
        var stranger = await SshKey.GenerateAsync(server.KeysDirectory, "unregistered_signer", "ed25519");

        var repository = await server.CreateRepositoryAsync(dora, "signed");
        var work = server.NewDirectory("signed");
        await GitOkAsync(dora, work, "init", "-q", "-b", "main");
        var unsigned = await CommitAsync(dora, work, "unsigned", null);
        var byType = new Dictionary<string, string>();
        foreach (var (type, key) in signing) byType[type] = await CommitAsync(dora, work, "signed with " + type, key);
        var unknown = await CommitAsync(dora, work, "unknown key", stranger);
        var otherAccount = await CommitAsync(dora, work, "erin's key, dora's email", erinSigning);
        var loginKey = await CommitAsync(dora, work, "dora's login-only key", dora.Key);
        var wrongNamespace = await CommitSignedInNamespaceAsync(dora, work, signing["ed25519"], "file");
        await GitOkAsync(dora, work, "-c", "gpg.format=ssh", "-c", "user.signingkey=" + signing["ecdsa"].PrivateKeyPath, "tag", "-s", "v1", "-m", "release 1");
        var tag = await GitOkAsync(dora, work, "rev-parse", "v1");
        await GitOkAsync(dora, work, "remote", "add", "origin", server.Url(repository));
        await GitOkAsync(dora, work, "push", "-q", "origin", "main", "v1");

        var verdicts = await VerdictsAsync(repository);
        void Is(string id, SignatureStatus status, string reason, SshKey? key, string? label, string? account, string what)
        {
            Assert.True(verdicts.TryGetValue(id, out var v), $"no verdict recorded for {what} ({id})");
            Assert.Equal((status, reason, key?.Fingerprint, label, account), (v!.Status, v.Reason, v.KeyFingerprint, v.KeyLabel, v.Account));
        }
        Is(unsigned, SignatureStatus.Unsigned, SignatureReasons.NoSignature, null, null, null, "the unsigned commit");
        foreach (var (type, id) in byType)
            Is(id, SignatureStatus.Verified, null!, signing[type], "sign-" + type, "dora", $"the {type}-signed commit");
        Is(unknown, SignatureStatus.Unverified, SignatureReasons.UnknownKey, stranger, null, null, "the commit signed by an unregistered key");
        Is(otherAccount, SignatureStatus.Unverified, SignatureReasons.OtherAccount, erinSigning, "erin-both", "erin", "the commit signed with erin's key");
        Is(loginKey, SignatureStatus.Unverified, SignatureReasons.NotForSigning, dora.Key, "laptop-ed25519", "dora", "the commit signed with a login-only key");
        Is(wrongNamespace, SignatureStatus.Unverified, SignatureReasons.WrongNamespace("file"), signing["ed25519"], null, null, "the commit signed for namespace file");
        Is(tag, SignatureStatus.Verified, null!, signing["ecdsa"], "sign-ecdsa", "dora", "the signed annotated tag");

        // allowed_signers over HTTP Basic with an API token; without credentials the private repository is not found.
        var token = (await server.WharfOrThrowAsync(["admin", "token", "create", "dora", "--name", "signers"])).Stdout.Trim().Split('\n')[^1].Trim();
        using var http = new HttpClient { BaseAddress = server.HttpAddress };
        var anonymous = await http.GetAsync($"/{repository}/allowed_signers");
        Assert.Equal(HttpStatusCode.NotFound, anonymous.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/{repository}/allowed_signers");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("dora:" + token)));
        var response = await http.SendAsync(request);
        var signers = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, signers);
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var lines = signers.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // The three signing keys that signed (the ed25519 one also signed the wrong-namespace commit), erin's key, and
        // dora's login-only key left out (it may not sign).
        Assert.Equal(4, lines.Length);
        Assert.All(lines, l => Assert.Matches("^[a-z]+@example\\.com namespaces=\"git\",valid-after=\"\\d{14}Z\" [a-z0-9-]+ [A-Za-z0-9+/=]+$", l));
        var file = Path.Combine(server.NewDirectory("signers"), "allowed_signers");
        await File.WriteAllTextAsync(file, signers);

        // git's own verdict for every commit and the tag: Good ("G") for dora's email exactly when Wharf says Verified.
        var log = await GitOkAsync(dora, work, "-c", "gpg.ssh.allowedSignersFile=" + file, "log", "--format=%H %G? %GS", "main");
        foreach (var line in log.Split('\n'))
        {
            var parts = line.Split(' ', 3);
            var gitGood = parts[1] == "G" && parts.Length > 2 && parts[2] == dora.Email;
            Assert.True(gitGood == (verdicts[parts[0]].Status == SignatureStatus.Verified),
                $"git says '{line}' but Wharf recorded {verdicts[parts[0]].Status} ({verdicts[parts[0]].Reason})");
        }
        var tagCheck = await server.GitAsync(dora, work, ["-c", "gpg.ssh.allowedSignersFile=" + file, "tag", "-v", "v1"]);
        Assert.True(tagCheck.ExitCode == 0 && tagCheck.Stderr.Contains("Good \"git\" signature for dora@example.com", StringComparison.Ordinal), tagCheck.Describe());
        var showSignature = await GitOkAsync(dora, work, "-c", "gpg.ssh.allowedSignersFile=" + file, "log", "--show-signature", "-1", byType["rsa"]);
        Assert.Contains("Good \"git\" signature for dora@example.com with RSA key " + signing["rsa"].Fingerprint, showSignature);

        // /dora.keys: the login key only, as authorized_keys lines.
        var keys = await http.GetAsync("/dora.keys");
        Assert.Equal(HttpStatusCode.OK, keys.StatusCode);
        Assert.Equal(string.Join(' ', dora.Key.PublicKeyLine.Split(' ')[..2]) + "\n", await keys.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/nobody-here.keys")).StatusCode);
    }

    [Fact]
    public async Task ASigningOnlyKeyIsRefusedAtLoginLikeAnUnknownKeyAndTheAuditLogSaysWhy()
    {
        var gail = await server.CreateUserAsync("gail", "ed25519");
        var signingOnly = await AddKeyAsync(gail, "ed25519", "gail-sign", "signing");
        var unknown = await SshKey.GenerateAsync(server.KeysDirectory, "gail_unknown", "ed25519");
        var refused = await server.SshAsync(signingOnly, ["-T"]);
        var unknownRun = await server.SshAsync(unknown, ["-T"]);
        Expect.ExitCode(255, refused, server, "ssh -T with a signing-only key");
        Expect.ExitCode(255, unknownRun, server, "ssh -T with an unknown key");
        Expect.StdoutIs("", refused, server, "a signing-only key must not see the greeting");
        // What the person sees is what an unknown key gets: no banner, the same refusal.
        Assert.Equal(unknownRun.Stderr.Trim(), refused.Stderr.Trim());
        Expect.StderrContains("Permission denied (publickey).", refused, server, "ssh -T with a signing-only key");

        await using var db = WharfDatabase.OpenSqlite(new WharfPaths(server.DataDirectory));
        var gailId = await db.Users.Where(u => u.LowerName == "gail").Select(u => u.Id).SingleAsync();
        var entry = Assert.Single(await db.AuditLog.Where(a => a.UserId == gailId && a.Action == AuditActions.KeyLoginRefused).ToListAsync());
        Assert.Equal((signingOnly.Fingerprint, "gail-sign", "the key is registered for signing only, not for logging in"),
            (entry.KeyFingerprint, entry.KeyLabel, entry.Detail));
    }

    [Fact]
    public async Task ACompromiseReportRevokesSignaturesRecordedSinceItsDateKeepsEarlierOnesAndStopsTheKey()
    {
        var hugo = await server.CreateUserAsync("hugo", "ed25519");
        var early = await AddKeyAsync(hugo, "ed25519", "hugo-early", "authentication_and_signing");
        var late = await AddKeyAsync(hugo, "ecdsa", "hugo-late", "signing");
        var repository = await server.CreateRepositoryAsync(hugo, "revoked");
        var work = server.NewDirectory("revoked");
        await GitOkAsync(hugo, work, "init", "-q", "-b", "main");
        var byEarly = await CommitAsync(hugo, work, "signed with the key leaked long ago", early);
        var byLate = await CommitAsync(hugo, work, "signed with the key leaked just now", late);
        await GitOkAsync(hugo, work, "remote", "add", "origin", server.Url(repository));
        await GitOkAsync(hugo, work, "push", "-q", "origin", "main");
        var before = await VerdictsAsync(repository);
        Assert.Equal(SignatureStatus.Verified, before[byEarly].Status);
        Assert.Equal(SignatureStatus.Verified, before[byLate].Status);
        Expect.Succeeded(await server.SshAsync(early, ["-T"]), server, "ssh -T with hugo-early before the report");

        var yesterday = DateTime.UtcNow.Date.AddDays(-1);
        await server.WharfOrThrowAsync(["admin", "key", "compromised", "hugo", "--label", "hugo-early", "--since", yesterday.ToString("yyyy-MM-dd")]);
        await server.WharfOrThrowAsync(["admin", "key", "compromised", "hugo", "--label", "hugo-late"]);

        var after = await VerdictsAsync(repository);
        Assert.Equal((SignatureStatus.Revoked, $"Revoked: key reported compromised on {yesterday:yyyy-MM-dd}"), (after[byEarly].Status, after[byEarly].Reason));
        Assert.Equal(SignatureStatus.Verified, after[byLate].Status);
        Assert.StartsWith("Verified when pushed; the key was reported compromised on ", after[byLate].Reason);

        var refused = await server.SshAsync(early, ["-T"]);
        Expect.ExitCode(255, refused, server, "ssh -T with a compromised key");
        Expect.StdoutIs("", refused, server, "a compromised key must not see the greeting");
        await using var db = WharfDatabase.OpenSqlite(new WharfPaths(server.DataDirectory));
        var hugoId = await db.Users.Where(u => u.LowerName == "hugo").Select(u => u.Id).SingleAsync();
        var actions = await db.AuditLog.Where(a => a.UserId == hugoId).OrderBy(a => a.Id).Select(a => new { a.Action, a.KeyLabel, a.Detail }).ToListAsync();
        Assert.Contains(actions, a => a.Action == AuditActions.KeyCompromised && a.KeyLabel == "hugo-early" && a.Detail == $"compromised since {yesterday:yyyy-MM-dd} 00:00:00 UTC");
        Assert.Contains(actions, a => a.Action == AuditActions.KeyLoginRefused && a.KeyLabel == "hugo-early" && a.Detail!.StartsWith("the key was reported compromised since ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARepositoryThatRequiresSignedCommitsRefusesAPushWithAnUnverifiedCommitOverGitsErrorChannelAndMovesNoRef()
    {
        var ivy = await server.CreateUserAsync("ivy", "ed25519");
        var signer = await AddKeyAsync(ivy, "ed25519", "ivy-sign", "signing");
        var repository = await server.CreateRepositoryAsync(ivy, "strict");
        await server.WharfOrThrowAsync(["admin", "repo", "signed-commits", repository, "--require", "on"]);

        var work = server.NewDirectory("strict");
        await GitOkAsync(ivy, work, "init", "-q", "-b", "main");
        var signed = await CommitAsync(ivy, work, "signed", signer);
        var unsigned = await CommitAsync(ivy, work, "unsigned on top", null);
        await GitOkAsync(ivy, work, "remote", "add", "origin", server.Url(repository));
        var refused = await server.GitAsync(ivy, work, ["push", "origin", "main"]);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains($"remote: wharf: refused: {unsigned[..12]} is not a verified signed commit (unsigned: no signature)", refused.Stderr);
        Assert.DoesNotContain(signed[..12] + " is not", refused.Stderr);
        Assert.Contains("[remote rejected] main -> main (pre-receive hook declined)", refused.Stderr);
        Assert.Equal("", (await GitOkAsync(ivy, work, "ls-remote", "origin")).Trim());

        await GitOkAsync(ivy, work, "reset", "-q", "--hard", signed);
        await GitOkAsync(ivy, work, "push", "-q", "origin", "main");
        Assert.StartsWith(signed, await GitOkAsync(ivy, work, "ls-remote", "origin", "refs/heads/main"));
        Assert.Equal(SignatureStatus.Verified, (await VerdictsAsync(repository))[signed].Status);
    }

    [Fact]
    public async Task RequireSignedCommitsSwitchedOnThroughTheApiRefusesAnUnsignedPushToMainWithGitsOwnMessageAndOffLetsItIn()
    {
        var jade = await server.CreateUserAsync("jade", "ed25519");
        var repository = await server.CreateRepositoryAsync(jade, "guarded");
        var token = (await server.WharfOrThrowAsync(["admin", "token", "create", "jade", "--name", "settings"])).Stdout.Trim().Split('\n')[^1].Trim();
        using var http = new HttpClient { BaseAddress = server.HttpAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        async Task<string> PutAsync(bool required)
        {
            using var body = new StringContent($"{{\"require_signed_commits\": {(required ? "true" : "false")}}}", Encoding.UTF8, "application/json");
            var response = await http.PutAsync($"/2.0/repositories/{repository}", body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            return text;
        }
        Assert.Contains("\"require_signed_commits\":true", await PutAsync(true));

        var work = server.NewDirectory("guarded");
        await GitOkAsync(jade, work, "init", "-q", "-b", "main");
        var unsigned = await CommitAsync(jade, work, "unsigned", null);
        await GitOkAsync(jade, work, "remote", "add", "origin", server.Url(repository));
        var refused = await server.GitAsync(jade, work, ["push", "origin", "main"]);
        Assert.Equal(1, refused.ExitCode);
        // What git prints, line by line: the hook's lines after "remote: ", then git's own verdict on the ref.
        var lines = refused.Stderr.Replace("\r", "").Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
        var first = lines.FindIndex(l => l.StartsWith("remote: ", StringComparison.Ordinal));
        Assert.True(first >= 0, refused.Stderr);
        var to = lines[first + 2];
        Assert.StartsWith("To ", to);
        Assert.Equal([
            $"remote: wharf: refused: {unsigned[..12]} is not a verified signed commit (unsigned: no signature)",
            "remote: wharf: this repository requires signed commits: every commit and annotated tag must carry a verified SSH signature.",
            to,
            " ! [remote rejected] main -> main (pre-receive hook declined)",
            $"error: failed to push some refs to '{to[3..]}'",
        ], lines[first..]);
        Assert.Equal("", await GitOkAsync(jade, work, "ls-remote", "origin"));

        // Switched off again through the API, the same push goes in.
        Assert.Contains("\"require_signed_commits\":false", await PutAsync(false));
        await GitOkAsync(jade, work, "push", "-q", "origin", "main");
        Assert.StartsWith(unsigned, await GitOkAsync(jade, work, "ls-remote", "origin", "refs/heads/main"));
        await using var db = WharfDatabase.OpenSqlite(new WharfPaths(server.DataDirectory));
        var jadeId = await db.Users.Where(u => u.LowerName == "jade").Select(u => u.Id).SingleAsync();
        Assert.Equal(["Require signed commits: on", "Require signed commits: off"], await db.AuditLog
            .Where(a => a.UserId == jadeId && a.Action == AuditActions.SignedCommitsChanged).OrderBy(a => a.Id).Select(a => a.KeyLabel).ToListAsync());
    }
}
