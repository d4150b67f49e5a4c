using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Wharf.Core.Audit;
using Wharf.Server.Web;
using Wharf.Server.Web.Accounts;

namespace Wharf.Server.Tests;

/// <summary>
/// The audit log page through the real host: the events of tokens, permissions, repositories and access keys, each
/// with who did it and from where, and the paging ("Older" / "Newer") over a long log.
/// </summary>
public sealed partial class WebAuditTests : WebPageTestBase
{
    private const string Permissions = "/alice/site/settings/permissions";
    private const string AccessKeys = "/alice/site/settings/access-keys";

    [GeneratedRegex("<tr class=\"audit-entry\" data-action=\"([^\"]+)\" data-id=\"(\\d+)\">(.*?)</tr>")]
    private static partial Regex Row();

    private static List<(string Action, long Id, string Cells)> Rows(string html) =>
        Row().Matches(Tags(html)).Select(m => (m.Groups[1].Value, long.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[3].Value)).ToList();

    [Fact]
    public async Task Token_grant_repository_and_access_key_events_are_logged_for_the_owner_with_actor_and_address()
    {
        using var alice = await SignUpAsync("alice");
        using var bob = await SignUpAsync("bob");
        await CreateAsync(alice, "site");
        await alice.PostFormAsync(Permissions, Permissions, ("user", "bob"), ("permission", "read"));
        await alice.PostFormAsync(Permissions, Permissions, ("user", "bob"), ("permission", "write"));
        await alice.PostFormAsync(Permissions, Permissions + "/remove", ("user", "bob"));
        var ci = TestKeys.Ed25519("ci");
        await alice.PostFormAsync(AccessKeys, AccessKeys, ("label", "ci"), ("key", ci));
        long keyId;
        await using (var db = Host.Data.OpenDatabase()) keyId = await db.RepositoryAccessKeys.Select(k => k.Id).SingleAsync();
        await alice.PostFormAsync(AccessKeys, $"{AccessKeys}/{keyId}/delete");
        await alice.PostFormAsync(TokenPages.Path, TokenPages.Path, ("name", "deploy script"));
        long tokenId;
        await using (var db = Host.Data.OpenDatabase()) tokenId = await db.ApiTokens.Select(t => t.Id).SingleAsync();
        await alice.PostFormAsync(TokenPages.Path, $"{TokenPages.Path}/{tokenId}/delete");
        await alice.PostFormAsync("/alice/site/settings/delete", "/alice/site/settings/delete", ("confirmation", "alice/site"));

        var (status, html) = await alice.GetAsync(AuditPages.Path);
        Assert.Equal(HttpStatusCode.OK, status);
        var rows = Rows(html);
        Assert.Equal([AuditActions.RepositoryDeleted, AuditActions.TokenDeleted, AuditActions.TokenCreated, AuditActions.AccessKeyRemoved,
            AuditActions.AccessKeyAdded, AuditActions.GrantRemoved, AuditActions.GrantChanged, AuditActions.GrantGiven, AuditActions.RepositoryCreated],
            rows.Select(r => r.Action));
        static string Cells(string evt, string repository, string subject) =>
            $"<td data-label=\"Event\">{evt}</td><td data-label=\"Repository\" class=\"audit-repository\">{repository}</td>" +
            $"<td data-label=\"{(evt.StartsWith("Access key", StringComparison.Ordinal) ? "Key" : "Subject")}\" class=\"audit-subject\">{subject}</td>";
        const string Site = "<a href=\"/alice/site\">alice/site</a>";
        Assert.Contains(Cells("Repository deleted", "alice/site", "alice/site"), rows[0].Cells);
        Assert.Contains(Cells("API token deleted", "", "deploy script"), rows[1].Cells);
        Assert.Contains(Cells("API token created", "", "deploy script"), rows[2].Cells);
        Assert.Contains(Cells("Access key removed", Site, "ci"), rows[3].Cells);
        Assert.Contains(Cells("Access key added", Site, "ci (read-only)"), rows[4].Cells);
        // Encoded as the page encodes it: a fingerprint may hold a "+", which Razor writes as &#x2B;.
        Assert.Contains($"<code>{Html.E(TestKeys.Fingerprint(ci))}</code>", rows[4].Cells);
        Assert.Contains(Cells("Access removed", Site, "bob"), rows[5].Cells);
        Assert.Contains(Cells("Access changed", Site, "bob: write"), rows[6].Cells);
        Assert.Contains(Cells("Access given", Site, "bob: read"), rows[7].Cells);
        Assert.Contains(Cells("Repository created", Site, "Git, private"), rows[8].Cells);
        Assert.All(rows, r => Assert.EndsWith("<td data-label=\"By\">alice</td><td data-label=\"From\">127.0.0.1</td>", r.Cells));

        // Bob's own log has none of it: the events are the repository owner's.
        Assert.Empty(Rows((await bob.GetAsync(AuditPages.Path)).Html));
    }

