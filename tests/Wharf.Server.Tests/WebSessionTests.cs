using System.Net;
using Microsoft.EntityFrameworkCore;
using Wharf.Server.Web.Accounts;

namespace Wharf.Server.Tests;

/// <summary>Web sessions end on the server: sign-out, "Sign out everywhere" and a password change make old cookies worthless.</summary>
public sealed class WebSessionTests : WebPageTestBase
{
    /// <summary>A second browser holding a copy of <paramref name="from"/>'s cookies, as someone who stole them would.</summary>
    private WebSession CopyOf(WebSession from)
    {
        var copy = new WebSession(Host.BaseAddress);
        foreach (Cookie c in from.Cookies.GetAllCookies()) copy.Cookies.Add(new Cookie(c.Name, c.Value, c.Path, c.Domain));
        return copy;
    }

    private async Task<WebSession> SignInAsync(string name, string password = WebSession.Password)
    {
        var session = new WebSession(Host.BaseAddress);
        var response = await session.PostFormAsync("/signin", "/signin", ("username", name), ("password", password));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return session;
    }

    private static async Task AssertSignedOutAsync(WebSession session)
    {
        var response = await session.Client.GetAsync(SshKeyPages.Path);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/signin", response.Headers.Location!.PathAndQuery);
    }

    private async Task<int> SessionsOfAsync(string name)
    {
        await using var db = Host.Data.OpenDatabase();
        var id = (await db.Users.SingleAsync(u => u.LowerName == name)).Id;
        return await db.UserSessions.CountAsync(s => s.UserId == id);
    }

    [Fact]
    public async Task A_cookie_copied_before_sign_out_gets_the_sign_in_page_after_it_and_other_sessions_go_on()
    {
        var ann = await SignUpAsync("ann");
        using var other = await SignInAsync("ann");
        using var stolen = CopyOf(ann);
        Assert.Equal(HttpStatusCode.OK, (await stolen.GetAsync(SshKeyPages.Path)).Status);
        Assert.Equal(2, await SessionsOfAsync("ann"));

        var signedOut = await ann.PostFormAsync(SshKeyPages.Path, "/signout");
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal("/", signedOut.Headers.Location!.OriginalString);

        await AssertSignedOutAsync(ann);
        await AssertSignedOutAsync(stolen);
        Assert.Equal(1, await SessionsOfAsync("ann"));
        Assert.Contains("<a href=\"/account\">ann</a>", (await other.GetAsync(SshKeyPages.Path)).Html);
    }

    [Fact]
    public async Task Sign_out_everywhere_on_the_keys_page_ends_every_session_of_the_account_and_no_one_elses()
    {
        var ann = await SignUpAsync("ann");
        var ben = await SignUpAsync("ben");
        using var laptop = await SignInAsync("ann");
        using var stolen = CopyOf(laptop);

        var page = (await ann.GetAsync(SshKeyPages.Path)).Html;
        Assert.Contains($"<form id=\"sign-out-everywhere\" method=\"post\" action=\"{AccountEndpoints.SignOutEverywherePath}\">", page);
        var response = await ann.PostFormAsync(SshKeyPages.Path, AccountEndpoints.SignOutEverywherePath);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/signin", response.Headers.Location!.OriginalString);

        await AssertSignedOutAsync(ann);
        await AssertSignedOutAsync(laptop);
        await AssertSignedOutAsync(stolen);
        Assert.Equal(0, await SessionsOfAsync("ann"));
        Assert.Equal(HttpStatusCode.OK, (await ben.GetAsync(SshKeyPages.Path)).Status);
        // The account itself is untouched: its password signs in again.
        using var again = await SignInAsync("ann");
        Assert.Equal(HttpStatusCode.OK, (await again.GetAsync(SshKeyPages.Path)).Status);
    }

