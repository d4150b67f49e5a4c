using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Wharf.Core.Signatures;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// <c>GET /OWNER/NAME/allowed_signers</c> against git 2.39's own check: <c>git log</c> with the downloaded file gives
/// Good for exactly the commits Wharf verified, also for a commit signed before its key was added to Wharf (Wharf
/// verifies it at the push, git compares the committer time with the key's validity), a commit signed and pushed
/// while no account had its key, and one signed with a leaked key and dated before the compromise report; and who
/// may download the file.
/// </summary>
public sealed class AllowedSignersTests(WharfServer server) : IClassFixture<WharfServer>
{
    private async Task<string> GitOkAsync(TestUser user, string work, string[] args, DateTimeOffset? at = null)
    {
        // git's internal date format: seconds since the epoch and a zone.
        var date = at is { } t ? t.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + " +0000" : null;
        var run = await server.GitAsync(user, work, args, extraEnvironment: date is null ? null
            : new Dictionary<string, string?> { ["GIT_COMMITTER_DATE"] = date, ["GIT_AUTHOR_DATE"] = date });
        Expect.Succeeded(run, server, "git " + string.Join(' ', args));
        return run.Stdout.Trim();
    }

    /// <summary>An empty commit signed by git with <paramref name="key"/> (none: unsigned), committed at <paramref name="at"/> (default now).</summary>
    private async Task<string> CommitAsync(TestUser user, string work, string message, SshKey? key, DateTimeOffset? at = null)
    {
        string[] command = key is null ? ["commit"] : ["-c", "gpg.format=ssh", "-c", "user.signingkey=" + key.PrivateKeyPath, "commit", "-S"];
        await GitOkAsync(user, work, [.. command, "-q", "--allow-empty", "-m", message], at);
        return await GitOkAsync(user, work, ["rev-parse", "HEAD"]);
    }

    private Task AddKeyAsync(string user, string label, SshKey key) =>
        server.WharfOrThrowAsync(["admin", "key", "add", user, "--label", label, "--usage", "signing"], key.PublicKeyLine + "\n");

    private static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "Z";

    private static string KeyPart(SshKey key) => string.Join(' ', key.PublicKeyLine.Split(' ')[..2]);

    [Fact]
    public async Task GitLogWithTheDownloadedFileAgreesWithWharfOnCommitsSignedBeforeTheirKeyWasAddedAndOnBackdatedCommitsOfALeakedKey()
    {
        var kim = await server.CreateUserAsync("kim", "ed25519");
        var early = await SshKey.GenerateAsync(server.KeysDirectory, "kim_early", "ed25519");
        var late = await SshKey.GenerateAsync(server.KeysDirectory, "kim_late", "ecdsa");
        var leaked = await SshKey.GenerateAsync(server.KeysDirectory, "kim_leaked", "ed25519");
        await AddKeyAsync("kim", "kim-leaked", leaked);
        var repository = await server.CreateRepositoryAsync(kim, "history");
        var work = server.NewDirectory("history");
        await GitOkAsync(kim, work, ["init", "-q", "-b", "main"]);
        await GitOkAsync(kim, work, ["remote", "add", "origin", server.Url(repository)]);
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());

        // Signed and pushed yesterday while no account had the key: recorded "unknown key", and it stays so.
        var beforeAnyone = await CommitAsync(kim, work, "late key, pushed before it was registered", late, now.AddDays(-1));
        await GitOkAsync(kim, work, ["push", "-q", "origin", "main"]);
        // Signed three days ago, the key added today, pushed after: Wharf checks it against the key as it stands.
        var beforeAdded = await CommitAsync(kim, work, "early key, signed before it was registered", early, now.AddDays(-3));
        await AddKeyAsync("kim", "kim-early", early);
        await AddKeyAsync("kim", "kim-late", late);
        var lateVerified = await CommitAsync(kim, work, "late key, now registered", late);
        var leakedGood = await CommitAsync(kim, work, "leaked key, two days ago, before the leak", leaked, now.AddDays(-2));
        var unsigned = await CommitAsync(kim, work, "unsigned", null);
        await GitOkAsync(kim, work, ["push", "-q", "origin", "main"]);
        // The leak is reported now; whoever has the key signs a commit dated yesterday, before the report.
        await server.WharfOrThrowAsync(["admin", "key", "compromised", "kim", "--label", "kim-leaked"]);
        var backdated = await CommitAsync(kim, work, "leaked key, backdated to yesterday", leaked, now.AddDays(-1));
        await GitOkAsync(kim, work, ["push", "-q", "origin", "main"]);

