using Microsoft.Playwright;

namespace Wharf.Browser.Tests;

/// <summary>
/// One page of the walk in one state: <paramref name="Name"/> names its rows and its screenshots
/// (<c>NAME-1280.png</c>, <c>NAME-390.png</c>); <paramref name="Path"/> is opened as <paramref name="As"/>
/// (null: signed out) on <see cref="DemoSite"/>'s data and must answer <paramref name="Status"/>; then
/// <paramref name="Act"/>, when given, brings the page into its state (a form sent with an error, say).
/// </summary>
public sealed record SitePage(string Name, string Path, string State, string? As = "alice", int Status = 200,
    Func<IPage, Task>? Act = null, bool OnBrokenServer = false)
{
    public override string ToString() => $"'{Name}' ({State}: {Path} {(As is null ? "signed out" : "as " + As)})";
}

/// <summary>
/// Every page the walk visits (<see cref="PageWalkTests"/>) and the screenshot script photographs
/// (scripts/screenshots.sh). To add a page, add one line here; names must be unique and safe as file names.
/// </summary>
public static class SitePages
{
    public static readonly IReadOnlyList<SitePage> All =
    [
        new("home", "/", "landing page, signed out", As: null),
        new("dashboard", "/", "signed in: alice's dashboard"),
        new("host-keys", "/host-keys", "the server's SSH host keys", As: null),
        new("signin", "/signin", "sign-in form", As: null),
        new("signin-error", "/signin", "sign-in refused: wrong password", As: null, Act: async page =>
        {
            await page.GetByLabel("User name").FillAsync("alice");
            await page.GetByLabel("Password").FillAsync("not her password");
            await Button(page, "Sign in").ClickAsync();
            // The refusal is a new page after a password hash: wait for it with the navigation timeout, not the 10 s
            // the walk gives a missing label, which a loaded machine can exceed.
            await Assertions.Expect(page.Locator("#signin-error"))
                .ToHaveTextAsync("Incorrect user name or password.", new() { Timeout = 30_000 });
        }),
        new("signup", "/signup", "sign-up form", As: null),
        new("ssh-keys", "/account/ssh-keys", "keys page with two keys"),
        new("ssh-keys-empty", "/account/ssh-keys", "keys page with no key yet", As: "bob"),
        new("ssh-keys-error", "/account/ssh-keys", "keys page after a key that is not a key", Act: async page =>
        {
            await page.GetByLabel("Key", new() { Exact = true }).FillAsync("ssh-ed25519 not-base64 alice@laptop");
            await Button(page, "Add key").ClickAsync();
        }),
        new("password", "/account/password", "change password form"),
        new("tokens", "/account/tokens", "API tokens, one token"),
        new("audit", "/account/audit", "audit log with two pushes"),
        new("repositories", "/repositories", "alice's three repositories"),
        new("repositories-empty", "/repositories", "no repository yet", As: "carol"),
        new("new-repository", "/repositories/new", "new repository form"),
        new("new-repository-error", "/repositories/new", "new repository with an invalid name", Act: async page =>
        {
            await page.GetByLabel("Name", new() { Exact = true }).FillAsync("../site");
            await Button(page, "Create repository").ClickAsync();
        }),
        new("repository", "/alice/site", "git repository with pushes on two branches"),
        new("repository-empty", "/alice/empty", "empty git repository: push instructions"),
        new("repository-hg", "/alice/notes", "public Mercurial repository: files and README of default, branch selector"),
        new("commit-hg", "/alice/notes/commits", "a Mercurial changeset with its diff, from the changeset list", Act: async page =>
        {
            await page.Locator("#commit-list a.commit-id").First.ClickAsync();
            await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/alice/notes/commits/[0-9a-f]{40}$"));
        }),
        new("branches-hg", "/alice/notes/branches", "Mercurial branches: default (marked) and stable"),
        new("repository-read", "/alice/site", "repository shared with bob to read", As: "bob"),
        new("source-directory", "/alice/site/src/main/src", "a directory of the default branch"),
        new("source-file", "/alice/site/src/main/src/app.cs", "a C# file, highlighted, with line numbers"),
        new("source-branch", "/alice/site/src/phone-layout/", "the root of another branch, chosen in the selector"),
        new("settings-permissions", "/alice/site/settings/permissions", "permissions with bob's read grant"),
        new("settings-access-keys", "/alice/site/settings/access-keys", "access keys, one read-only key"),
        new("settings-branch", "/alice/site/settings/branch", "default branch of two"),
        new("settings-signed-commits", "/alice/site/settings/signed-commits", "Require signed commits, off"),
        new("settings-delete", "/alice/site/settings/delete", "delete confirmation"),
        new("commits", "/alice/site/commits", "commits of the default branch"),
        new("commits-branch", "/alice/site/commits/branch/phone-layout", "commits of another branch"),
        new("commit", "/alice/site/commits", "a signed commit with its diff: lines added and deleted, its Verified badge open", Act: async page =>
        {
            await page.Locator("#commit-list a.commit-id").First.ClickAsync();
            await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/alice/site/commits/[0-9a-f]{40}$"));
            // The newest commit is signed: its badge opens (from the keyboard) into the details, which the checks then see.
            await Assertions.Expect(page.Locator("#commit-signature .signature-badge")).ToHaveTextAsync("Verified");
            await page.Locator("#commit-signature summary").FocusAsync();
            await page.Keyboard.PressAsync("Enter");
            await Assertions.Expect(page.Locator("#commit-signature .signature-account")).ToHaveTextAsync("alice");
        }),
        new("branches", "/alice/site/branches", "branches: main (default) and phone-layout, ahead/behind"),
        new("tags", "/alice/site/tags", "one annotated tag"),
        new("404", "/no/such/page", "unknown address", Status: 404),
        new("404-repository", "/alice/nothing", "repository that does not exist", Status: 404),
        new("403", "/alice/site/settings/permissions", "settings of a repository bob may only read", As: "bob", Status: 403),
        new("405", "/account/ssh-keys/preview", "GET on a form-only address", Status: 405),
        new("500", "/repositories", "database lost a table", As: "dave", Status: 500, OnBrokenServer: true),
        // Pages the issue 11 branches add (ui-keys, ui-accounts); enable each line once its page is merged:
        new("guide", "/account/ssh-keys/guide", "SSH key set-up guide"),
        new("account", "/account", "account settings: password, email, sessions"),
        new("admin-users", "/admin/users", "admin: the users"),
        new("404-admin", "/admin/users", "the admin page for someone who is not an admin: as if it did not exist", As: "bob", Status: 404),
        new("password-reset", "/password-reset", "password reset request", As: null),
        new("signout", "/signout", "GET sign-out: a button to sign out"),
    ];

    public static SitePage Named(string name) => All.Single(p => p.Name == name);

    private static ILocator Button(IPage page, string name) => page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });
}
