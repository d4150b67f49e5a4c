using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Wharf.Server.Tests;

namespace Wharf.Browser.Tests;

/// <summary>The source pages in a real browser: tree, highlighted file and back, and the branch selector.</summary>
public sealed class SourcePagesTests : BrowserTest
{
    [Fact]
    public async Task From_the_tree_to_a_highlighted_file_and_back_then_to_another_branch_with_the_selector()
    {
        var alice = await NewPageAsync();
        await SignUpAsync(alice, "alice");
        await alice.GotoAsync("/repositories/new");
        await alice.GetByLabel("Name", new() { Exact = true }).FillAsync("site");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Create repository", Exact = true }).ClickAsync();
        await Assertions.Expect(alice).ToHaveURLAsync(new Regex("/alice/site$"));
        SourceRepositories.PushDemo(Host.Data.Root, Host.Data.Paths.Repository("alice", "site"));

        await alice.ReloadAsync();
        await Assertions.Expect(alice.Locator("#readme-body table")).ToContainTextAsync("Column");
        await Assertions.Expect(alice.Locator("#readme-body script")).ToHaveCountAsync(0);
        await alice.GetByRole(AriaRole.Link, new() { Name = "src/", Exact = true }).ClickAsync();
        await Assertions.Expect(alice).ToHaveURLAsync(new Regex("/alice/site/src/main/src$"));
        await alice.GetByRole(AriaRole.Link, new() { Name = "app.cs", Exact = true }).ClickAsync();
        await Assertions.Expect(alice).ToHaveURLAsync(new Regex("/alice/site/src/main/src/app.cs$"));
        await Assertions.Expect(alice.Locator("#lines-1 .hl-keyword")).ToHaveTextAsync("using");
        // Highlighting comes from the stylesheet: a keyword's colour differs from plain text's.
        var keyword = await alice.Locator("#lines-1 .hl-keyword").EvaluateAsync<string>("e => getComputedStyle(e).color");
        var plain = await alice.Locator("#lines-1 .line-code code").EvaluateAsync<string>("e => getComputedStyle(e).color");
        Assert.NotEqual(plain, keyword);
        await alice.Locator("#lines-3 .line-number a").ClickAsync();
        await Assertions.Expect(alice).ToHaveURLAsync(new Regex("/alice/site/src/main/src/app.cs#lines-3$"));
        await ScreenshotAsync(alice, "source-file.png");

        await alice.GoBackAsync();
        await alice.GoBackAsync();
        await Assertions.Expect(alice).ToHaveURLAsync(new Regex("/alice/site/src/main/src$"));
        await Assertions.Expect(alice.Locator("tr.entry[data-name='app.cs']")).ToBeVisibleAsync();

        // Choosing trunk in the selector submits its form (site.js) and lands on the same directory there.
        await alice.Locator("#ref-select").SelectOptionAsync("trunk");
        await Assertions.Expect(alice).ToHaveURLAsync(new Regex("/alice/site/src/trunk/src$"));
        await Assertions.Expect(alice.Locator("tr.entry[data-name='trunk-only.txt']")).ToBeVisibleAsync();
        await Assertions.Expect(alice.Locator("#ref-select")).ToHaveValueAsync("trunk");
    }
}