        var verdicts = await SignedCommitTests.VerdictsAsync(server, repository);
        var expected = new (SignatureStatus, string?)[]
        {
            (SignatureStatus.Unverified, SignatureReasons.UnknownKey),
            (SignatureStatus.Verified, null),
            (SignatureStatus.Verified, null),
            (SignatureStatus.Verified, null),
            (SignatureStatus.Unsigned, SignatureReasons.NoSignature),
            (SignatureStatus.Revoked, SignatureReasons.Revoked(now.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))),
        };
        Assert.Equal(expected, new[] { beforeAnyone, beforeAdded, lateVerified, leakedGood, unsigned, backdated }
            .Select(id => (verdicts[id].Status, verdicts[id].Status == SignatureStatus.Verified ? null : verdicts[id].Reason)).ToArray());

        var token = (await server.WharfOrThrowAsync(["admin", "token", "create", "kim", "--name", "signers"])).Stdout.Trim().Split('\n')[^1].Trim();
        using var http = new HttpClient { BaseAddress = server.HttpAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("kim:" + token)));
        var signers = await http.GetStringAsync($"/{repository}/allowed_signers");
        var lines = signers.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        // The early key is good from the oldest commit Wharf verified with it; the late one from when it was added (its
        // unknown-key commit stays outside); the leaked one until just before the oldest signature Wharf revoked.
        Assert.Contains($"kim@example.com namespaces=\"git\",valid-after=\"{Stamp(now.AddDays(-3))}\" {KeyPart(early)}", lines);
        Assert.Contains($"kim@example.com namespaces=\"git\",valid-after=\"{Stamp(now.AddDays(-2))}\",valid-before=\"{Stamp(now.AddDays(-1).AddSeconds(-1))}\" {KeyPart(leaked)}", lines);
        var lateLine = Assert.Single(lines, l => l.EndsWith(KeyPart(late), StringComparison.Ordinal));
        Assert.Matches("^kim@example\\.com namespaces=\"git\",valid-after=\"\\d{14}Z\" ", lateLine);
        var lateFrom = DateTimeOffset.ParseExact(lateLine.Split('"')[3], "yyyyMMddHHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        Assert.InRange(lateFrom, now, now.AddMinutes(10));

        var file = Path.Combine(server.NewDirectory("history-signers"), "allowed_signers");
        await File.WriteAllTextAsync(file, signers);
        var log = await GitOkAsync(kim, work, ["-c", "gpg.ssh.allowedSignersFile=" + file, "log", "--format=%H %G? %GS", "main"]);
        var seen = 0;
        foreach (var line in log.Split('\n'))
        {
            var parts = line.Split(' ', 3);
            var gitGood = parts[1] == "G" && parts.Length > 2 && parts[2] == kim.Email;
            Assert.True(gitGood == (verdicts[parts[0]].Status == SignatureStatus.Verified),
                $"git says '{line}' but Wharf recorded {verdicts[parts[0]].Status} ({verdicts[parts[0]].Reason})");
            seen++;
        }
        Assert.Equal(6, seen);
        // What a person reads: the commit signed before its key was added is good, the backdated one is not.
        var shown = await server.GitAsync(kim, work, ["-c", "gpg.ssh.allowedSignersFile=" + file, "log", "--show-signature", "-1", beforeAdded]);
        Assert.True(shown.ExitCode == 0 && shown.Stdout.Contains($"Good \"git\" signature for kim@example.com with ED25519 key {early.Fingerprint}", StringComparison.Ordinal), shown.Describe());
        var refused = await server.GitAsync(kim, work, ["-c", "gpg.ssh.allowedSignersFile=" + file, "log", "--show-signature", "-1", backdated]);
        // ssh-keygen still finds the signature well made, but names no signer: the key had expired at its date.
        var said = refused.Stdout + refused.Stderr;
        Assert.True(said.Contains("key has expired", StringComparison.Ordinal) && said.Contains("No principal matched.", StringComparison.Ordinal)
            && !said.Contains("Good \"git\" signature for", StringComparison.Ordinal), refused.Describe());
    }

    [Fact]
    public async Task AnyoneMayDownloadTheFileOfAPublicRepositoryAndNobodyAnonymousThatOfAPrivateOne()
    {
        var lena = await server.CreateUserAsync("lena", "ed25519");
        var signer = await SshKey.GenerateAsync(server.KeysDirectory, "lena_signer", "ed25519");
        await AddKeyAsync("lena", "lena-sign", signer);
        const string open = "lena/open-signers", closed = "lena/closed-signers";
        await server.WharfOrThrowAsync(["admin", "repo", "create", open, "--public"]);
        await server.WharfOrThrowAsync(["admin", "repo", "create", closed]);
        var work = server.NewDirectory("lena");
        await GitOkAsync(lena, work, ["init", "-q", "-b", "main"]);
        await CommitAsync(lena, work, "signed", signer);
        foreach (var repository in new[] { open, closed })
            await GitOkAsync(lena, work, ["push", "-q", server.Url(repository), "main"]);

        using var anonymous = new HttpClient { BaseAddress = server.HttpAddress };
        var response = await anonymous.GetAsync($"/{open}/allowed_signers");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal((HttpStatusCode.OK, "text/plain; charset=utf-8"), (response.StatusCode, response.Content.Headers.ContentType?.ToString()));
        Assert.Matches($"^lena@example\\.com namespaces=\"git\",valid-after=\"\\d{{14}}Z\" {System.Text.RegularExpressions.Regex.Escape(KeyPart(signer))}\n$", text);

        var hidden = await anonymous.GetAsync($"/{closed}/allowed_signers");
        Assert.Equal((HttpStatusCode.NotFound, $"Repository '{closed}' does not exist, or you do not have access to it.\n"),
            (hidden.StatusCode, await hidden.Content.ReadAsStringAsync()));
        // A missing repository reads the same.
        var missing = await anonymous.GetAsync("/lena/no-such-repository/allowed_signers");
        Assert.Equal((HttpStatusCode.NotFound, "Repository 'lena/no-such-repository' does not exist, or you do not have access to it.\n"),
            (missing.StatusCode, await missing.Content.ReadAsStringAsync()));

        // Its owner, with a token over HTTP Basic, gets the private repository's file: the same line.
        var token = (await server.WharfOrThrowAsync(["admin", "token", "create", "lena", "--name", "signers"])).Stdout.Trim().Split('\n')[^1].Trim();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/{closed}/allowed_signers");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("lena:" + token)));
        var owned = await anonymous.SendAsync(request);
        Assert.Equal((HttpStatusCode.OK, text), (owned.StatusCode, await owned.Content.ReadAsStringAsync()));
    }
}
