using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Wharf.Core.Signatures;
using Wharf.Server.Tests.Support;

namespace Wharf.Server.Tests;

/// <summary>
/// Issue 13 point 4 through the real host: commits signed by git itself (<c>gpg.format=ssh</c>, <c>commit -S</c>) show
/// their verdict as a badge on the commit list and the commit page, with the details in a disclosure, and as the
/// <c>signature</c> object of the API's commit objects. The commits are written into the repository directly (never seen
/// by a push), so each is checked when first shown, against the keys as they stand: one verified, one signed by a key no
/// account has, one unsigned, one signed by a key reported compromised before it was first shown.
/// </summary>
public sealed partial class SignatureBadgeTests : IAsyncLifetime
{
    private readonly ServeHost _host = new();
    private string _token = "";
    private WebSession? _bob;
    private string _work = "";
    private (string Private, string Public) _signer, _leaked, _stranger;
    private string _verified = "", _unknown = "", _unsigned = "", _revoked = "";
    private readonly string _since = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public async Task InitializeAsync()
    {
        _token = await _host.UserWithTokenAsync("alice");
        await _host.StartAsync();
        var (status, _) = await _host.SendAsync(HttpMethod.Post, "/2.0/repositories/alice/site", _token, new { is_private = false });
        Assert.Equal(HttpStatusCode.OK, status);
        var keys = Path.Combine(_host.Data.Root, "signing-keys");
        Directory.CreateDirectory(keys);
        _signer = NewKey(keys, "signer");
        _leaked = NewKey(keys, "leaked");
        _stranger = NewKey(keys, "stranger");
        foreach (var (label, key) in new[] { ("signer", _signer), ("leaked", _leaked) })
            Assert.Equal(0, (await _host.Data.PipeAsync(key.Public + "\n", "admin", "key", "add", "alice", "--label", label, "--usage", "signing")).ExitCode);
        Assert.Equal(0, (await _host.Data.RunAsync("admin", "key", "compromised", "alice", "--label", "leaked", "--since", _since)).ExitCode);

        _work = Path.Combine(_host.Data.Root, "work");
        Directory.CreateDirectory(_work);
        Git.Ok(_work, "init", "-q", "-b", "main");
        _unsigned = Commit("unsigned", null);
        _verified = Commit("signed by alice's signing key", _signer.Private);
        _unknown = Commit("signed by a key no account has", _stranger.Private);
        _revoked = Commit("signed by the leaked key", _leaked.Private);
        Git.Ok(_work, "push", "-q", Path.Combine(_host.Data.Paths.DataDirectory, "repositories", "alice", "site.git"), "main:main");
    }

    public async Task DisposeAsync()
    {
        _bob?.Dispose();
        await _host.DisposeAsync();
    }

