using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Wharf.Server.Tests;

namespace Wharf.Browser.Tests;

/// <summary>The history pages in a real browser: from the commit list to a commit and its diff, then to its parent.</summary>
public sealed class CommitPagesTests : BrowserTest
{
    [Fact]
    public async Task From_the_commit_list_to_a_commit_with_its_diff_and_on_to_its_parent()
    {
        var alice = await NewPageAsync();
        await SignUpAsync(alice, "alice");
        await alice.GotoAsync("/repositories/new");
        await alice.GetByLabel("Name", new() { Exact = true }).FillAsync("site");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Create repository", Exact = true }).ClickAsync();
        await Assertions.Expect(alice).ToHaveURLAsync(new Regex("/alice/site$"));
        var h = HistoryRepository.Build(Host.Data.Root, Host.Data.Paths.Repository("alice", "site"));

        await alice.GotoAsync("/alice/site/commits");
        await Assertions.Expect(alice.Locator("#repository-nav a[aria-current=page]")).ToHaveTextAsync("Commits");
        await Assertions.Expect(alice.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Commits on main");
        await Assertions.Expect(alice.Locator("tr.commit .commit-subject")).ToHaveTextAsync(
            ["Merge feature/x", "Main moves on", "Feature work", "Rename, binary and a type change", "Root commit"]);

        await alice.Locator($"tr.commit[data-id='{h.Second}'] a.commit-id").ClickAsync();
        await Assertions.Expect(alice).ToHaveURLAsync(new Regex($"/alice/site/commits/{h.Second}$"));
        await Assertions.Expect(alice.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Rename, binary and a type change");
        await Assertions.Expect(alice.Locator("#commit-message")).ToHaveTextAsync("The body <b>says</b> more.\nOver two lines.");
        var renamed = alice.Locator("section.diff-file", new() { Has = alice.Locator(".diff-new-path", new() { HasText = "new-name.txt" }) });
        await Assertions.Expect(renamed.Locator(".diff-file-name")).ToHaveTextAsync("old-name.txt → new-name.txt");
        await Assertions.Expect(renamed.Locator("tr.diff-del .diff-text")).ToHaveTextAsync(["three"]);
        await Assertions.Expect(renamed.Locator("tr.diff-add .diff-text")).ToHaveTextAsync(["THREE", "seven"]);
        // Added and deleted lines are told apart by their background, not by the sign alone.
        var added = await renamed.Locator("tr.diff-add").First.EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor");
        var deleted = await renamed.Locator("tr.diff-del").First.EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor");
        Assert.NotEqual(added, deleted);
        await Assertions.Expect(alice.Locator("section.diff-file", new() { Has = alice.Locator("h3", new() { HasText = "logo.bin" }) }).Locator(".diff-note"))
            .ToHaveTextAsync("Binary file, not shown.");
        await ScreenshotAsync(alice, "commit-diff.png");

        await alice.Locator("#commit-parents a").ClickAsync();
        await Assertions.Expect(alice).ToHaveURLAsync(new Regex($"/alice/site/commits/{h.Root}$"));
        await Assertions.Expect(alice.Locator("#commit-parents")).ToHaveTextAsync("none (the first commit)");
    }
}