    [Fact]
    public async Task A_push_entry_names_its_repository_and_key()
    {
        using var alice = await SignUpAsync("alice");
        await using (var db = Host.Data.OpenDatabase())
        {
            var id = await db.Users.Where(u => u.LowerName == "alice").Select(u => u.Id).SingleAsync();
            db.AuditLog.Add(new AuditEntry
            {
                UserId = id, Action = AuditActions.Push, KeyFingerprint = "SHA256:abc", KeyLabel = "laptop", Actor = "alice", SourceAddress = "192.0.2.7",
                At = DateTimeOffset.UtcNow, RepositoryId = 42, Repository = "alice/gone", Detail = "main 1a2b3c4→5d6e7f8, trunk new 9abcdef",
            });
            await db.SaveChangesAsync();
        }
        var row = Assert.Single(Rows((await alice.GetAsync(AuditPages.Path)).Html));
        // Razor writes the arrow as a character reference.
        Assert.Contains("<td data-label=\"Event\">Push</td><td data-label=\"Repository\" class=\"audit-repository\"><a href=\"/alice/gone\">alice/gone</a></td>" +
            "<td data-label=\"Key\" class=\"audit-subject\">laptop</td>" +
            "<td data-label=\"Changes\" class=\"audit-detail\">main 1a2b3c4&#x2192;5d6e7f8, trunk new 9abcdef</td>" +
            "<td data-label=\"Fingerprint\"><code>SHA256:abc</code></td>", row.Cells);
    }

    [Fact]
    public async Task A_long_log_is_shown_fifty_at_a_time_with_Older_and_Newer_links()
    {
        using var alice = await SignUpAsync("alice");
        await using (var db = Host.Data.OpenDatabase())
        {
            var id = await db.Users.Where(u => u.LowerName == "alice").Select(u => u.Id).SingleAsync();
            for (var i = 1; i <= 120; i++)
                db.AuditLog.Add(new AuditEntry
                {
                    UserId = id, Action = AuditActions.TokenCreated, KeyFingerprint = "", KeyLabel = $"token {i}", Actor = "alice",
                    At = DateTimeOffset.UtcNow,
                });
            await db.SaveChangesAsync();
        }
        static List<string> Labels(string html) =>
            Rows(html).Select(r => Regex.Match(r.Cells, "class=\"audit-subject\">([^<]*)<").Groups[1].Value).ToList();
        static string? Link(string html, string id) =>
            Regex.Match(html, $"<a id=\"{id}\" class=\"button button-secondary\" href=\"([^\"]+)\">") is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;
        static IEnumerable<string> Tokens(int from, int to) => Enumerable.Range(to, from - to + 1).Reverse().Select(i => $"token {i}");

        var first = (await alice.GetAsync(AuditPages.Path)).Html;
        Assert.Equal(Tokens(120, 71), Labels(first));
        Assert.Null(Link(first, "audit-newer"));
        var older = Link(first, "audit-older");
        Assert.NotNull(older);

        var second = (await alice.GetAsync(older)).Html;
        Assert.Equal(Tokens(70, 21), Labels(second));
        var third = (await alice.GetAsync(Link(second, "audit-older")!)).Html;
        Assert.Equal(Tokens(20, 1), Labels(third));
        Assert.Null(Link(third, "audit-older"));

        var back = (await alice.GetAsync(Link(third, "audit-newer")!)).Html;
        Assert.Equal(Tokens(70, 21), Labels(back));
        var top = (await alice.GetAsync(Link(back, "audit-newer")!)).Html;
        Assert.Equal(Tokens(120, 71), Labels(top));
        Assert.Null(Link(top, "audit-newer"));
        Assert.NotNull(Link(top, "audit-older"));
    }

    [Fact]
    public async Task Changes_made_through_the_API_and_the_CLI_name_their_actor()
    {
        using var alice = await SignUpAsync("alice");
        using var bob = await SignUpAsync("bob");
        var token = (await Host.Data.RunAsync("admin", "token", "create", "alice")).Out.TrimEnd('\n').Split('\n')[^1];
        using var http = new HttpClient { BaseAddress = Host.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/2.0/repositories/alice/api-made", null)).StatusCode);
        var grant = await http.PutAsync("/2.0/repositories/alice/api-made/permissions-config/users/bob",
            new StringContent("{\"permission\":\"read\"}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, grant.StatusCode);

        var rows = Rows((await alice.GetAsync(AuditPages.Path)).Html);
        Assert.Equal([AuditActions.GrantGiven, AuditActions.RepositoryCreated, AuditActions.TokenCreated], rows.Select(r => r.Action));
        Assert.EndsWith("<td data-label=\"By\">alice</td><td data-label=\"From\">127.0.0.1</td>", rows[0].Cells);
        Assert.EndsWith("<td data-label=\"By\">alice</td><td data-label=\"From\">127.0.0.1</td>", rows[1].Cells);
        Assert.EndsWith("<td data-label=\"By\">admin (cli)</td><td data-label=\"From\">local</td>", rows[2].Cells);
    }
}