    [Fact]
    public async Task Changing_the_password_with_the_cli_ends_every_session_of_the_account()
    {
        var ann = await SignUpAsync("ann");
        using var stolen = CopyOf(ann);
        var ben = await SignUpAsync("ben");

        var set = await Host.Data.PipeAsync("a brand new password\n", "admin", "user", "password", "ann");
        Assert.Equal(0, set.ExitCode);

        await AssertSignedOutAsync(ann);
        await AssertSignedOutAsync(stolen);
        Assert.Equal(0, await SessionsOfAsync("ann"));
        Assert.Equal(HttpStatusCode.OK, (await ben.GetAsync(SshKeyPages.Path)).Status);
        using var again = await SignInAsync("ann", "a brand new password");
        Assert.Contains("<a href=\"/account\">ann</a>", (await again.GetAsync(SshKeyPages.Path)).Html);
    }

    private async Task<string?> HashOfAsync(string name)
    {
        await using var db = Host.Data.OpenDatabase();
        return (await db.Users.SingleAsync(u => u.LowerName == name)).PasswordHash;
    }

    [Fact]
    public async Task Changing_the_password_on_the_web_keeps_this_session_and_ends_every_other()
    {
        var ann = await SignUpAsync("ann");
        using var phone = await SignInAsync("ann");
        using var stolen = CopyOf(phone);
        var hash = await HashOfAsync("ann");
        Assert.Contains($"<a id=\"password-link\" href=\"{AccountEndpoints.PasswordPath}\">Change password</a>", (await ann.GetAsync(SshKeyPages.Path)).Html);

        var wrong = await ann.PostFormAsync(AccountEndpoints.PasswordPath, AccountEndpoints.PasswordPath, ("current", "not my password"), ("password", "a brand new password"));
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains($"<p class=\"field-error\" id=\"current-error\">{Wharf.Server.Web.Html.E(AccountEndpoints.WrongCurrentPassword)}</p>", await wrong.Content.ReadAsStringAsync());
        var tooShort = await ann.PostFormAsync(AccountEndpoints.PasswordPath, AccountEndpoints.PasswordPath, ("current", WebSession.Password), ("password", "short"));
        Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
        Assert.Contains($"<p class=\"field-error\" id=\"password-error\">{Wharf.Server.Web.Html.E(Wharf.Core.Users.PasswordRules.LengthMessage)}</p>", await tooShort.Content.ReadAsStringAsync());
        Assert.Equal(hash, await HashOfAsync("ann"));
        Assert.Equal(2, await SessionsOfAsync("ann"));

        var changed = await ann.PostFormAsync(AccountEndpoints.PasswordPath, AccountEndpoints.PasswordPath, ("current", WebSession.Password), ("password", "a brand new password"));
        Assert.Equal((HttpStatusCode.Redirect, AccountEndpoints.AccountPath), (changed.StatusCode, changed.Headers.Location?.OriginalString));
        Assert.Contains($"<div class=\"flash\" role=\"status\" id=\"flash\">{Wharf.Server.Web.Html.E(AccountEndpoints.PasswordChanged)}</div>",
            (await ann.GetAsync(AccountEndpoints.AccountPath)).Html);
        Assert.NotEqual(hash, await HashOfAsync("ann"));

        Assert.Equal(HttpStatusCode.OK, (await ann.GetAsync(SshKeyPages.Path)).Status);
        await AssertSignedOutAsync(phone);
        await AssertSignedOutAsync(stolen);
        Assert.Equal(1, await SessionsOfAsync("ann"));
        using var old = new WebSession(Host.BaseAddress);
        Assert.Equal(HttpStatusCode.Unauthorized, (await old.PostFormAsync("/signin", "/signin", ("username", "ann"), ("password", WebSession.Password))).StatusCode);
        using var again = await SignInAsync("ann", "a brand new password");
        Assert.Equal(HttpStatusCode.OK, (await again.GetAsync(SshKeyPages.Path)).Status);
    }
}