    private static (string Private, string Public) NewKey(string directory, string name)
    {
        var path = Path.Combine(directory, name);
        using var p = Process.Start(new ProcessStartInfo("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path]) { RedirectStandardError = true })!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return (path, File.ReadAllText(path + ".pub").Trim());
    }

    private string Commit(string message, string? key)
    {
        string[] who = ["-c", "user.name=Alice", "-c", "user.email=alice@example.org"];
        Git.Ok(_work, key is null
            ? [.. who, "commit", "-q", "--allow-empty", "-m", message]
            : [.. who, "-c", "gpg.format=ssh", "-c", "user.signingkey=" + key, "commit", "-q", "-S", "--allow-empty", "-m", message]);
        return Git.Ok(_work, "rev-parse", "HEAD");
    }

    /// <summary>A page as bob (signed up on the site) sees it: the repository is public, so he may read it.</summary>
    private async Task<string> PageAsync(string path)
    {
        _bob ??= await WebSession.SignUpAsync(_host.Http.BaseAddress!, "bob");
        var (status, html) = await _bob.GetAsync(path);
        Assert.True(status == HttpStatusCode.OK, html);
        return Regex.Replace(html, @">\s+<", "><");
    }

    private static string Badge(string html) => WebUtility.HtmlDecode(BadgeText().Match(html).Groups[1].Value);

    [GeneratedRegex("<span class=\"badge signature-badge [^\"]*\">([^<]*)</span>")]
    private static partial Regex BadgeText();

    /// <summary>A commit's row, with character references decoded (Razor writes a fingerprint's '+' as <c>&amp;#x2B;</c>).</summary>
    private static string Row(string html, string id) => WebUtility.HtmlDecode(Regex.Match(html, $"<tr class=\"commit\" data-id=\"{id}\">.*?</tr>").Value);

    [Fact]
    public async Task TheCommitListShowsEachCommitsBadgeWithItsDetailsInADisclosure()
    {
        var html = await PageAsync("/alice/site/commits");
        Assert.Contains("<th scope=\"col\">Signature</th>", html);
        Assert.Equal(["Verified", "Unverified", "Unsigned", "Revoked"],
            new[] { _verified, _unknown, _unsigned, _revoked }.Select(id => Badge(Row(html, id))));

        var verified = Row(html, _verified);
        Assert.Contains("<td data-label=\"Signature\"><details class=\"signature\" data-status=\"verified\"><summary><span class=\"badge signature-badge badge-success\">Verified</span></summary>" +
            "<dl class=\"signature-details\"><dt>Key</dt><dd class=\"signature-key\">signer</dd>" +
            $"<dt>Fingerprint</dt><dd class=\"signature-fingerprint mono\">{TestKeys.Fingerprint(_signer.Public)}</dd>" +
            "<dt>Account</dt><dd class=\"signature-account\">alice</dd><dt>Checked</dt><dd class=\"signature-checked\"><time datetime=", verified);

        var unknown = Row(html, _unknown);
        Assert.Contains($"<dt>Reason</dt><dd class=\"signature-reason\">{SignatureReasons.UnknownKey}</dd>", unknown);
        Assert.Contains("<dd class=\"signature-key\">not registered on this Wharf</dd>", unknown);
        Assert.Contains($"<dd class=\"signature-fingerprint mono\">{TestKeys.Fingerprint(_stranger.Public)}</dd>", unknown);
        Assert.DoesNotContain("signature-account", unknown);

        Assert.Contains("<dt>Reason</dt><dd class=\"signature-reason\">no signature</dd><dt>Checked</dt>", Row(html, _unsigned));
        Assert.Contains($"<dt>Reason</dt><dd class=\"signature-reason\">Revoked: key reported compromised on {_since}</dd><dt>Key</dt><dd class=\"signature-key\">leaked</dd>",
            Row(html, _revoked));
    }

    [Fact]
    public async Task TheCommitPageShowsTheBadgeAmongItsFacts()
    {
        var revoked = await PageAsync($"/alice/site/commits/{_revoked}");
        Assert.Contains("<dt>Signature</dt><dd id=\"commit-signature\"><details class=\"signature\" data-status=\"revoked\"><summary>" +
            "<span class=\"badge signature-badge badge-danger\">Revoked</span></summary>", revoked);
        Assert.Contains($"<dd class=\"signature-reason\">Revoked: key reported compromised on {_since}</dd>", revoked);
        // An abbreviated id in the address shows the same verdict.
        Assert.Equal("Verified", Badge(await PageAsync($"/alice/site/commits/{_verified[..12]}")));
        Assert.Equal("Unverified", Badge(await PageAsync($"/alice/site/commits/{_unknown}")));
        Assert.Equal("Unsigned", Badge(await PageAsync($"/alice/site/commits/{_unsigned}")));
    }

    [Fact]
    public async Task TheApisCommitObjectsCarryTheSignatureObject()
    {
        var (status, page) = await _host.SendAsync(HttpMethod.Get, "/2.0/repositories/alice/site/commits", _token);
        Assert.Equal(HttpStatusCode.OK, status);
        var byHash = page.GetProperty("values").EnumerateArray().ToDictionary(v => v.GetProperty("hash").GetString()!, v => v.GetProperty("signature"));
        Assert.Equal(["verified", "unverified", "unsigned", "revoked"],
            new[] { _verified, _unknown, _unsigned, _revoked }.Select(id => byHash[id].GetProperty("status").GetString()));

        var verified = byHash[_verified];
        Assert.Equal((JsonValueKind.Null, "signer", TestKeys.Fingerprint(_signer.Public), "alice"),
            (verified.GetProperty("reason").ValueKind, verified.GetProperty("key").GetProperty("label").GetString(),
             verified.GetProperty("key").GetProperty("fingerprint").GetString(), verified.GetProperty("account").GetString()));
        Assert.True(DateTimeOffset.UtcNow - verified.GetProperty("verified_at").GetDateTimeOffset() < TimeSpan.FromHours(1));
        var unsigned = byHash[_unsigned];
        Assert.Equal(("no signature", JsonValueKind.Null, JsonValueKind.Null),
            (unsigned.GetProperty("reason").GetString(), unsigned.GetProperty("key").ValueKind, unsigned.GetProperty("account").ValueKind));

        // One commit: the verdict recorded when the list first showed it.
        var (one, revoked) = await _host.SendAsync(HttpMethod.Get, $"/2.0/repositories/alice/site/commit/{_revoked}", _token);
        Assert.Equal(HttpStatusCode.OK, one);
        var signature = revoked.GetProperty("signature");
        Assert.Equal(("revoked", $"Revoked: key reported compromised on {_since}", "leaked", "alice", byHash[_revoked].GetProperty("verified_at").GetString()),
            (signature.GetProperty("status").GetString(), signature.GetProperty("reason").GetString(), signature.GetProperty("key").GetProperty("label").GetString(),
             signature.GetProperty("account").GetString(), signature.GetProperty("verified_at").GetString()));
        var (_, unknown) = await _host.SendAsync(HttpMethod.Get, $"/2.0/repositories/alice/site/commit/{_unknown}", _token);
        Assert.Equal(("unverified", SignatureReasons.UnknownKey, JsonValueKind.Null, TestKeys.Fingerprint(_stranger.Public)),
            (unknown.GetProperty("signature").GetProperty("status").GetString(), unknown.GetProperty("signature").GetProperty("reason").GetString(),
             unknown.GetProperty("signature").GetProperty("key").GetProperty("label").ValueKind,
             unknown.GetProperty("signature").GetProperty("key").GetProperty("fingerprint").GetString()));
    }

    [Fact]
    public async Task AMercurialChangesetShowsNoBadgeAndHasNoSignatureObject()
    {
        var (status, _) = await _host.SendAsync(HttpMethod.Post, "/2.0/repositories/alice/notes", _token, new { scm = "hg", is_private = false });
        Assert.Equal(HttpStatusCode.OK, status);
        using var hg = new HgWorkingCopy(Path.Combine(_host.Data.Root, "hg-work"));
        var node = hg.Write("notes.txt", "one\n").Commit("First note");
        hg.Hg("push", "-q", Path.Combine(_host.Data.Paths.DataDirectory, "repositories", "alice", "notes.hg"));

        var list = await PageAsync("/alice/notes/commits");
        Assert.Contains($"<tr class=\"commit\" data-id=\"{node}\">", list);
        Assert.DoesNotContain("Signature", list);
        Assert.DoesNotContain("signature-badge", list);
        Assert.DoesNotContain("commit-signature", await PageAsync($"/alice/notes/commits/{node}"));
        var (_, page) = await _host.SendAsync(HttpMethod.Get, "/2.0/repositories/alice/notes/commits", _token);
        Assert.Equal([(node, false)], page.GetProperty("values").EnumerateArray().Select(v => (v.GetProperty("hash").GetString(), v.TryGetProperty("signature", out _))));
        var (_, one) = await _host.SendAsync(HttpMethod.Get, $"/2.0/repositories/alice/notes/commit/{node}", _token);
        Assert.False(one.TryGetProperty("signature", out _));
    }
}
