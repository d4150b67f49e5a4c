using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Core.Audit;
using Wharf.Server.Web.Accounts;

namespace Wharf.Server.Tests;

/// <summary>
/// Issue 13 point 6 on the keys page: the add-key form shows a challenge; a key added with an SSHSIG over it (made by
/// the real <c>ssh-keygen -Y sign -n wharf-key-proof</c>) is "possession proven" and takes the key back from an account
/// that claimed it without proof; a proof by another key, for another namespace or over another account's challenge is
/// refused beside its field and stores nothing.
/// </summary>
public sealed partial class KeyProofPageTests : WebPageTestBase
{
    private const string Keys = SshKeyPages.Path;

    [GeneratedRegex("name=\"challenge\" value=\"([^\"]+)\"")]
    private static partial Regex ChallengeField();

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var output = await p.StandardOutput.ReadToEndAsync();
        var error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error}");
        return output;
    }

    private sealed record KeyPair(string PrivatePath, string PublicLine);

    private async Task<KeyPair> NewKeyAsync(string name)
    {
        var dir = Directory.CreateTempSubdirectory("wharf-proof-");
        var path = Path.Combine(dir.FullName, name);
        await RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path);
        return new KeyPair(path, (await File.ReadAllTextAsync(path + ".pub")).Trim());
    }

    /// <summary>What the form tells a person to run: <c>echo CHALLENGE | ssh-keygen -Y sign -n NS -f KEY</c>.</summary>
    private static async Task<string> SignAsync(KeyPair key, string challenge, string ns = "wharf-key-proof")
    {
        var file = key.PrivatePath + "-" + Guid.NewGuid().ToString("N")[..8] + ".txt";
        await File.WriteAllTextAsync(file, challenge + "\n");
        await RunAsync("ssh-keygen", "-Y", "sign", "-n", ns, "-f", key.PrivatePath, file);
        return await File.ReadAllTextAsync(file + ".sig");
    }

    private static async Task<string> ChallengeAsync(WebSession session)
    {
        var (_, html) = await session.GetAsync(Keys);
        return System.Net.WebUtility.HtmlDecode(ChallengeField().Match(html).Groups[1].Value);
    }

    [Fact]
    public async Task A_proven_key_takes_the_key_back_from_a_squatter_who_loses_it_and_both_logs_record_it()
    {
        using var mallory = await SignUpAsync("mallory");
        using var alice = await SignUpAsync("alice");
        // Key notices go to verified addresses only: mallory's is, so she hears when she loses the key.
        await using (var verify = Host.Data.OpenDatabase())
            await verify.Users.Where(u => u.Name == "mallory").ExecuteUpdateAsync(s => s.SetProperty(u => u.EmailVerified, true));
        var key = await NewKeyAsync("alice_laptop");
        // Mallory copied alice's public key (they are public) and added it first, without proof.
        var squat = await mallory.PostFormAsync(Keys, Keys, ("label", "not mine"), ("key", key.PublicLine));
        Assert.Equal(HttpStatusCode.Redirect, squat.StatusCode);

        // Without proof alice is told the key is in use, as before.
        var plain = await alice.PostFormAsync(Keys, Keys, ("label", "laptop"), ("key", key.PublicLine));
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);

        var challenge = await ChallengeAsync(alice);
        Assert.StartsWith("wharf-key-proof:", challenge);
        var proof = await SignAsync(key, challenge);
        var added = await alice.PostFormAsync(Keys, Keys, ("label", "laptop"), ("key", key.PublicLine), ("challenge", challenge), ("proof", proof));
        Assert.Equal((HttpStatusCode.Redirect, Keys), (added.StatusCode, added.Headers.Location?.OriginalString));
        var (_, html) = await alice.GetAsync(Keys);
        Assert.Equal("Key 'laptop' added, possession proven.", FlashOf(html));
        Assert.Contains(">possession proven</span>", html);

        await using var db = Host.Data.OpenDatabase();
        var stored = await db.SshKeys.AsNoTracking().SingleAsync();
        var owner = await db.Users.SingleAsync(u => u.Id == stored.UserId);
        Assert.Equal(("alice", "laptop"), (owner.Name, stored.Label));
        Assert.NotNull(stored.PossessionProvenAt);
        var malloryId = await db.Users.Where(u => u.Name == "mallory").Select(u => u.Id).SingleAsync();
        var lost = await db.AuditLog.SingleAsync(a => a.UserId == malloryId && a.Action == AuditActions.KeyTakenOver);
        Assert.Equal(("not mine", "system", "another account proved that it holds this key's private key; this account never had"),
            (lost.KeyLabel, lost.Actor, lost.Detail));
        Assert.DoesNotContain("alice", lost.Detail);
        var won = await db.AuditLog.Where(a => a.UserId == owner.Id && a.Action == AuditActions.KeyAdded).SingleAsync();
        Assert.Equal("possession proven; the key was taken over from another account that had not proven it", won.Detail);

        // Mallory is mailed (no SMTP here: the outbox), told which key and why, never who took it.
        var outbox = Mail.Outbox.Path(Host.Data.Paths);
        var mail = Assert.Single(Directory.GetFiles(outbox, "*.eml").Select(f => MimeKit.MimeMessage.Load(f)), m => m.Subject == "SSH key moved to another account");
        Assert.Equal("mallory@example.org", Assert.Single(mail.To.Mailboxes).Address);
        var body = (mail.TextBody ?? "").Replace("\r\n", "\n");
        Assert.Contains("Label: not mine\n", body);
        Assert.Contains("Fingerprint: " + stored.Fingerprint + "\n", body);
        Assert.DoesNotContain("alice", mail.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("PRIVATE KEY", mail.ToString(), StringComparison.Ordinal);

        // Once proven, nobody takes it over again without proof, and even with a proof the proven owner keeps it.
        var again = await mallory.PostFormAsync(Keys, Keys, ("label", "mine now"), ("key", key.PublicLine));
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Equal("alice", (await db.Users.SingleAsync(u => u.Id == db.SshKeys.Single().UserId)).Name);
    }

    [Fact]
    public async Task Proofs_by_another_key_for_another_namespace_or_over_another_accounts_challenge_are_refused_and_store_nothing()
    {
        using var alice = await SignUpAsync("alice");
        using var bob = await SignUpAsync("bob");
        var key = await NewKeyAsync("alice_key");
        var other = await NewKeyAsync("other_key");
        var challenge = await ChallengeAsync(alice);

        async Task RefusedAsync(string challengeSent, string proof, string message)
        {
            var response = await alice.PostFormAsync(Keys, Keys, ("label", "laptop"), ("key", key.PublicLine), ("challenge", challengeSent), ("proof", proof));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var html = await response.Content.ReadAsStringAsync();
            Assert.Contains(System.Text.Encodings.Web.HtmlEncoder.Default.Encode(message), html);
        }

        await RefusedAsync(challenge, await SignAsync(other, challenge),
            "The proof of possession does not hold: it was made with another key than the one pasted above.");
        await RefusedAsync(challenge, await SignAsync(key, challenge, "file"),
            "The proof of possession does not hold: it was made for the namespace 'file'; sign with -n wharf-key-proof.");
        await RefusedAsync(challenge, await SignAsync(key, challenge + "x"),
            "The proof of possession does not hold: the signature does not match the challenge shown on this page.");
        var bobs = await ChallengeAsync(bob);
        await RefusedAsync(bobs, await SignAsync(key, bobs),
            "The proof of possession does not hold: the challenge is not one this page gave you. Sign the new challenge below.");

        await using var db = Host.Data.OpenDatabase();
        Assert.Equal(0, await db.SshKeys.CountAsync());
        Assert.Equal(0, await db.AuditLog.CountAsync(a => a.Action == AuditActions.KeyAdded));
    }

    private async Task<(int Keys, int Added, int Spent, int TakenOver)> CountsAsync()
    {
        await using var db = Host.Data.OpenDatabase();
        return (await db.SshKeys.CountAsync(), await db.AuditLog.CountAsync(a => a.Action == AuditActions.KeyAdded),
            await db.EmailTokens.CountAsync(t => t.Purpose == Core.Users.EmailTokenPurpose.KeyProofSpent),
            await db.AuditLog.CountAsync(a => a.Action == AuditActions.KeyTakenOver));
    }

    [Fact]
    public async Task A_challenge_proves_a_key_once_and_a_replayed_proof_is_refused_changing_nothing()
    {
        using var alice = await SignUpAsync("alice");
        using var mallory = await SignUpAsync("mallory");
        var key = await NewKeyAsync("alice_laptop");
        var challenge = await ChallengeAsync(alice);
        var proof = await SignAsync(key, challenge);
        var first = await alice.PostFormAsync(Keys, Keys, ("label", "laptop"), ("key", key.PublicLine), ("challenge", challenge), ("proof", proof));
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Equal((1, 1, 1, 0), await CountsAsync());

        // The key is deleted and someone squats it; the same proof sent again proves nothing: it neither adds the key
        // back nor takes it from the squatter, and the form offers a new challenge.
        await using (var db = Host.Data.OpenDatabase())
        {
            var uuid = await db.SshKeys.Select(k => k.Uuid).SingleAsync();
            Assert.Equal(HttpStatusCode.Redirect, (await alice.PostFormAsync(Keys, $"{Keys}/{uuid:D}/delete")).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Redirect, (await mallory.PostFormAsync(Keys, Keys, ("label", "not mine"), ("key", key.PublicLine))).StatusCode);
        var before = await CountsAsync();
        Assert.Equal((1, 2, 1, 0), before);

        var replayed = await alice.PostFormAsync(Keys, Keys, ("label", "laptop"), ("key", key.PublicLine), ("challenge", challenge), ("proof", proof));
        Assert.Equal(HttpStatusCode.BadRequest, replayed.StatusCode);
        var html = await replayed.Content.ReadAsStringAsync();
        Assert.Contains(System.Text.Encodings.Web.HtmlEncoder.Default.Encode("The proof of possession does not hold: this challenge was already used to prove a key, " +
            "and each challenge can be used only once. Sign the new challenge below."), html);
        var offered = System.Net.WebUtility.HtmlDecode(ChallengeField().Match(html).Groups[1].Value);
        Assert.StartsWith("wharf-key-proof:", offered);
        Assert.NotEqual(challenge, offered);
        Assert.Equal(before, await CountsAsync());
        await using (var db = Host.Data.OpenDatabase())
            Assert.Equal("mallory", await db.Users.Where(u => u.Id == db.SshKeys.Single().UserId).Select(u => u.Name).SingleAsync());

        // A new challenge signed with the same key still works, and takes the key back from the squatter.
        var fresh = await ChallengeAsync(alice);
        var again = await alice.PostFormAsync(Keys, Keys, ("label", "laptop"), ("key", key.PublicLine), ("challenge", fresh), ("proof", await SignAsync(key, fresh)));
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        Assert.Equal((1, 3, 2, 1), await CountsAsync());
    }

    [Fact]
    public async Task An_expired_challenge_is_refused_with_its_own_message_and_stores_nothing()
    {
        using var alice = await SignUpAsync("alice");
        var key = await NewKeyAsync("alice_laptop");
        Guid uuid;
        await using (var db = Host.Data.OpenDatabase())
            uuid = await db.Users.Where(u => u.Name == "alice").Select(u => u.Uuid).SingleAsync();
        // A challenge this server gave alice, whose hour ended a second ago.
        var now = Host.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var expired = SshKeyPages.NewChallenge(Host.Services, uuid, now.AddSeconds(-1));
        var response = await alice.PostFormAsync(Keys, Keys, ("label", "laptop"), ("key", key.PublicLine), ("challenge", expired), ("proof", await SignAsync(key, expired)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(System.Text.Encodings.Web.HtmlEncoder.Default.Encode(
            "The proof of possession does not hold: the challenge expired (a challenge is good for 60 minutes). Sign the new challenge below."),
            await response.Content.ReadAsStringAsync());
        Assert.Equal((0, 0, 0, 0), await CountsAsync());

        // The same, still within its hour, is accepted: only the expiry was wrong.
        var current = SshKeyPages.NewChallenge(Host.Services, uuid, now.AddMinutes(5));
        var accepted = await alice.PostFormAsync(Keys, Keys, ("label", "laptop"), ("key", key.PublicLine), ("challenge", current), ("proof", await SignAsync(key, current)));
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
        Assert.Equal((1, 1, 1, 0), await CountsAsync());
    }
}
