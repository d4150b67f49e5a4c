using System.Net;
using Wharf.Server.Web;

namespace Wharf.Server.Tests;

/// <summary>
/// A README's tables, code blocks and task lists on the repository page: a column's alignment survives as a class
/// the stylesheet defines (never as an inline style, which the CSP forbids), a fenced block keeps its language class,
/// no other class or style of the README's own gets through, and task list items show no bullet.
/// </summary>
public sealed class WebReadmeTests : WebPageTestBase
{
    private const string Markdown = """
        # Table

        | Name | Value | Note |
        | :--- | ----: | :--: |
        | a | 1 | x |

        ```csharp
        var x = 1;
        ```

        - [x] done
        - plain

        <table><tr><th style="color: red" class="button button-danger">raw</th><td style="text-align: right; color: red">mixed</td></tr></table>

        <code class="flash language-js">inline</code>
        """;

    private async Task<(HttpResponseMessage Response, string Page)> PageAsync()
    {
        var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        var h = HistoryRepository.Build(Host.Data.Root, Host.Data.Paths.Repository("alice", "site"));
        h.Write("README.md", Markdown);
        Git.Ok(h.Work, "add", "README.md");
        h.Commit("A README with a table");
        h.Push("main:main");
        var response = await alice.Client.GetAsync("/alice/site");
        return (response, Tags(await response.Content.ReadAsStringAsync()));
    }

    private static string ReadmeBody(string page)
    {
        var start = page.IndexOf("<div class=\"markdown\" id=\"readme-body\">", StringComparison.Ordinal);
        Assert.True(start >= 0);
        return page[start..page.IndexOf("</section>", start, StringComparison.Ordinal)];
    }

    [Fact]
    public async Task A_tables_column_alignment_is_kept_as_a_class_under_the_unchanged_CSP()
    {
        var (response, page) = await PageAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(WebPage.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("<thead><tr><th class=\"align-left\">Name</th><th class=\"align-right\">Value</th><th class=\"align-center\">Note</th></tr></thead>" +
            "<tbody><tr><td class=\"align-left\">a</td><td class=\"align-right\">1</td><td class=\"align-center\">x</td></tr></tbody>", page);
        // The README's own style and classes do not get through; only a plain text-align becomes a class.
        Assert.Contains("<tr><th>raw</th><td>mixed</td></tr>", page);
        Assert.DoesNotContain("style=", ReadmeBody(page));
        Assert.DoesNotContain("button", ReadmeBody(page));

        using var http = new HttpClient { BaseAddress = Host.BaseAddress };
        var css = await http.GetStringAsync(StaticAssets.Stylesheet);
        Assert.Contains(".markdown .align-left { text-align: left; }", css);
        Assert.Contains(".markdown .align-center { text-align: center; }", css);
        Assert.Contains(".markdown .align-right { text-align: right; }", css);
    }

    [Fact]
    public async Task A_fenced_code_block_keeps_its_language_class_and_task_items_show_no_bullet()
    {
        var (_, page) = await PageAsync();
        Assert.Contains("<pre><code class=\"language-csharp\">var x = 1;\n</code></pre>", page);
        // A <code> keeps only a language class, never one of the site's own.
        Assert.Contains("<code class=\"language-js\">inline</code>", page);
        Assert.DoesNotContain("flash", ReadmeBody(page));
        Assert.Contains("<ul><li><input disabled=\"disabled\" type=\"checkbox\" checked=\"checked\" aria-label=\"done\"> done</li><li>plain</li></ul>", page);

        using var http = new HttpClient { BaseAddress = Host.BaseAddress };
        var css = await http.GetStringAsync(StaticAssets.Stylesheet);
        Assert.Contains(".markdown li:has(> input[type=checkbox]:first-child) { list-style: none; }", css);
    }
}
