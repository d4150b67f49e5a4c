using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Core.Access;
using Wharf.Core.Audit;
using Wharf.Core.Keys;
using Wharf.Core.Repositories;
using Wharf.Core.Users;
using Wharf.Ssh.Keys;

namespace Wharf.Server.Tests;

/// <summary><c>/</c> signed out (the landing page) and signed in (the dashboard), through the real host.</summary>
public sealed partial class WebHomeTests : WebPageTestBase
{
    private int SshPort => Host.SshEndPoint.Port;

    [Fact]
    public async Task SignedOutTheStartPageSaysWhatWharfIsAndOffersSignUpAndSignIn()
    {
        using var visitor = new WebSession(Host.BaseAddress);
        var (status, html) = await visitor.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Git and Mercurial hosting where your SSH key is the front door", TextOf(html, "h1"));
        Assert.Contains("<main id=\"main\"", html, StringComparison.Ordinal);
        Assert.Contains("<meta name=\"viewport\"", html, StringComparison.Ordinal);
        Assert.Contains("<a class=\"button\" id=\"landing-signup\" href=\"/signup\">Sign up</a>", html, StringComparison.Ordinal);
        Assert.Contains("id=\"landing-signin\" href=\"/signin\">Sign in</a>", html, StringComparison.Ordinal);
        Assert.Contains("id=\"landing-host-keys\" href=\"/host-keys\"", html, StringComparison.Ordinal);
        Assert.Equal($"git clone ssh://git@127.0.0.1:{SshPort}/OWNER/REPOSITORY.git", TextOf(html, "pre", "clone-url-git"));
        Assert.Equal($"hg clone ssh://hg@127.0.0.1:{SshPort}/OWNER/REPOSITORY", TextOf(html, "pre", "clone-url-hg"));
        Assert.DoesNotContain("id=\"dashboard", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithSignUpClosedTheStartPageOffersOnlySignIn()
    {
        using var data = new TestData();
        Directory.CreateDirectory(data.Paths.DataDirectory);
        await File.WriteAllTextAsync(Path.Combine(data.Paths.DataDirectory, "wharf.json"), """{ "Accounts": { "SignUp": "closed" } }""");
        await using var serve = await InProcessServe.StartAsync(data);
        using var visitor = new WebSession(new Uri(serve.HttpBaseUrl));

        var (status, html) = await visitor.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<a class=\"button\" id=\"landing-signin\" href=\"/signin\">Sign in</a>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"/signup\"", html, StringComparison.Ordinal);
        Assert.Equal("Accounts on this server are created by its administrators.", TextOf(html, "p", "landing-signup-closed"));
    }

    [Fact]
    public async Task ADashboardWithoutKeysOrRepositoriesSaysWhatToDoFirst()
    {
        using var alice = await SignUpAsync("alice");
        var (status, html) = await alice.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Dashboard", TextOf(html, "h1"));
        Assert.DoesNotContain("href=\"/signup\"", html, StringComparison.Ordinal);
        Assert.StartsWith("You have no SSH key yet.", TextOf(html, "p", null, "keys-none"), StringComparison.Ordinal);
        Assert.Contains("<a class=\"button\" id=\"keys-guide\" href=\"/account/ssh-keys/guide\">Set up a key, step by step</a>", html, StringComparison.Ordinal);
        Assert.Contains("id=\"keys-add\" href=\"/account/ssh-keys\">Add a key you already have</a>", html, StringComparison.Ordinal);
        Assert.Contains("<div class=\"empty-state\" id=\"no-repositories\"><p class=\"empty-title\">No repositories yet</p>", html, StringComparison.Ordinal);
        Assert.Contains("<a class=\"button\" href=\"/repositories/new\">Create a repository</a>", html, StringComparison.Ordinal);
        Assert.Equal($"git remote add origin ssh://git@127.0.0.1:{SshPort}/alice/my-project.git\ngit push -u origin --all", TextOf(html, "pre", "push-existing"));
        Assert.Equal("No pushes to your repositories yet.", TextOf(html, "p", "no-recent-pushes"));
    }

    [Fact]
    public async Task AKeyExpiringWithin30DaysIsToBeReplacedAndOthersAreSummarised()
    {
        using var alice = await SignUpAsync("alice");
        var now = DateTimeOffset.UtcNow;
        var soon = new DateTimeOffset(DateOnly.FromDateTime(now.UtcDateTime.AddDays(10)).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var later = now.AddDays(90);
        var laptop = await AddKeyAsync("alice", TestKeys.Ed25519("a@laptop"), "laptop", soon);
        await AddKeyAsync("alice", TestKeys.Ed25519("a@desk"), "desk", later);

        var (_, html) = await alice.GetAsync("/");

        Assert.Equal($"Your key 'laptop' expires on {soon:yyyy-MM-dd}: replace it.", TextOf(html, "p", $"key-expiring-{laptop}"));
        Assert.Contains("<a href=\"/account/ssh-keys\" aria-label=\"Replace laptop\">replace it</a>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Your key 'desk'", WebUtility.HtmlDecode(html), StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"keys-none\"", html, StringComparison.Ordinal);
        var summary = Regex.Match(html, "<ul class=\"item-list\" id=\"keys-summary\">(.*?)</ul>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Equal(["laptop ssh-ed25519 last used never", "desk ssh-ed25519 last used never"],
            Regex.Matches(summary, "<li>(.*?)</li>", RegexOptions.Singleline).Select(li => Spaces().Replace(Tags().Replace(li.Groups[1].Value, ""), " ").Trim()));
    }

    [Fact]
    public async Task TheDashboardListsOwnAndSharedRepositoriesAndTheirPushes()
    {
        using var alice = await SignUpAsync("alice");
        using var bob = await SignUpAsync("bob");
        using var carol = await SignUpAsync("carol");
        Assert.Equal(HttpStatusCode.Redirect, (await CreateAsync(alice, "hello")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await CreateAsync(bob, "shared-one", scm: "hg")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await CreateAsync(bob, "public-one", isPrivate: false)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await CreateAsync(carol, "secret")).StatusCode);
        var hello = (await StoredAsync("hello"))!;
        var shared = (await StoredAsync("shared-one"))!;
        var secret = (await StoredAsync("secret"))!;
        var now = DateTimeOffset.UtcNow;
        await using (var db = Host.Data.OpenDatabase())
        {
            var aliceId = await db.Users.Where(u => u.LowerName == "alice").Select(u => u.Id).SingleAsync();
            var bobId = await db.Users.Where(u => u.LowerName == "bob").Select(u => u.Id).SingleAsync();
            var carolId = await db.Users.Where(u => u.LowerName == "carol").Select(u => u.Id).SingleAsync();
            db.RepositoryGrants.Add(new RepositoryGrant { RepositoryId = shared.Id, UserId = aliceId, Level = AccessLevel.Read, CreatedAt = now });
            db.AuditLog.AddRange(
                Push(aliceId, "alice", "laptop", "alice/hello", hello, now.AddHours(-3)),
                Push(bobId, "bob", "bob-desk", "bob/shared-one", shared, now.AddMinutes(-5)),
                Push(carolId, "carol", "carol-key", "carol/secret", secret, now.AddMinutes(-1)));
            await db.SaveChangesAsync();
            await db.Repositories.Where(r => r.Id == hello.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.LastPushedAt, now.AddHours(-3)));
            await db.Repositories.Where(r => r.Id == shared.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.LastPushedAt, now.AddMinutes(-5)));
            await db.Repositories.Where(r => r.Id == secret.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.LastPushedAt, now.AddMinutes(-1)));
        }

