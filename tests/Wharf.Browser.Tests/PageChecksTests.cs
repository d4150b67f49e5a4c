using Microsoft.Playwright;

namespace Wharf.Browser.Tests;

/// <summary>
/// The walk's checks (<see cref="PageChecks"/>) on small pages made for them, no server needed: each check finds
/// what it is there to find, and passes a page that keeps the rules, so that a green walk means something.
/// </summary>
public sealed class PageChecksTests : IAsyncLifetime
{
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        _browser = await Chromium.LaunchAsync(_playwright);
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
    }

    private const string Head = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Check</title>""";
    private const string Style = """<style>body{margin:0;font:16px/1.5 sans-serif} a,button{display:inline-block;min-height:44px;min-width:44px} .skip{position:absolute;top:-3rem} .skip:focus{top:0}</style>""";

    // Everything right: a skip link to a focusable main, one h1, big targets, an inline link in a sentence.
    private const string Good = Head + Style + """</head><body><a class="skip skip-link" href="#main">Skip to content</a><header><nav aria-label="Main"><a href="/a">Home</a></nav></header><main id="main" tabindex="-1"><h1>Good</h1><p>Read <a href="/b" style="display:inline;min-height:0;min-width:0">the guide</a> first.</p><button type="button">Go</button></main></body></html>""";

    private async Task<IPage> OpenAsync(string html, int width = Viewports.Phone)
    {
        var context = await _browser.NewContextAsync(width == Viewports.Phone
            ? new() { ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true }
            : new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        var page = await context.NewPageAsync();
        await page.SetContentAsync(html);
        return page;
    }

    [Fact]
    public async Task A_page_that_keeps_the_rules_passes_every_check()
    {
        var page = await OpenAsync(Good);
        Assert.Empty(await PageChecks.AxeAsync(page));
        Assert.Empty(await PageChecks.NoHorizontalScrollAsync(page));
        Assert.Empty(await PageChecks.TapTargetsAsync(page));
        Assert.Empty(await PageChecks.OneHeadingAsync(page));
        Assert.Empty(await PageChecks.SkipLinkAsync(page));
    }

    [Fact]
    public async Task Axe_reports_a_critical_violation_with_rule_impact_and_target()
    {
        var page = await OpenAsync(Good.Replace("<button type=\"button\">Go</button>", "<button type=\"button\" id=\"mute\"></button>"));
        var problem = Assert.Single(await PageChecks.AxeAsync(page));
        Assert.Equal("axe button-name (critical): Buttons must have discernible text; at #mute", problem);
    }

    [Fact]
    public async Task A_table_wider_than_the_phone_is_horizontal_scroll_even_when_the_phone_zooms_out()
    {
        var page = await OpenAsync(Good.Replace("<h1>Good</h1>", "<h1>Good</h1><table id=\"keys\" style=\"width:711px\"><tr><td>key</td></tr></table>"));
        var problem = Assert.Single(await PageChecks.NoHorizontalScrollAsync(page));
        Assert.StartsWith("horizontal scroll: document.documentElement.scrollWidth is 711 px", problem);
        Assert.Contains("in a 390 px window; reaching past the right edge: td", problem);
    }

    [Fact]
    public async Task A_page_without_a_viewport_meta_tag_is_laid_out_980_px_wide_on_a_phone()
    {
        var page = await OpenAsync(Good.Replace("""<meta name="viewport" content="width=device-width, initial-scale=1">""", ""));
        var problem = Assert.Single(await PageChecks.NoHorizontalScrollAsync(page));
        Assert.StartsWith("horizontal scroll: document.documentElement.scrollWidth is 980 px (window.innerWidth 980 px) in a 390 px window", problem);
    }

    [Fact]
    public async Task Small_tap_targets_are_named_with_their_size()
    {
        var page = await OpenAsync(Good.Replace("<button type=\"button\">Go</button>",
            "<a id=\"tiny\" href=\"/c\" style=\"min-height:0;min-width:0;width:60px;height:18px\">Delete</a><details><summary style=\"height:20px\">MD5</summary>x</details>"));
        Assert.Equal(["tap target under 24x24 CSS px: a#tiny \"Delete\" 60x18", "tap target under 24x24 CSS px: summary \"MD5\" 390x20"],
            await PageChecks.TapTargetsAsync(page));
    }

    [Fact]
    public async Task Two_headings_or_none_are_reported()
    {
        Assert.Equal(["expected exactly one h1, found 2: [Good | Again]"],
            await PageChecks.OneHeadingAsync(await OpenAsync(Good.Replace("<button", "<h1>Again</h1><button"))));
        Assert.Equal(["expected exactly one h1, found 0: []"],
            await PageChecks.OneHeadingAsync(await OpenAsync(Good.Replace("<h1>Good</h1>", "<h2>Good</h2>"), Viewports.Desktop)));
    }

    [Fact]
    public async Task A_missing_skip_link_or_one_that_leaves_focus_outside_main_is_reported()
    {
        Assert.Equal(["skip link: the first Tab reaches <a href=\"/a\"> \"Home\", not a link to #main"],
            await PageChecks.SkipLinkAsync(await OpenAsync(Good.Replace("""<a class="skip skip-link" href="#main">Skip to content</a>""", ""))));
        // A main that cannot take focus: following the link scrolls, but the keyboard stays on the link.
        var problem = Assert.Single(await PageChecks.SkipLinkAsync(await OpenAsync(Good.Replace("<main id=\"main\" tabindex=\"-1\">", "<main id=\"main\">"))));
        Assert.StartsWith("skip link \"Skip to content\" (href #main): after Enter the focus is on ", problem);
        Assert.EndsWith(", not on main", problem);
    }
}
