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
}
