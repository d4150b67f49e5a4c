using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Wharf.Server.Tests;

namespace Wharf.Browser.Tests;

/// <summary>
/// Debian's chromium driven by Playwright against <c>wharf serve</c> in-process, one server and one browser
/// per test. No browser is downloaded (no <c>playwright install</c>); scripts/test.sh installs the
/// <c>chromium</c> package.
/// </summary>
public abstract class BrowserTest : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    protected WharfHost Host { get; private set; } = null!;
    private IPlaywright _playwright = null!;
    protected IBrowser Browser { get; private set; } = null!;
    protected IPage Page { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium),
            $"{Chromium} is missing: the browser tests drive Debian's chromium package, which scripts/test.sh installs (apt-get install chromium).");
        Host = await WharfHost.StartAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"],
        });
        Page = await NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (Host is not null) await Host.DisposeAsync();
    }

    /// <summary>A page in a context of its own: another person, with their own cookies.</summary>
    protected async Task<IPage> NewPageAsync(params string[] permissions)
    {
        var context = await Browser.NewContextAsync(new() { BaseURL = Host.BaseAddress.ToString(), Permissions = permissions });
        return await context.NewPageAsync();
    }

    protected static async Task SignUpAsync(IPage page, string name)
    {
        await page.GotoAsync("/signup");
        await page.GetByLabel("User name").FillAsync(name);
        await page.GetByLabel("Email").FillAsync(name + "@example.org");
        await page.GetByLabel("Password").FillAsync("correct horse battery");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign up" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/account/ssh-keys$"));
    }

    /// <summary>Keeps a full-page screenshot in TestResults/browser/ for people to look at.</summary>
    protected static async Task ScreenshotAsync(IPage page, string fileName)
    {
        Directory.CreateDirectory(ArtifactDirectory);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ArtifactDirectory, fileName), FullPage = true });
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
