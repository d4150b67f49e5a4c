using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Wharf.Core.Access;
using static Wharf.Server.Web.Html;

namespace Wharf.Server.Tests;

/// <summary>The settings pages of a repository (Admin level) through the real host: permissions, access keys, delete.</summary>
public sealed class WebRepositorySettingsTests : WebPageTestBase
{
    private const string Permissions = "/alice/site/settings/permissions";
    private const string AccessKeys = "/alice/site/settings/access-keys";
    private const string Delete = "/alice/site/settings/delete";

    private async Task<AccessLevel?> GrantOfAsync(string user)
    {
        await using var db = Host.Data.OpenDatabase();
        return await (from g in db.RepositoryGrants join u in db.Users on g.UserId equals u.Id where u.LowerName == user select (AccessLevel?)g.Level)
            .SingleOrDefaultAsync();
    }

    [Fact]
    public async Task The_owner_gives_changes_and_removes_a_permission_and_the_grantee_sees_the_repository_accordingly()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        using var bob = await SignUpAsync("bob");
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync("/alice/site")).Status);
        Assert.Contains("<p id=\"no-grants\">Nobody else has access yet.</p>", (await alice.GetAsync(Permissions)).Html);

        var given = await alice.PostFormAsync(Permissions, Permissions, ("user", "bob"), ("permission", "read"));
        Assert.Equal(HttpStatusCode.Redirect, given.StatusCode);
        Assert.Equal(Permissions, given.Headers.Location?.OriginalString);
        Assert.Equal(AccessLevel.Read, await GrantOfAsync("bob"));
        Assert.Contains("<tr class=\"grant\" data-user=\"bob\" data-permission=\"read\"><td>bob</td>", (await alice.GetAsync(Permissions)).Html);
        var page = (await bob.GetAsync("/alice/site")).Html;
        Assert.Contains("<dd id=\"repository-access\">Read</dd>", page);
        Assert.Contains("data-name=\"alice/site\"", (await bob.GetAsync("/repositories")).Html);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync(Permissions)).Status);

        await alice.PostFormAsync(Permissions, Permissions, ("user", "bob"), ("permission", "admin"));
        Assert.Equal(AccessLevel.Admin, await GrantOfAsync("bob"));
        Assert.Contains("<a id=\"settings-link\"", (await bob.GetAsync("/alice/site")).Html);
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync(AccessKeys)).Status);

        var removed = await alice.PostFormAsync(Permissions, Permissions + "/remove", ("user", "bob"));
        Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
        Assert.Null(await GrantOfAsync("bob"));
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync("/alice/site")).Status);

        // Removing again: the service's message beside the list, nothing else changes.
        var again = await alice.PostFormAsync(Permissions, Permissions + "/remove", ("user", "bob"));
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Contains($"<p id=\"permission-error\" class=\"error\" role=\"alert\">{E("bob has no permission on alice/site.")}</p>",
            await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_instance_administrator_sees_and_manages_every_repository()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        using var olga = await SignUpAsync("olga");
        await using (var db = Host.Data.OpenDatabase())
        {
            (await db.Users.SingleAsync(u => u.LowerName == "olga")).IsAdmin = true;
            await db.SaveChangesAsync();
        }
        Assert.Contains("data-name=\"alice/site\"", (await olga.GetAsync("/repositories")).Html);
        Assert.Contains("<dd id=\"repository-access\">Admin</dd>", (await olga.GetAsync("/alice/site")).Html);
        Assert.Equal(HttpStatusCode.OK, (await olga.GetAsync(Permissions)).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await olga.PostFormAsync(Permissions, Permissions, ("user", "olga"), ("permission", "read"))).StatusCode);
        Assert.Equal(AccessLevel.Read, await GrantOfAsync("olga"));
    }

    [Theory]
    [InlineData("nobody", "read", "User 'nobody' does not exist.")]
    [InlineData("alice", "write", "alice owns this repository and already has every permission.")]
    [InlineData("bob", "owner", "Unknown permission 'owner': use \"read\", \"write\" or \"admin\".")]
    public async Task A_refused_grant_shows_the_services_message_and_stores_nothing(string user, string permission, string message)
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        using var bob = await SignUpAsync("bob");
        var refused = await alice.PostFormAsync(Permissions, Permissions, ("user", user), ("permission", permission));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains($"<p id=\"permission-error\" class=\"error\" role=\"alert\">{E(message)}</p>", await refused.Content.ReadAsStringAsync());
        Assert.Equal(0, await Host.Data.CountAsync(db => db.RepositoryGrants));
    }

    [Fact]
    public async Task A_writer_cannot_give_permissions_delete_or_add_access_keys()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        using var bob = await SignUpAsync("bob");
        using var carol = await SignUpAsync("carol");
        await alice.PostFormAsync(Permissions, Permissions, ("user", "bob"), ("permission", "write"));

        var grant = await bob.PostFormAsync("/alice/site", Permissions, ("user", "carol"), ("permission", "admin"));
        Assert.Equal(HttpStatusCode.Forbidden, grant.StatusCode);
        Assert.Equal(E("You need admin access to alice/site to do this."), PageErrorOf(await grant.Content.ReadAsStringAsync()));
        Assert.Null(await GrantOfAsync("carol"));
        var delete = await bob.PostFormAsync("/alice/site", Delete, ("confirmation", "alice/site"));
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.NotNull(await StoredAsync("site"));
        var key = await bob.PostFormAsync("/alice/site", AccessKeys, ("label", "ci"), ("key", TestKeys.Ed25519("ci")), ("write", "on"));
        Assert.Equal(HttpStatusCode.Forbidden, key.StatusCode);
        Assert.Equal(0, await Host.Data.CountAsync(db => db.RepositoryAccessKeys));
    }

    [Fact]
    public async Task Access_keys_are_added_read_only_unless_ticked_listed_and_removed_after_confirmation()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        var page = (await alice.GetAsync(AccessKeys)).Html;
        Assert.Contains("<p id=\"no-access-keys\">No access keys yet.</p>", page);
        Assert.Contains("<input type=\"checkbox\" id=\"key-write\" name=\"write\" value=\"on\">Read-write", page);
        Assert.Contains("<script src=\"/static/ssh-keys.js\" defer></script>", page);

        var ci = TestKeys.Ed25519("ci@build");
        var deploy = TestKeys.Ed25519("deploy@prod");
        Assert.Equal(HttpStatusCode.Redirect, (await alice.PostFormAsync(AccessKeys, AccessKeys, ("label", "build <server>"), ("key", ci))).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await alice.PostFormAsync(AccessKeys, AccessKeys, ("label", ""), ("key", deploy), ("write", "on"))).StatusCode);

        page = (await alice.GetAsync(AccessKeys)).Html;
        var rows = Regex.Matches(page, "<tr class=\"access-key\" data-id=\"(\\d+)\">(.*?)</tr>").Select(m => (Id: m.Groups[1].Value, Row: m.Groups[2].Value)).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Contains("<td><span class=\"key-label\">build &lt;server&gt;</span>", rows[0].Row);
        Assert.Contains("<button type=\"submit\">Save label</button></form></td><td>ssh-ed25519, 256 bits</td>", rows[0].Row);
        Assert.Contains($"<code class=\"fingerprint\">{E(TestKeys.Fingerprint(ci))}</code>", rows[0].Row);
        Assert.Contains("<td class=\"key-access\">Read-only</td>", rows[0].Row);
        Assert.EndsWith("<td>never</td><td><a href=\"/alice/site/settings/access-keys/" + rows[0].Id + "/delete\">Remove</a></td>", rows[0].Row);
        Assert.Contains("<span class=\"key-label\">deploy@prod</span>", rows[1].Row);
        Assert.Contains("<td class=\"key-access\">Read-write</td>", rows[1].Row);

        var confirm = (await alice.GetAsync($"{AccessKeys}/{rows[0].Id}/delete")).Html;
        Assert.Contains("Remove the access key <strong>build &lt;server&gt;</strong>", confirm);
        Assert.Equal(2, await Host.Data.CountAsync(db => db.RepositoryAccessKeys));
        var removed = await alice.PostFormAsync($"{AccessKeys}/{rows[0].Id}/delete", $"{AccessKeys}/{rows[0].Id}/delete");
        Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
        Assert.Equal(1, await Host.Data.CountAsync(db => db.RepositoryAccessKeys));
        Assert.Equal(1, await Host.Data.CountAsync(db => db.AccessKeys));
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync($"{AccessKeys}/{rows[0].Id}/delete")).Status);
    }

    [Fact]
    public async Task Refused_access_keys_show_the_same_messages_as_the_API_and_store_nothing()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        var personal = TestKeys.Ed25519("alice@laptop");
        Assert.Equal(HttpStatusCode.Redirect, (await alice.PostFormAsync("/account/ssh-keys", "/account/ssh-keys", ("label", "laptop"), ("key", personal))).StatusCode);
        var ci = TestKeys.Ed25519("ci");
        await alice.PostFormAsync(AccessKeys, AccessKeys, ("label", "ci"), ("key", ci));

        async Task RefusedAsync(string key, string message)
        {
            var refused = await alice.PostFormAsync(AccessKeys, AccessKeys, ("label", "x"), ("key", key), ("write", "on"));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var html = await refused.Content.ReadAsStringAsync();
            Assert.Contains($"<p id=\"add-error\" class=\"error\" role=\"alert\">{E(message)}</p>", html);
            // What was typed stays in the form, Read-write still ticked.
            Assert.Contains("name=\"write\" value=\"on\" checked", html);
            Assert.Equal(1, await Host.Data.CountAsync(db => db.RepositoryAccessKeys));
            Assert.Equal(1, await Host.Data.CountAsync(db => db.AccessKeys));
        }

        await RefusedAsync(personal,
            "This key is already registered as a personal SSH key, so it cannot also be an access key. Generate a separate key for this repository.");
        await RefusedAsync(ci, "This key is already an access key of alice/site, labelled 'ci'.");
        await RefusedAsync("", "The key is empty.");
    }

    [Fact]
    public async Task Deleting_needs_the_full_name_typed_and_then_removes_the_record_and_the_directory()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        var directory = Host.Data.Paths.Repository("alice", "site");
        var page = (await alice.GetAsync(Delete)).Html;
        Assert.Contains("<label for=\"confirmation\">Type alice/site to confirm</label>", page);

        var refused = await alice.PostFormAsync(Delete, Delete, ("confirmation", "site"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains(E("To delete the repository, type its full name 'alice/site' exactly."), await refused.Content.ReadAsStringAsync());
        Assert.NotNull(await StoredAsync("site"));
        Assert.True(Directory.Exists(directory));

        var deleted = await alice.PostFormAsync(Delete, Delete, ("confirmation", "alice/site"));
        Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
        Assert.Equal("/repositories", deleted.Headers.Location?.OriginalString);
        Assert.Null(await StoredAsync("site"));
        Assert.False(Directory.Exists(directory));
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/alice/site")).Status);
    }
}
