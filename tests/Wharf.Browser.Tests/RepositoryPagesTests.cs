using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Wharf.Core.Access;
using Wharf.Server.Tests;

namespace Wharf.Browser.Tests;

/// <summary>Create a repository, copy its clone URL, give someone access and add an access key, in a real browser.</summary>
public sealed class RepositoryPagesTests : BrowserTest
{
    private static ILocator Button(IPage page, string name) => page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    [Fact]
    public async Task Create_a_repository_copy_its_clone_url_grant_a_user_and_add_an_access_key()
    {
        var alice = await NewPageAsync("clipboard-read", "clipboard-write");
        await SignUpAsync(alice, "alice");
        var bob = await NewPageAsync();
        await SignUpAsync(bob, "bob");

        await alice.GetByRole(AriaRole.Link, new() { Name = "Repositories" }).ClickAsync();
        await Assertions.Expect(alice.Locator("#no-repositories")).ToBeVisibleAsync();
        await alice.GetByRole(AriaRole.Link, new() { Name = "New repository" }).ClickAsync();
        await Assertions.Expect(alice.GetByLabel("Git", new() { Exact = true })).ToBeCheckedAsync();
        await Assertions.Expect(alice.GetByLabel("Private")).ToBeCheckedAsync();
        await alice.GetByLabel("Name", new() { Exact = true }).FillAsync("../site");
        await Button(alice, "Create repository").ClickAsync();
        await Assertions.Expect(alice.Locator("#repository-name-error")).ToHaveTextAsync(
            "Invalid repository name '../site': use 1 to 100 letters, digits, '-', '_' or '.', starting with a letter or digit, not ending in '.git'.");
        await alice.GetByLabel("Name", new() { Exact = true }).FillAsync("site");
        await Button(alice, "Create repository").ClickAsync();

        await Assertions.Expect(alice).ToHaveURLAsync(new Regex("/alice/site$"));
        await Assertions.Expect(alice.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("alice/site");
        await Assertions.Expect(alice.Locator("#repository-visibility")).ToContainTextAsync("Private");
        var url = $"ssh://git@127.0.0.1:{Host.SshEndPoint.Port}/alice/site.git";
        await Assertions.Expect(alice.GetByLabel("SSH clone URL", new() { Exact = true })).ToHaveValueAsync(url);
        await Assertions.Expect(alice.Locator("#clone-command")).ToHaveTextAsync("git clone " + url);
        await Assertions.Expect(alice.Locator("#set-url-command")).ToHaveTextAsync("git remote set-url origin " + url);
        await Assertions.Expect(alice.Locator("#empty-repository")).ToContainTextAsync("This repository is empty.");

        await Button(alice, "Copy SSH clone URL").ClickAsync();
        await Assertions.Expect(alice.Locator("[data-copy-status=clone-url]")).ToHaveTextAsync("Copied.");
        Assert.Equal(url, await alice.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await ScreenshotAsync(alice, "repository-page.png");

        // Bob cannot see it yet: the same page as for a name that does not exist.
        var hidden = await bob.GotoAsync("/alice/site");
        Assert.Equal(404, hidden!.Status);
        await Assertions.Expect(bob.Locator("#page-error")).ToHaveTextAsync("Repository 'alice/site' does not exist, or you do not have access to it.");

        await alice.GetByRole(AriaRole.Navigation, new() { Name = "Repository" }).GetByRole(AriaRole.Link, new() { Name = "Settings" }).ClickAsync();
        await alice.GetByLabel("User", new() { Exact = true }).FillAsync("bob");
        await alice.Locator("#grant-permission").SelectOptionAsync("write");
        await Button(alice, "Give access").ClickAsync();
        var grant = alice.Locator("tr.grant");
        await Assertions.Expect(grant).ToHaveCountAsync(1);
        await Assertions.Expect(grant).ToHaveAttributeAsync("data-user", "bob");
        await Assertions.Expect(alice.GetByLabel("Permission for bob")).ToHaveValueAsync("write");

        await bob.GotoAsync("/alice/site");
        await Assertions.Expect(bob.Locator("#repository-access")).ToHaveTextAsync("Write");
        await Assertions.Expect(bob.GetByRole(AriaRole.Link, new() { Name = "Settings" })).ToHaveCountAsync(0);

        await alice.GetByRole(AriaRole.Link, new() { Name = "Access keys" }).ClickAsync();
        await Assertions.Expect(alice.GetByLabel("Read-write")).Not.ToBeCheckedAsync();
        var key = TestKeys.Ed25519("ci@build");
        await alice.GetByLabel("Label (optional)", new() { Exact = true }).FillAsync("build server");
        await alice.GetByLabel("Key", new() { Exact = true }).FillAsync(key);
        await Assertions.Expect(alice.Locator("#key-preview")).ToHaveTextAsync($"Understood: ssh-ed25519, 256 bits, {TestKeys.Fingerprint(key)}");
        await Button(alice, "Add access key").ClickAsync();
        var row = alice.Locator("tr.access-key");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row.Locator(".key-label")).ToHaveTextAsync("build server");
        await Assertions.Expect(row.Locator(".fingerprint")).ToHaveTextAsync(TestKeys.Fingerprint(key));
        await Assertions.Expect(row.Locator(".key-access")).ToHaveTextAsync("Read-only");
        await Assertions.Expect(row).ToContainTextAsync("never");

        await using var db = Host.Data.OpenDatabase();
        Assert.Equal(AccessLevel.Write, (await db.RepositoryGrants.SingleAsync()).Level);
        Assert.False((await db.RepositoryAccessKeys.SingleAsync()).CanWrite);
    }

    [Fact]
    public async Task A_public_Mercurial_repository_shows_the_hg_clone_url_and_can_be_deleted_by_typing_its_name()
    {
        await SignUpAsync(Page, "carol");
        await Page.GotoAsync("/repositories/new");
        await Page.GetByLabel("Name", new() { Exact = true }).FillAsync("notes");
        await Page.GetByLabel("Mercurial").CheckAsync();
        await Page.GetByLabel("Private").UncheckAsync();
        await Button(Page, "Create repository").ClickAsync();

        await Assertions.Expect(Page.Locator("#repository-scm")).ToHaveTextAsync("Mercurial");
        await Assertions.Expect(Page.Locator("#repository-visibility")).ToContainTextAsync("Public");
        var url = $"ssh://hg@127.0.0.1:{Host.SshEndPoint.Port}/carol/notes";
        await Assertions.Expect(Page.GetByLabel("SSH clone URL", new() { Exact = true })).ToHaveValueAsync(url);
        await Assertions.Expect(Page.Locator("#clone-command")).ToHaveTextAsync("hg clone " + url);
        await Assertions.Expect(Page.Locator("#set-url-command")).ToHaveCountAsync(0);

        await Page.GetByRole(AriaRole.Navigation, new() { Name = "Repository" }).GetByRole(AriaRole.Link, new() { Name = "Settings" }).ClickAsync();
        await Page.GetByRole(AriaRole.Link, new() { Name = "Delete repository" }).ClickAsync();
        await Page.GetByLabel("Type carol/notes to confirm").FillAsync("notes");
        await Button(Page, "Delete repository").ClickAsync();
        await Assertions.Expect(Page.Locator("#confirmation-error")).ToHaveTextAsync("To delete the repository, type its full name 'carol/notes' exactly.");
        await Page.GetByLabel("Type carol/notes to confirm").FillAsync("carol/notes");
        await Button(Page, "Delete repository").ClickAsync();
        await Assertions.Expect(Page).ToHaveURLAsync(new Regex("/repositories$"));
        await Assertions.Expect(Page.Locator("#no-repositories")).ToBeVisibleAsync();
        Assert.False(Directory.Exists(Host.Data.Paths.Repository("carol", "notes", Wharf.Core.Repositories.Scm.Hg)));
    }
}
