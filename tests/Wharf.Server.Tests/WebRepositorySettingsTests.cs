using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Wharf.Core.Access;
using static Wharf.Server.Web.Html;
using Wharf.Server.Web;

namespace Wharf.Server.Tests;

/// <summary>The settings pages of a repository (Admin level) through the real host: permissions, access keys, delete.</summary>
public sealed class WebRepositorySettingsTests : WebPageTestBase
{
    private const string Permissions = "/alice/site/settings/permissions";
    private const string AccessKeys = "/alice/site/settings/access-keys";
    private const string Delete = "/alice/site/settings/delete";
    private const string Branch = "/alice/site/settings/branch";

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
        Assert.Contains("<div class=\"empty-state\" id=\"no-grants\"><p class=\"empty-title\">Nobody else has access yet.</p>",
            Tags((await alice.GetAsync(Permissions)).Html));

        var given = await alice.PostFormAsync(Permissions, Permissions, ("user", "bob"), ("permission", "read"));
        Assert.Equal(HttpStatusCode.Redirect, given.StatusCode);
        Assert.Equal(Permissions, given.Headers.Location?.OriginalString);
        Assert.Equal(AccessLevel.Read, await GrantOfAsync("bob"));
        var granted = (await alice.GetAsync(Permissions)).Html;
        Assert.Equal("bob now has Read access.", FlashOf(granted));
        Assert.Contains("<tr class=\"grant\" data-user=\"bob\" data-permission=\"read\"><td data-label=\"User\">bob</td>", Tags(granted));
        // Removing asks first, naming the person and the repository; the form inside the confirmation names them too.
        Assert.Contains("<button type=\"button\" class=\"button button-danger-outline\" popovertarget=\"remove-", granted);
        Assert.Contains(">Remove bob</button>", granted);
        Assert.Contains($"<p class=\"confirm-title\" id=\"remove-", granted);
        Assert.Contains(E("Remove bob's access to alice/site?") + "</p>", granted);
        Assert.Null(FlashOf((await alice.GetAsync(Permissions)).Html));
        var page = (await bob.GetAsync("/alice/site")).Html;
        Assert.Contains("<dd id=\"repository-access\">Read</dd>", page);
        Assert.Contains("data-name=\"alice/site\"", (await bob.GetAsync("/repositories")).Html);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync(Permissions)).Status);

        await alice.PostFormAsync(Permissions, Permissions, ("user", "bob"), ("permission", "admin"));
        Assert.Equal(AccessLevel.Admin, await GrantOfAsync("bob"));
        Assert.Equal("bob now has Admin access.", FlashOf((await alice.GetAsync(Permissions)).Html));
        Assert.Contains("<a id=\"settings-link\"", (await bob.GetAsync("/alice/site")).Html);
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync(AccessKeys)).Status);

        var removed = await alice.PostFormAsync(Permissions, Permissions + "/remove", ("user", "bob"));
        Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
        Assert.Equal(Permissions, removed.Headers.Location?.OriginalString);
        Assert.Null(await GrantOfAsync("bob"));
        Assert.Equal("bob no longer has access.", FlashOf((await alice.GetAsync(Permissions)).Html));
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync("/alice/site")).Status);

        // Removing again: the service's message beside the list, nothing else changes.
        var again = await alice.PostFormAsync(Permissions, Permissions + "/remove", ("user", "bob"));
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Contains($"<p class=\"form-error\" role=\"alert\" id=\"permission-error\">{E("bob has no permission on alice/site.")}</p>",
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
        var html = await refused.Content.ReadAsStringAsync();
        // Beside the User field, tied to it, with what was typed kept.
        Assert.Contains($"<p class=\"field-error\" id=\"grant-user-error\">{E(message)}</p>", html);
        Assert.Contains($"<input id=\"grant-user\" name=\"user\" type=\"text\" value=\"{E(user)}\" aria-describedby=\"grant-user-error\" aria-invalid=\"true\"", html);
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
        Assert.Contains("<div class=\"empty-state\" id=\"no-access-keys\"><p class=\"empty-title\">No access keys yet.</p>", Tags(page));
        Assert.Contains("<input type=\"checkbox\" id=\"key-write\" name=\"write\" value=\"on\" aria-describedby=\"key-write-hint\" /> Read-write", page);
        Assert.Contains($"<script src=\"{StaticAssets.SshKeys}\" defer></script>", page);

        var ci = TestKeys.Ed25519("ci@build");
        var deploy = TestKeys.Ed25519("deploy@prod");
        Assert.Equal(HttpStatusCode.Redirect, (await alice.PostFormAsync(AccessKeys, AccessKeys, ("label", "build <server>"), ("key", ci))).StatusCode);
        Assert.Equal("Access key 'build <server>' added.", FlashOf((await alice.GetAsync(AccessKeys)).Html));
        Assert.Equal(HttpStatusCode.Redirect, (await alice.PostFormAsync(AccessKeys, AccessKeys, ("label", ""), ("key", deploy), ("write", "on"))).StatusCode);

        page = Tags((await alice.GetAsync(AccessKeys)).Html);
        var rows = Regex.Matches(page, "<tr class=\"access-key\" data-id=\"(\\d+)\">(.*?)</tr>").Select(m => (Id: m.Groups[1].Value, Row: m.Groups[2].Value)).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Contains("<td data-label=\"Label\"><span class=\"key-label\">build &lt;server&gt;</span>", rows[0].Row);
        Assert.Contains("</form></td><td data-label=\"Type\">ssh-ed25519, 256 bits</td>", rows[0].Row);
        Assert.Contains($"<code class=\"fingerprint\">{E(TestKeys.Fingerprint(ci))}</code>", rows[0].Row);
        Assert.Contains("<td data-label=\"Access\" class=\"key-access\">Read-only</td>", rows[0].Row);
        Assert.Contains("<td data-label=\"Last used\"><span class=\"muted\">never</span></td>", rows[0].Row);
        // Removing asks first, in a confirmation that names the key and the repository.
        Assert.Contains($"popovertarget=\"remove-key-{rows[0].Id}\" id=\"remove-key-{rows[0].Id}-open\">Remove build &lt;server&gt;</button>", rows[0].Row);
        Assert.Contains($"<p class=\"confirm-title\" id=\"remove-key-{rows[0].Id}-title\">{E("Remove the access key 'build <server>' from alice/site?")}</p>", rows[0].Row);
        Assert.Contains($"<form method=\"post\" action=\"/alice/site/settings/access-keys/{rows[0].Id}/delete\" class=\"confirm-actions\">", rows[0].Row);
        Assert.Contains("<span class=\"key-label\">deploy@prod</span>", rows[1].Row);
        Assert.Contains("<td data-label=\"Access\" class=\"key-access\">Read-write</td>", rows[1].Row);

        Assert.Equal(2, await Host.Data.CountAsync(db => db.RepositoryAccessKeys));
        var removed = await alice.PostFormAsync(AccessKeys, $"{AccessKeys}/{rows[0].Id}/delete");
        Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
        Assert.Equal(AccessKeys, removed.Headers.Location?.OriginalString);
        Assert.Equal("Access key 'build <server>' removed.", FlashOf((await alice.GetAsync(AccessKeys)).Html));
        Assert.Equal(1, await Host.Data.CountAsync(db => db.RepositoryAccessKeys));
        Assert.Equal(1, await Host.Data.CountAsync(db => db.AccessKeys));
        Assert.Equal(HttpStatusCode.NotFound, (await alice.PostFormAsync(AccessKeys, $"{AccessKeys}/{rows[0].Id}/delete")).StatusCode);
        Assert.Equal(1, await Host.Data.CountAsync(db => db.RepositoryAccessKeys));
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
            // Beside the Key field, tied to it.
            Assert.Contains($"<p class=\"field-error\" id=\"key-text-error\">{E(message)}</p>", html);
            Assert.Contains("<textarea id=\"key-text\" name=\"key\" rows=\"6\" aria-describedby=\"key-text-hint key-text-error\" aria-invalid=\"true\"", html);
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
        Assert.Contains("<nav aria-label=\"Repository settings\" id=\"settings-nav\"", page);
        Assert.Contains("<a href=\"/alice/site/settings/delete\" aria-current=\"page\">Delete repository</a>", page);

        var refused = await alice.PostFormAsync(Delete, Delete, ("confirmation", "site"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains($"<p class=\"field-error\" id=\"confirmation-error\">{E("To delete the repository, type its full name 'alice/site' exactly.")}</p>",
            await refused.Content.ReadAsStringAsync());
        Assert.NotNull(await StoredAsync("site"));
        Assert.True(Directory.Exists(directory));

        var deleted = await alice.PostFormAsync(Delete, Delete, ("confirmation", "alice/site"));
        Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
        Assert.Equal("/repositories", deleted.Headers.Location?.OriginalString);
        Assert.Equal("Repository alice/site deleted.", FlashOf((await alice.GetAsync("/repositories")).Html));
        Assert.Null(await StoredAsync("site"));
        Assert.False(Directory.Exists(directory));
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/alice/site")).Status);
    }

    [Fact]
    public async Task The_settings_address_leads_to_the_first_settings_page_for_an_administrator_only()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        var settings = await alice.Client.GetAsync("/alice/site/settings");
        Assert.Equal(HttpStatusCode.Redirect, settings.StatusCode);
        Assert.Equal(Permissions, settings.Headers.Location?.OriginalString);
        var page = (await alice.GetAsync(Permissions)).Html;
        Assert.Contains("<a href=\"/alice/site/settings/permissions\" aria-current=\"page\">Permissions</a>", page);
        Assert.Contains("<a href=\"/alice/site/settings/access-keys\">Access keys</a>", page);

        using var bob = await SignUpAsync("bob");
        // Unreadable: the same not-found as a repository that does not exist; readable but not Admin: refused.
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Client.GetAsync("/alice/site/settings")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Client.GetAsync("/alice/nothing/settings")).StatusCode);
        await alice.PostFormAsync(Permissions, Permissions, ("user", "bob"), ("permission", "write"));
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Client.GetAsync("/alice/site/settings")).StatusCode);
    }

    [Fact]
    public async Task Changing_the_default_branch_says_so()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        var work = Path.Combine(Host.Data.Root, "work");
        Directory.CreateDirectory(work);
        Git.Run(work, "init", "-q", "-b", "main");
        Git.Run(work, "-c", "user.name=a", "-c", "user.email=a@example.org", "commit", "-q", "--allow-empty", "-m", "first");
        Git.Run(work, "push", "-q", Host.Data.Paths.Repository("alice", "site"), "main:main", "main:develop");
        var changed = await alice.PostFormAsync(Branch, Branch, ("branch", "develop"));
        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        var page = (await alice.GetAsync(Branch)).Html;
        Assert.Equal("Default branch changed to 'develop'.", FlashOf(page));
        Assert.Contains("<strong id=\"default-branch\">develop</strong>", page);
    }
}
