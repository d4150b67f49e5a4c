using System.Net;
using System.Text.RegularExpressions;

namespace Wharf.Server.Tests;

/// <summary>
/// Where a new user clicks next: every short commit id on the repository page and in a tree is a link to that
/// commit, a tag's name leads to the source at the tag, a file page links to the file's history, and the Commits tab
/// follows the branch being viewed. Each link is followed and answers 200.
/// </summary>
public sealed partial class WebNavigationTests : WebPageTestBase
{
    private async Task<WebSession> DemoAsync()
    {
        var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        SourceRepositories.PushDemo(Host.Data.Root, Host.Data.Paths.Repository("alice", "site"));
        return alice;
    }

    private static string Rev(string work, string revision) => Git.Ok(work, "rev-parse", revision);

    [GeneratedRegex("<a class=\"commit-id mono\" href=\"(/alice/site/commits/([0-9a-f]{40}))\" title=\"\\2\">([0-9a-f]{12})</a>")]
    private static partial Regex CommitLink();

    private static async Task AnswersAsync(WebSession session, string href)
    {
        var (status, _) = await session.GetAsync(System.Net.WebUtility.HtmlDecode(href));
        Assert.True(status == HttpStatusCode.OK, $"{href} answered {(int)status}");
    }

    [Fact]
    public async Task Short_commit_ids_on_the_repository_page_and_in_a_tree_link_to_their_commit()
    {
        using var alice = await DemoAsync();
        var page = Tags((await alice.GetAsync("/alice/site")).Html);
        var latest = page[page.IndexOf("id=\"history-title\"", StringComparison.Ordinal)..];
        var latestLinks = CommitLink().Matches(latest);
        Assert.Equal(2, latestLinks.Count); // main's two commits
        Assert.Contains("<td data-label=\"Id\"><a class=\"commit-id mono\" href=\"/alice/site/commits/", latest);
        var tree = page[page.IndexOf("id=\"tree\"", StringComparison.Ordinal)..page.IndexOf("</table>", page.IndexOf("id=\"tree\"", StringComparison.Ordinal), StringComparison.Ordinal)];
        var treeLinks = CommitLink().Matches(tree);
        Assert.Equal(page.Split("class=\"entry entry-").Length - 1, treeLinks.Count); // one per entry
        foreach (Match m in latestLinks.Concat(treeLinks))
        {
            Assert.Equal(m.Groups[2].Value[..12], m.Groups[3].Value);
            await AnswersAsync(alice, m.Groups[1].Value);
        }
        // A directory below the root links its entries' commits too.
        Assert.Matches(CommitLink(), (await alice.GetAsync("/alice/site/src/trunk/src")).Html);
    }

    [Fact]
    public async Task A_tags_name_links_to_the_source_at_the_tag()
    {
        using var alice = await DemoAsync();
        var tags = Tags((await alice.GetAsync("/alice/site/tags")).Html);
        Assert.Contains("<td data-label=\"Tag\"><a class=\"tag-name\" href=\"/alice/site/src/v1.0/\">v1.0</a></td>", tags);
        Assert.Contains("<td data-label=\"Tag\"><a class=\"tag-name\" href=\"/alice/site/src/light/\">light</a></td>", tags);
        var (status, atTag) = await alice.GetAsync("/alice/site/src/light/");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<option value=\"light\" selected>light</option>", atTag);
    }

    [Fact]
    public async Task A_file_page_links_to_the_files_history_on_the_branch_viewed()
    {
        using var alice = await DemoAsync();
        var onMain = Tags((await alice.GetAsync("/alice/site/src/main/src/app.cs")).Html);
        Assert.Contains("<a id=\"history-link\" class=\"button button-secondary button-small\" href=\"/alice/site/commits?path=src%2Fapp.cs\">History</a>", onMain);
        var onTrunk = Tags((await alice.GetAsync("/alice/site/src/trunk/src/app.cs")).Html);
        Assert.Contains("<a id=\"history-link\" class=\"button button-secondary button-small\" href=\"/alice/site/commits/branch/trunk?path=src%2Fapp.cs\">History</a>", onTrunk);
        // From a tag, the default branch's history of the file.
        var atTag = Tags((await alice.GetAsync("/alice/site/src/v1.0/src/app.cs")).Html);
        Assert.Contains("href=\"/alice/site/commits?path=src%2Fapp.cs\">History</a>", atTag);

        var (status, history) = await alice.GetAsync("/alice/site/commits/branch/trunk?path=src%2Fapp.cs");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("History of <code>src/app.cs</code>", history);
        Assert.Contains("Change the app", history);
        Assert.DoesNotContain("On trunk", history);
    }

    [Fact]
    public async Task The_commits_tab_follows_the_branch_being_viewed()
    {
        using var alice = await DemoAsync();
        var trunk = Tags((await alice.GetAsync("/alice/site/src/trunk/")).Html);
        Assert.Contains("<a href=\"/alice/site/commits/branch/trunk\">Commits</a>", trunk);
        var trunkFile = Tags((await alice.GetAsync("/alice/site/src/trunk/src/app.cs")).Html);
        Assert.Contains("<a href=\"/alice/site/commits/branch/trunk\">Commits</a>", trunkFile);
        // The default branch, a tag and the repository page: the default branch's list.
        foreach (var path in new[] { "/alice/site/src/main/", "/alice/site/src/v1.0/", "/alice/site" })
            Assert.Contains("<a href=\"/alice/site/commits\">Commits</a>", Tags((await alice.GetAsync(path)).Html));
        var (status, list) = await alice.GetAsync("/alice/site/commits/branch/trunk");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<h1>Commits on trunk</h1>", list);
    }
}
