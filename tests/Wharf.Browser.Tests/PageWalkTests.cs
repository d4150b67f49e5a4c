using System.Text;
using Microsoft.Playwright;

namespace Wharf.Browser.Tests;

/// <summary>
/// Walks every page of <see cref="SitePages.All"/> at 1280x800 and at 390x844 (a phone: touch, mobile
/// viewport) on one server with demo data (<see cref="DemoSite"/>), one theory row per page and width. Each row
/// fails, listing every problem at once, when the page answers another status than its own, when axe-core finds a
/// violation of impact serious or critical, when the page scrolls sideways (at 390 and again at 360 px), when a tap target is under 24x24 CSS
/// px, when it has no or several h1, or when its skip link does not move the focus to main
/// (<see cref="PageChecks"/>). Each row also keeps a full-page screenshot, NAME-WIDTH.png, in TestResults/browser/walk,
/// or in the directory named by WHARF_SCREENSHOTS (scripts/screenshots.sh sets it to docs/screenshots).
/// </summary>
public sealed class PageWalkTests(DemoSite site) : IClassFixture<DemoSite>
{
    public const string ScreenshotVariable = "WHARF_SCREENSHOTS";

    public static TheoryData<string, int> Rows()
    {
        var rows = new TheoryData<string, int>();
        foreach (var page in SitePages.All)
        foreach (var width in new[] { Viewports.Desktop, Viewports.Phone })
            rows.Add(page.Name, width);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Page_passes_axe_fits_the_width_and_keeps_the_keyboard_rules(string name, int width)
    {
        var page = SitePages.Named(name);
        var host = page.OnBrokenServer ? await site.BrokenAsync() : site.Host;
        await using var context = await site.NewContextAsync(host, page.As, width);
        // A missing label or button fails its row in seconds, not after Playwright's default 30.
        context.SetDefaultTimeout(10_000);
        // Loading a page may take longer on a loaded machine (a sign-in's password hash, a first Razor render): that
        // is not what the walk checks, so navigations and load waits get Playwright's usual 30 s.
        context.SetDefaultNavigationTimeout(30_000);
        var tab = await context.NewPageAsync();
        var problems = new List<string>();

        var response = await tab.GotoAsync(page.Path);
        if (response is null || response.Status != page.Status)
            problems.Add($"HTTP status {response?.Status.ToString() ?? "none"}, expected {page.Status}");
        if (page.Act is not null)
        {
            try { await page.Act(tab); }
            catch (Exception e) when (e is PlaywrightException or TimeoutException)
            {
                // A form that changed its labels or buttons: say which state could not be reached, and check the page as it is.
                problems.Add($"could not bring the page into its state ({page.State}): {e.Message.Split('\n')[0]}");
            }
        }
        await tab.WaitForLoadStateAsync();

        Directory.CreateDirectory(ScreenshotDirectory);
        await tab.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, $"{page.Name}-{width}.png"), FullPage = true });

        problems.AddRange(await PageChecks.OneHeadingAsync(tab));
        problems.AddRange(await PageChecks.AxeAsync(tab));
        if (width == Viewports.Phone) problems.AddRange(await PageChecks.NoHorizontalScrollAsync(tab));
        problems.AddRange(await PageChecks.TapTargetsAsync(tab));
        problems.AddRange(await PageChecks.SkipLinkAsync(tab));
        if (width == Viewports.Phone)
        {
            // The narrowest phones in common use are 360 CSS px wide: the page must fit those too.
            await tab.SetViewportSizeAsync(Viewports.NarrowPhone, 800);
            problems.AddRange(await PageChecks.NoHorizontalScrollAsync(tab));
        }

        if (problems.Count == 0) return;
        var report = new StringBuilder($"Page {page} at {width} px ({tab.Url}) has {problems.Count} problem(s):");
        foreach (var p in problems) report.Append("\n  - ").Append(p);
        Assert.Fail(report.ToString());
    }

    /// <summary>WHARF_SCREENSHOTS when set (an absolute path, or one relative to the repository root), else TestResults/browser/walk.</summary>
    public static string ScreenshotDirectory =>
        Environment.GetEnvironmentVariable(ScreenshotVariable) is { Length: > 0 } dir
            ? Path.Combine(BrowserTest.RepositoryRoot(), dir)
            : Path.Combine(BrowserTest.ArtifactDirectory, "walk");
}
