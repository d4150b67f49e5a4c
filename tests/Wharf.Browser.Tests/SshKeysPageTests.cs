using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Wharf.Server.Tests;

namespace Wharf.Browser.Tests;

/// <summary>
/// Sign up and manage SSH keys in a real browser: Debian's chromium driven by Playwright against
/// <c>wharf serve</c> in-process. No browser is downloaded (no <c>playwright install</c>); scripts/test.sh
/// installs the <c>chromium</c> package.
/// </summary>
public sealed class SshKeysPageTests : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private WharfHost _host = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private IPage _page = null!;
    private readonly List<IRequest> _requests = [];

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium),
            $"{Chromium} is missing: the browser tests drive Debian's chromium package, which scripts/test.sh installs (apt-get install chromium).");
        _host = await WharfHost.StartAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"],
        });
        _page = await _browser.NewPageAsync(new() { BaseURL = _host.BaseAddress.ToString() });
        _page.Request += (_, r) => { lock (_requests) _requests.Add(r); };
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
        if (_host is not null) await _host.DisposeAsync();
    }

    private async Task SignUpAsync(string name)
    {
        await _page.GotoAsync("/signup");
        await _page.GetByLabel("User name").FillAsync(name);
        await _page.GetByLabel("Email").FillAsync(name + "@example.org");
        await _page.GetByLabel("Password").FillAsync("correct horse battery");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Sign up" }).ClickAsync();
        await Assertions.Expect(_page).ToHaveURLAsync(new Regex("/account/ssh-keys$"));
    }

    private async Task<int> StoredKeysAsync()
    {
        await using var db = _host.Data.OpenDatabase();
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

        await _page.GetByLabel("Label", new() { Exact = true }).FillAsync("work laptop");
        await _page.GetByLabel("Key", new() { Exact = true }).FillAsync(wrapped);
        await _page.GetByLabel("Expires").FillAsync("2999-01-31");
        await Assertions.Expect(_page.Locator("#key-type")).ToHaveTextAsync("Key type as typed: ssh-ed25519");
        // The server's parser, before saving: type, bits and the SHA256 fingerprint of the joined key.
        await Assertions.Expect(_page.Locator("#key-preview")).ToHaveTextAsync($"Understood: ssh-ed25519, 256 bits, {fingerprint}");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Add key" }).ClickAsync();

        var row = _page.Locator("tr.key");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row.Locator(".fingerprint")).ToHaveTextAsync(fingerprint);
        await Assertions.Expect(row.Locator(".key-label")).ToHaveTextAsync("work laptop");
        await Assertions.Expect(row).ToContainTextAsync("ssh-ed25519, 256 bits");
        await Assertions.Expect(row).ToContainTextAsync("alice@laptop");
        await Assertions.Expect(row).ToContainTextAsync("never");
        await Assertions.Expect(row).ToContainTextAsync("2999-01-31 00:00 UTC");
        await row.Locator("summary").ClickAsync();
        await Assertions.Expect(row.Locator("details code")).ToContainTextAsync("MD5:");

        Directory.CreateDirectory(ArtifactDirectory);
        await _page.ScreenshotAsync(new() { Path = Path.Combine(ArtifactDirectory, "ssh-keys-page.png"), FullPage = true });

        // The same key again: the service's own message, naming the label it already has.
        await _page.GetByLabel("Key", new() { Exact = true }).FillAsync(line);
        await _page.GetByRole(AriaRole.Button, new() { Name = "Add key" }).ClickAsync();
        await Assertions.Expect(_page.Locator("#add-error")).ToHaveTextAsync("This key is already on your account as 'work laptop'.");

        await _page.GetByLabel("New label for work laptop").FillAsync("old laptop");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Save label" }).ClickAsync();
        await Assertions.Expect(row.Locator(".key-label")).ToHaveTextAsync("old laptop");

        await row.GetByRole(AriaRole.Link, new() { Name = "Delete" }).ClickAsync();
        await Assertions.Expect(_page.GetByRole(AriaRole.Main)).ToContainTextAsync("Delete the key old laptop");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Delete key" }).ClickAsync();
        await Assertions.Expect(_page.Locator("#no-keys")).ToBeVisibleAsync();
        Assert.Equal(0, await StoredKeysAsync());
    }

    [Fact]
    public async Task A_pasted_private_key_is_refused_in_the_page_and_never_sent()
    {
        await SignUpAsync("bob");
        const string privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n";
        lock (_requests) _requests.Clear();

        await _page.GetByLabel("Key", new() { Exact = true }).FillAsync(privateKey);
        await _page.GetByRole(AriaRole.Button, new() { Name = "Add key" }).ClickAsync();

        var refusal = _page.Locator("#key-refusal");
        await Assertions.Expect(refusal).ToBeVisibleAsync();
        await Assertions.Expect(refusal).ToContainTextAsync("This is a private key. It was not sent");
        await Assertions.Expect(_page.Locator("tr.key")).ToHaveCountAsync(0);
        lock (_requests) Assert.DoesNotContain(_requests, r => r.Method == "POST");
        Assert.Equal(0, await StoredKeysAsync());

        // PuTTY's .ppk too.
        await _page.GetByLabel("Key", new() { Exact = true }).FillAsync("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Add key" }).ClickAsync();
        await Assertions.Expect(refusal).ToBeVisibleAsync();
        lock (_requests) Assert.DoesNotContain(_requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task The_keys_page_asks_for_sign_in_and_a_wrong_password_is_refused()
    {
        await SignUpAsync("carol");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await _page.GotoAsync("/account/ssh-keys");
        await Assertions.Expect(_page).ToHaveURLAsync(new Regex("/signin\\?ReturnUrl="));
        await _page.GetByLabel("User name").FillAsync("carol");
        await _page.GetByLabel("Password").FillAsync("wrong password");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(_page.Locator("#form-error")).ToHaveTextAsync("Incorrect user name or password.");
        await _page.GetByLabel("Password").FillAsync("correct horse battery");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(_page).ToHaveURLAsync(new Regex("/account/ssh-keys$"));
    }

    [Fact]
    public async Task An_account_made_on_the_command_line_signs_in_once_its_password_is_set_with_the_cli()
    {
        Assert.Equal(0, (await _host.Data.RunAsync("admin", "user", "create", "dan", "--email", "dan@example.org")).ExitCode);
        await _page.GotoAsync("/signin");
        await _page.GetByLabel("User name").FillAsync("dan");
        await _page.GetByLabel("Password").FillAsync("dans new password");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(_page.Locator("#form-error")).ToHaveTextAsync("Incorrect user name or password.");

        var set = await _host.Data.PipeAsync("dans new password\n", "admin", "user", "password", "dan");
        Assert.Equal((0, "Password set for dan. They can sign in on the web now.\n"), (set.ExitCode, set.Out));

        await _page.GetByLabel("Password").FillAsync("dans new password");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(_page).ToHaveURLAsync(new Regex("/account/ssh-keys$"));
        await Assertions.Expect(_page.Locator("nav")).ToContainTextAsync("Signed in as dan");
    }

    /// <summary>TestResults/browser at the repository root (beside scripts/test.sh's TRX files), found from this source file.</summary>
    private static string ArtifactDirectory => Path.Combine(RepositoryRoot(), "TestResults", "browser");

    private static string RepositoryRoot([CallerFilePath] string source = "")
    {
        // The build may sit outside the repository (--artifacts-path), so start from the source file, not the assembly.
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(source)!); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Wharf.slnx"))) return dir.FullName;
        return AppContext.BaseDirectory;
    }
}
