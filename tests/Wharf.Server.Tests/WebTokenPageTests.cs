using System.Net;
using System.Text.RegularExpressions;
using Wharf.Server.Web.Accounts;

namespace Wharf.Server.Tests;

/// <summary>The API tokens page: tokens with the same name still get buttons and confirmations a person can tell apart.</summary>
public sealed class WebTokenPageTests : WebPageTestBase
{
    [Fact]
    public async Task Two_tokens_with_one_name_have_distinct_delete_buttons_and_deleting_one_keeps_the_other()
    {
        using var alice = await SignUpAsync("alice");
        Assert.Equal(HttpStatusCode.Redirect, (await alice.PostFormAsync(TokenPages.Path, TokenPages.Path, ("name", "ci"))).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await alice.PostFormAsync(TokenPages.Path, TokenPages.Path, ("name", "ci"))).StatusCode);
        var page = (await alice.GetAsync(TokenPages.Path)).Html;
        var buttons = Regex.Matches(page, "id=\"delete-token-(\\d+)-open\">(Delete ci \\(created [^<]+, #\\d+\\))</button>")
            .Select(m => (Id: m.Groups[1].Value, Name: m.Groups[2].Value)).ToList();
        Assert.Equal(2, buttons.Count);
        Assert.NotEqual(buttons[0].Name, buttons[1].Name);
        Assert.All(buttons, b => Assert.EndsWith($", #{b.Id})", b.Name));

        var deleted = await alice.PostFormAsync(TokenPages.Path, $"{TokenPages.Path}/{buttons[0].Id}/delete");
        Assert.Equal((HttpStatusCode.Redirect, TokenPages.Path), (deleted.StatusCode, deleted.Headers.Location?.OriginalString));
        var after = (await alice.GetAsync(TokenPages.Path)).Html;
        Assert.Equal("Token 'ci' deleted.", FlashOf(after));
        Assert.Equal([buttons[1].Id], Regex.Matches(after, "<tr class=\"token\" data-id=\"(\\d+)\">").Select(m => m.Groups[1].Value));

        // Someone else's token, or one already gone: refused, nothing deleted.
        var again = await alice.PostFormAsync(TokenPages.Path, $"{TokenPages.Path}/{buttons[0].Id}/delete");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Contains("<p class=\"form-error\" role=\"alert\" id=\"token-error\">No such token on your account.</p>", await again.Content.ReadAsStringAsync());
        Assert.Equal(1, await Host.Data.CountAsync(db => db.ApiTokens));
    }

    [Fact]
    public async Task The_scopes_ticked_on_the_form_are_stored_and_listed_and_none_ticked_means_all()
    {
        using var alice = await SignUpAsync("alice");
        Assert.Equal(HttpStatusCode.Redirect, (await alice.PostFormAsync(TokenPages.Path, TokenPages.Path,
            ("name", "ci"), ("scopes", "repository:read"), ("scopes", "account"))).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await alice.PostFormAsync(TokenPages.Path, TokenPages.Path, ("name", "laptop"))).StatusCode);
        var page = (await alice.GetAsync(TokenPages.Path)).Html;
        Assert.Contains("type=\"checkbox\" id=\"scope-repository-write\" name=\"scopes\" value=\"repository:write\"", page);
        Assert.Equal(["repository:read, account", "all"],
            Regex.Matches(page, "<td data-label=\"Scopes\" class=\"token-scopes\">([^<]*)</td>").Select(m => m.Groups[1].Value));

        // An unknown scope is refused with the page's error and stores nothing.
        var refused = await alice.PostFormAsync(TokenPages.Path, TokenPages.Path, ("name", "bad"), ("scopes", "repository:admin"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Unknown token scope &#x27;repository:admin&#x27;", await refused.Content.ReadAsStringAsync());
        Assert.Equal(2, await Host.Data.CountAsync(db => db.ApiTokens));
    }
}
