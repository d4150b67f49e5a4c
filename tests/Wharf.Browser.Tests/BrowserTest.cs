using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Wharf.Server.Tests;

namespace Wharf.Browser.Tests;

/// <summary>
/// Debian's chromium driven by Playwright against <c>wharf serve</c> in-process, one server and one browser
/// per test (see <see cref="Chromium"/>).
/// </summary>
public abstract class BrowserTest : IAsyncLifetime
{
    protected WharfHost Host { get; private set; } = null!;
    private IPlaywright _playwright = null!;
    protected IBrowser Browser { get; private set; } = null!;
    protected IPage Page { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await WharfHost.StartAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await Chromium.LaunchAsync(_playwright);
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
    internal static string ArtifactDirectory => Path.Combine(RepositoryRoot(), "TestResults", "browser");

    internal static string RepositoryRoot([CallerFilePath] string source = "")
    {
        // The build may sit outside the repository (--artifacts-path), so start from the source file, not the assembly.
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(source)!); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Wharf.slnx"))) return dir.FullName;
        return AppContext.BaseDirectory;
    }
}
