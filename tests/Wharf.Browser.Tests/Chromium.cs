using Microsoft.Playwright;

namespace Wharf.Browser.Tests;

/// <summary>
/// Launches Debian's chromium package through Playwright. No browser is downloaded (no <c>playwright install</c>);
/// scripts/test.sh installs the <c>chromium</c> package.
/// </summary>
public static class Chromium
{
    public const string Executable = "/usr/bin/chromium";

    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        Assert.True(File.Exists(Executable),
            $"{Executable} is missing: the browser tests drive Debian's chromium package, which scripts/test.sh installs (apt-get install chromium).");
        return await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Executable,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"],
        });
    }
}
