using System.Net;
using Microsoft.EntityFrameworkCore;
using Wharf.Core.Audit;
using Wharf.Server.Web;
using static Wharf.Server.Web.Html;

namespace Wharf.Server.Tests;

/// <summary>
/// Issue 13 point 4 on the repository settings pages: <c>/OWNER/NAME/settings/signed-commits</c> turns "Require signed
/// commits" on and off for the repository's admins only, with the antiforgery token, and the owner's audit log says who.
/// </summary>
public sealed class WebSignedCommitsSettingsTests : WebPageTestBase
{
    private const string Page = "/alice/site/settings/signed-commits";

    private async Task<bool> RequiredAsync(string name = "site") => (await StoredAsync(name))!.RequireSignedCommits;

    private async Task<List<(string Label, string Actor)>> AuditAsync()
    {
        await using var db = Host.Data.OpenDatabase();
        return [.. (await db.AuditLog.Where(a => a.Action == AuditActions.SignedCommitsChanged).OrderBy(a => a.Id)
            .Select(a => new { a.KeyLabel, a.Actor }).ToListAsync()).Select(a => (a.KeyLabel, a.Actor))];
    }

    [Fact]
    public async Task The_owner_turns_it_on_and_off_and_the_audit_log_names_her()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        var page = Tags((await alice.GetAsync(Page)).Html);
        Assert.Contains("<p>Require signed commits: <strong id=\"signed-commits-state\">off</strong></p>", page);
        Assert.Contains("<a href=\"/alice/site/settings/signed-commits\" aria-current=\"page\">Signed commits</a>", page);
        Assert.Contains("<input type=\"radio\" name=\"require\" value=\"off\" checked", page);

        var on = await alice.PostFormAsync(Page, Page, ("require", "on"));
        Assert.Equal((HttpStatusCode.Redirect, Page), (on.StatusCode, on.Headers.Location?.OriginalString));
        Assert.True(await RequiredAsync());
        page = (await alice.GetAsync(Page)).Html;
        Assert.Equal("Pushes to alice/site now need verified signed commits.", FlashOf(page));
        Assert.Contains("<strong id=\"signed-commits-state\">on</strong>", page);

        var off = await alice.PostFormAsync(Page, Page, ("require", "off"));
        Assert.Equal(HttpStatusCode.Redirect, off.StatusCode);
        Assert.False(await RequiredAsync());
        Assert.Equal("Pushes to alice/site no longer need signed commits.", FlashOf((await alice.GetAsync(Page)).Html));
        Assert.Equal([("Require signed commits: on", "alice"), ("Require signed commits: off", "alice")], await AuditAsync());
        // The audit page says what happened in words.
        Assert.Contains("<td data-label=\"Event\">Require signed commits changed</td>", (await alice.GetAsync("/account/audit")).Html);
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_is_refused_and_changes_nothing()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        var refused = await alice.Client.PostAsync(Page, new FormUrlEncodedContent([KeyValuePair.Create("require", "on")]));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains(E(AntiforgeryGate.Message), await refused.Content.ReadAsStringAsync());
        Assert.False(await RequiredAsync());
        Assert.Empty(await AuditAsync());
    }

    [Fact]
    public async Task A_writer_is_refused_a_stranger_sees_no_repository_and_nothing_changes()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        using var bob = await SignUpAsync("bob");
        using var carol = await SignUpAsync("carol");
        await alice.PostFormAsync("/alice/site/settings/permissions", "/alice/site/settings/permissions", ("user", "bob"), ("permission", "write"));

        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync(Page)).Status);
        // Each posts with a token of a page of their own: the refusal is about the repository, not the form.
        var writer = await bob.PostFormAsync("/account/ssh-keys", Page, ("require", "on"));
        Assert.Equal(HttpStatusCode.Forbidden, writer.StatusCode);
        Assert.Equal(E("You need admin access to alice/site to do this."), PageErrorOf(await writer.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.NotFound, (await carol.GetAsync(Page)).Status);
        var stranger = await carol.PostFormAsync("/account/ssh-keys", Page, ("require", "on"));
        Assert.Equal(HttpStatusCode.NotFound, stranger.StatusCode);
        Assert.False(await RequiredAsync());
        Assert.Empty(await AuditAsync());
    }

    [Theory]
    [InlineData(null, "Require signed commits takes on or off, not ''.")]
    [InlineData("yes", "Require signed commits takes on or off, not 'yes'.")]
    public async Task A_value_other_than_on_or_off_is_refused_on_the_page_and_changes_nothing(string? value, string message)
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        var refused = await alice.PostFormAsync(Page, Page, value is null ? [] : [("require", value)]);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains($"<p class=\"form-error\" role=\"alert\" id=\"signed-commits-error\">{E(message)}</p>", await refused.Content.ReadAsStringAsync());
        Assert.False(await RequiredAsync());
        Assert.Empty(await AuditAsync());
    }

    [Fact]
    public async Task A_Mercurial_repository_says_it_cannot_and_refuses_the_change()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "notes", scm: "hg");
        const string notes = "/alice/notes/settings/signed-commits";
        Assert.Contains("Mercurial repositories cannot require signed commits", (await alice.GetAsync(notes)).Html);
        var refused = await alice.PostFormAsync("/account/ssh-keys", notes, ("require", "on"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains(E("alice/notes is a Mercurial repository: only git repositories can require signed commits."), await refused.Content.ReadAsStringAsync());
        Assert.False(await RequiredAsync("notes"));
    }
}
