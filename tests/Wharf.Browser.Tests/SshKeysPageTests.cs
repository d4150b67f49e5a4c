using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Wharf.Server.Tests;

namespace Wharf.Browser.Tests;

/// <summary>Sign up and manage SSH keys in a real browser.</summary>
public sealed class SshKeysPageTests : BrowserTest
{
    private readonly List<IRequest> _requests = [];

    private Task SignUpAsync(string name) => SignUpAsync(Page, name);

    private async Task<int> StoredKeysAsync()
    {
        await using var db = Host.Data.OpenDatabase();
        return await db.SshKeys.CountAsync();
    }

    [Fact]
    public async Task Sign_up_add_a_wrapped_key_rename_it_and_delete_it()
    {
        await SignUpAsync("alice");
        var line = TestKeys.Ed25519("alice@laptop");
        var parts = line.Split(' ');
        // As copy and paste out of a narrow terminal produces it: the base64 broken over several lines.
        var wrapped = parts[0] + " " + string.Join("\n", parts[1].Chunk(24).Select(c => new string(c))) + " " + parts[2] + "\n";
        var fingerprint = TestKeys.Fingerprint(line);

        await Page.Locator("#key-label").FillAsync("work laptop");
        await Page.GetByLabel("Key", new() { Exact = true }).FillAsync(wrapped);
        await Page.GetByLabel("Expires").FillAsync("2999-01-31");
        await Assertions.Expect(Page.Locator("#key-type")).ToHaveTextAsync("Key type as typed: ssh-ed25519");
        // The server's parser, before saving: type, bits and the SHA256 fingerprint of the joined key.
        await Assertions.Expect(Page.Locator("#key-preview")).ToHaveTextAsync($"Understood: ssh-ed25519, 256 bits, {fingerprint}");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Add key" }).ClickAsync();

        var row = Page.Locator("tr.key");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row.Locator(".fingerprint")).ToHaveTextAsync(fingerprint);
        await Assertions.Expect(row.Locator(".key-label")).ToHaveTextAsync("work laptop");
        await Assertions.Expect(row).ToContainTextAsync("ssh-ed25519, 256 bits");
        await Assertions.Expect(row).ToContainTextAsync("alice@laptop");
        await Assertions.Expect(row).ToContainTextAsync("never");
        await Assertions.Expect(row.Locator("td[data-label=Expires] time")).ToHaveAttributeAsync("title", "2999-01-31 00:00 UTC");
        await row.Locator("details.md5 summary").ClickAsync();
        await Assertions.Expect(row.Locator("details.md5 code")).ToContainTextAsync("MD5:");

        await ScreenshotAsync(Page, "ssh-keys-page.png");

        // The same key again: the service's own message, naming the label it already has.
        await Page.GetByLabel("Key", new() { Exact = true }).FillAsync(line);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Add key" }).ClickAsync();
        await Assertions.Expect(Page.Locator("#key-text-error")).ToHaveTextAsync("This key is already on your account as 'work laptop'.");

        await row.Locator("details.rename summary").ClickAsync();
        await Page.GetByLabel("New label for work laptop").FillAsync("old laptop");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save label" }).ClickAsync();
        await Assertions.Expect(row.Locator(".key-label")).ToHaveTextAsync("old laptop");

        await row.GetByRole(AriaRole.Button, new() { Name = "Delete old laptop" }).ClickAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Dialog)).ToContainTextAsync("Delete the key 'old laptop'?");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Delete key" }).ClickAsync();
        await Assertions.Expect(Page.Locator("#no-keys")).ToBeVisibleAsync();
        Assert.Equal(0, await StoredKeysAsync());
    }

    [Fact]
    public async Task A_pasted_private_key_is_refused_in_thePage_and_never_sent()
    {
        Page.Request += (_, r) => { lock (_requests) _requests.Add(r); };
        await SignUpAsync("bob");
        const string privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n";
        lock (_requests) _requests.Clear();

        await Page.GetByLabel("Key", new() { Exact = true }).FillAsync(privateKey);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Add key" }).ClickAsync();

        var refusal = Page.Locator("#key-refusal");
        await Assertions.Expect(refusal).ToBeVisibleAsync();
        await Assertions.Expect(refusal).ToContainTextAsync("This is a private key. It was not sent");
        // Cleared from the form, so it is neither left on the screen nor sent by a later click.
        await Assertions.Expect(Page.GetByLabel("Key", new() { Exact = true })).ToHaveValueAsync("");
        await Assertions.Expect(Page.Locator("tr.key")).ToHaveCountAsync(0);
        lock (_requests) Assert.DoesNotContain(_requests, r => r.Method == "POST");
        Assert.Equal(0, await StoredKeysAsync());

        // PuTTY's .ppk too.
        await Page.GetByLabel("Key", new() { Exact = true }).FillAsync("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Add key" }).ClickAsync();
        await Assertions.Expect(refusal).ToBeVisibleAsync();
        lock (_requests) Assert.DoesNotContain(_requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task The_keysPage_asks_for_sign_in_and_a_wrong_password_is_refused()
    {
        await SignUpAsync("carol");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();
        await Page.GotoAsync("/account/ssh-keys");
        await Assertions.Expect(Page).ToHaveURLAsync(new Regex("/signin\\?ReturnUrl="));
        await Page.GetByLabel("User name").FillAsync("carol");
        await Page.GetByLabel("Password").FillAsync("wrong password");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(Page.Locator("#signin-error")).ToHaveTextAsync("Incorrect user name or password.");
        await Page.GetByLabel("Password").FillAsync("correct horse battery");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(Page).ToHaveURLAsync(new Regex("/account/ssh-keys$"));
    }

    [Fact]
    public async Task An_account_made_on_the_command_line_signs_in_once_its_password_is_set_with_the_cli()
    {
        Assert.Equal(0, (await Host.Data.RunAsync("admin", "user", "create", "dan", "--email", "dan@example.org")).ExitCode);
        await Page.GotoAsync("/signin");
        await Page.GetByLabel("User name").FillAsync("dan");
        await Page.GetByLabel("Password").FillAsync("dans new password");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(Page.Locator("#signin-error")).ToHaveTextAsync("Incorrect user name or password.");

        var set = await Host.Data.PipeAsync("dans new password\n", "admin", "user", "password", "dan");
        Assert.Equal((0, "Password set for dan. They can sign in on the web now.\n"), (set.ExitCode, set.Out));

        await Page.GetByLabel("Password").FillAsync("dans new password");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(Page).ToHaveURLAsync(new Regex("/account/ssh-keys$"));
        await Assertions.Expect(Page.Locator("nav")).ToContainTextAsync("dan");
    }
}