        var (_, html) = await alice.GetAsync("/");

        Assert.Equal(["alice/hello"], Rows(html, "repositories-own").Select(r => r[0]));
        Assert.Equal(["alice/hello", "Git", "Private", "3 hours ago"], Rows(html, "repositories-own")[0]);
        // Bob's public repository is visible to everyone but not shared with alice; carol's is not hers to see.
        Assert.Equal([["bob/shared-one", "Mercurial", "Private", "5 minutes ago"]], Rows(html, "repositories-shared"));
        Assert.Contains("<a href=\"/bob/shared-one\">bob/shared-one</a>", html, StringComparison.Ordinal);
        Assert.Equal(
            [
                ["bob/shared-one", "bob", "bob-desk SHA256:bob-desk", "5 minutes ago"],
                ["alice/hello", "alice", "laptop SHA256:laptop", "3 hours ago"],
            ],
            Rows(html, "recent-pushes"));
        Assert.DoesNotContain("carol", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostKeysPageIsPublicAndShowsTheKeysOnDisk()
    {
        using var visitor = new WebSession(Host.BaseAddress);
        var (status, html) = await visitor.GetAsync("/host-keys");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("SSH host keys", TextOf(html, "h1"));
        var ed25519 = SshHostKey.Load(Host.Data.Paths.HostKey).PublicKey;
        var rsa = SshHostKey.Load(Host.Data.Paths.RsaHostKey).PublicKey;
        Assert.Equal($"ED25519 ssh-ed25519 256 bits {ed25519.FingerprintSha256} in use", TextOf(html, "tr", "host-key-ed25519"));
        Assert.Equal($"RSA ssh-rsa 3072 bits {rsa.FingerprintSha256} in use", TextOf(html, "tr", "host-key-rsa"));
        Assert.Equal(
            $"[127.0.0.1]:{SshPort} {ed25519.ToOpenSshLine(false)}\n[127.0.0.1]:{SshPort} {rsa.ToOpenSshLine(false)}",
            TextOf(html, "pre", "known-hosts"));
        Assert.Contains("aria-label=\"Copy known_hosts lines\"", html, StringComparison.Ordinal);
        Assert.Equal($"ssh -p {SshPort} git@127.0.0.1 host_key_info", TextOf(html, "pre", "host-key-info-command"));
    }

    [Fact]
    public async Task MetaAnswersGitHubsShapeWithTheKeysOnDisk()
    {
        using var visitor = new WebSession(Host.BaseAddress);
        var response = await visitor.Client.GetAsync("/meta");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var ed25519 = SshHostKey.Load(Host.Data.Paths.HostKey).PublicKey;
        var rsa = SshHostKey.Load(Host.Data.Paths.RsaHostKey).PublicKey;
        var expected = new JsonObject
        {
            ["ssh_key_fingerprints"] = new JsonObject
            {
                ["SHA256_ED25519"] = ed25519.FingerprintSha256["SHA256:".Length..],
                ["SHA256_RSA"] = rsa.FingerprintSha256["SHA256:".Length..],
            },
            ["ssh_keys"] = new JsonArray(ed25519.ToOpenSshLine(false), rsa.ToOpenSshLine(false)),
            ["ssh_host_keys"] = new JsonArray(
                new JsonObject { ["key"] = ed25519.ToOpenSshLine(false), ["fingerprint"] = ed25519.FingerprintSha256, ["state"] = "active" },
                new JsonObject { ["key"] = rsa.ToOpenSshLine(false), ["fingerprint"] = rsa.FingerprintSha256, ["state"] = "active" }),
        };
        var actual = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {expected.ToJsonString()}, got {actual?.ToJsonString()}");
    }

    private static AuditEntry Push(long userId, string actor, string key, string fullName, Repository repository, DateTimeOffset at) => new()
    {
        UserId = userId, Action = AuditActions.Push, KeyFingerprint = "SHA256:" + key, KeyLabel = key, Actor = actor, SourceAddress = "127.0.0.1",
        At = at, RepositoryId = repository.Id, Repository = fullName,
    };

    private async Task<Guid> AddKeyAsync(string userName, string key, string label, DateTimeOffset expires)
    {
        await using var scope = Host.Services.CreateAsyncScope();
        var user = await scope.ServiceProvider.GetRequiredService<IUserStore>().FindByNameAsync(userName, CancellationToken.None);
        var added = await scope.ServiceProvider.GetRequiredService<SshKeyService>().AddAsync(user!, key, label, expires, new Actor(userName, null), CancellationToken.None);
        return added.Key.Uuid;
    }

    /// <summary>The visible text of the first <paramref name="tag"/> (with that id, or inside the element with <paramref name="within"/>): tags removed, entities decoded, spaces collapsed.</summary>
    private static string TextOf(string html, string tag, string? id = null, string? within = null)
    {
        if (within is not null) html = html[html.IndexOf($"id=\"{within}\"", StringComparison.Ordinal)..];
        var m = Regex.Match(html, id is null ? $"<{tag}\\b[^>]*>(.*?)</{tag}>" : $"<{tag}\\b[^>]*id=\"{id}\"[^>]*>(.*?)</{tag}>", RegexOptions.Singleline);
        Assert.True(m.Success, $"no <{tag}> {id ?? within} in the page");
        var text = WebUtility.HtmlDecode(Tags().Replace(m.Groups[1].Value, ""));
        return tag == "pre" ? text.Trim() : Spaces().Replace(text, " ").Trim();
    }

    /// <summary>The cells' text of each body row of the table with <paramref name="id"/>.</summary>
    private static List<List<string>> Rows(string html, string id)
    {
        var table = Regex.Match(html, $"<table class=\"data-table\" id=\"{id}\">(.*?)</table>", RegexOptions.Singleline);
        Assert.True(table.Success, $"no table {id} in the page");
        var body = Regex.Match(table.Groups[1].Value, "<tbody>(.*?)</tbody>", RegexOptions.Singleline).Groups[1].Value;
        return [.. Regex.Matches(body, "<tr>(.*?)</tr>", RegexOptions.Singleline).Select(row =>
            Regex.Matches(row.Groups[1].Value, "<td[^>]*>(.*?)</td>", RegexOptions.Singleline)
                .Select(c => Spaces().Replace(WebUtility.HtmlDecode(Tags().Replace(c.Groups[1].Value, "")), " ").Trim()).ToList())];
    }

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
