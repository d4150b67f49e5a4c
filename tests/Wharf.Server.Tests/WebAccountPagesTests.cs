using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Wharf.Core.Audit;
using Wharf.Core.Keys;
using Wharf.Core.Notifications;
using Wharf.Core.Users;
using Wharf.Server.Mail;
using Wharf.Server.Web.Accounts;
using E = Wharf.Server.Web.Html;

namespace Wharf.Server.Tests;

/// <summary>
/// The account pages through the real host: sign-in/up/out in the page frame, unique and verified addresses (no key
/// mail to an unverified one), changing the address, password reset by a mailed link, and closed sign-up.
/// </summary>
public sealed partial class WebAccountPagesTests : WebPageTestBase
{
    private string OutboxDirectory => Outbox.Path(Host.Data.Paths);

    private List<MimeMessage> Mails() => Directory.Exists(OutboxDirectory)
        ? [.. Directory.GetFiles(OutboxDirectory, "*.eml").Order().Select(f => MimeMessage.Load(f))]
        : [];

    private List<MimeMessage> MailsTo(string address, string subject) =>
        [.. Mails().Where(m => m.Subject == subject && m.To.Mailboxes.Any(b => b.Address == address))];

    /// <summary>The token of the one link of this kind in the newest mail with this subject to this address.</summary>
    private string LinkToken(string address, string subject, string path)
    {
        var body = MailsTo(address, subject)[^1].TextBody ?? "";
        var match = Regex.Match(body, Regex.Escape(Host.BaseAddress.ToString().TrimEnd('/') + path) + @"\?token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])");
        Assert.True(match.Success, body);
        return match.Groups[1].Value;
    }

    private async Task<User> StoredUserAsync(string name)
    {
        await using var db = Host.Data.OpenDatabase();
        return await db.Users.AsNoTracking().SingleAsync(u => u.LowerName == name);
    }

    private async Task AddKeyAsync(string name, string label)
    {
        await using var scope = Host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<SshKeyService>().AddAsync(name, TestKeys.Ed25519(), label, null, new Actor(name, "127.0.0.1"), CancellationToken.None);
    }

    private static string Field(string id, string message) => $"<p class=\"field-error\" id=\"{id}-error\">{E.E(message)}</p>";

    [Fact]
    public async Task Signin_and_signup_send_a_signed_in_user_home_and_GET_signout_shows_a_sign_out_button()
    {
        using var anonymous = new WebSession(Host.BaseAddress);
        var (status, html) = await anonymous.GetAsync("/signin");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<title>Sign in · Wharf</title>", html);
        Assert.Contains("<form id=\"signin-form\" method=\"post\" action=\"/signin\">", html);
        Assert.Contains("<a id=\"forgot-password\" href=\"/password-reset\">Forgot your password?</a>", html);
        Assert.Contains("<a id=\"signup-link\" href=\"/signup\">Sign up</a>", html);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/signup")).Status);
        var signedOutGet = await anonymous.Client.GetAsync("/signout");
        Assert.Equal(HttpStatusCode.Redirect, signedOutGet.StatusCode);
        Assert.StartsWith("/signin", signedOutGet.Headers.Location!.PathAndQuery);

        var ann = await SignUpAsync("ann");
        foreach (var page in new[] { "/signin", "/signup" })
        {
            var response = await ann.Client.GetAsync(page);
            Assert.Equal((HttpStatusCode.Redirect, "/"), (response.StatusCode, response.Headers.Location?.OriginalString));
        }
        var signOut = await ann.GetAsync("/signout");
        Assert.Equal(HttpStatusCode.OK, signOut.Status);
        Assert.Contains("You are signed in as <strong id=\"signed-in-as\">ann</strong>.", signOut.Html);
        Assert.Contains("<form id=\"signout-form\" method=\"post\" action=\"/signout\">", signOut.Html);
        var posted = await ann.PostFormAsync("/signout", "/signout");
        Assert.Equal((HttpStatusCode.Redirect, "/"), (posted.StatusCode, posted.Headers.Location?.OriginalString));
        Assert.Equal(HttpStatusCode.OK, (await ann.GetAsync("/signin")).Status);
    }

    [Fact]
    public async Task Sign_up_refuses_an_address_another_account_holds_in_any_case_and_names_no_account()
    {
        await SignUpAsync("ann");
        using var mallory = new WebSession(Host.BaseAddress);
        var refused = await mallory.PostFormAsync("/signup", "/signup", ("username", "mallory"), ("email", "  ANN@Example.ORG "), ("password", WebSession.Password));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var html = await refused.Content.ReadAsStringAsync();
        Assert.Contains(Field("email", UserService.EmailUnavailable), html);
        Assert.DoesNotContain("ann@example.org", html); // only the address as typed comes back
        Assert.DoesNotContain(">ann<", html);
        await using var db = Host.Data.OpenDatabase();
        Assert.False(await db.Users.AnyAsync(u => u.LowerName == "mallory"));
        Assert.Equal(["ann@example.org"], await db.Users.Select(u => u.LowerEmail).ToListAsync());
    }

    [Fact]
    public async Task No_key_mail_goes_to_an_unverified_address_and_its_link_verifies_once_only()
    {
        var ann = await SignUpAsync("ann");
        Assert.False((await StoredUserAsync("ann")).EmailVerified);
        var verify = Assert.Single(MailsTo("ann@example.org", AccountMailer.VerifySubject));
        Assert.Contains("Until then Wharf sends no key notices to this address.", verify.TextBody);
        var account = await ann.GetAsync(AccountEndpoints.AccountPath);
        Assert.Contains("<span id=\"email-status\" class=\"badge badge-warning\">unverified</span>", account.Html);
        Assert.Contains("<form id=\"resend-verification\" method=\"post\" action=\"/account/email/resend\">", account.Html);

        await AddKeyAsync("ann", "laptop");
        Assert.Empty(MailsTo("ann@example.org", KeyMessages.AddedSubject));
        await using (var scope = Host.Services.CreateAsyncScope())
            Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<KeyReminders>().RunOnceAsync(CancellationToken.None));

        var token = LinkToken("ann@example.org", AccountMailer.VerifySubject, AccountMailer.VerifyPath);
        await using (var db = Host.Data.OpenDatabase())
            Assert.Equal(AccountMailer.HashToken(token), (await db.EmailTokens.SingleAsync()).TokenHash); // only the hash is kept
        var followed = await ann.Client.GetAsync($"{AccountMailer.VerifyPath}?token={token}");
        Assert.Equal((HttpStatusCode.Redirect, AccountEndpoints.AccountPath), (followed.StatusCode, followed.Headers.Location?.OriginalString));
        Assert.True((await StoredUserAsync("ann")).EmailVerified);
        var verified = await ann.GetAsync(AccountEndpoints.AccountPath);
        Assert.Contains("<div class=\"flash\" role=\"status\" id=\"flash\">Email address ann@example.org verified.</div>", verified.Html);
        Assert.Contains("<span id=\"email-status\" class=\"badge badge-success\">verified</span>", verified.Html);

        var again = await ann.GetAsync($"{AccountMailer.VerifyPath}?token={token}");
        Assert.Equal(HttpStatusCode.BadRequest, again.Status);
        Assert.Contains($"<p id=\"link-refused\" role=\"alert\">{E.E(AccountEndpoints.LinkRefused)}</p>", again.Html);

        // Verified: key notices go out, with links to the pages that act on them.
        await AddKeyAsync("ann", "desk");
        var added = Assert.Single(MailsTo("ann@example.org", KeyMessages.AddedSubject));
        var site = Host.BaseAddress.ToString().TrimEnd('/');
        Assert.Contains($"If you did not add this key, remove it at once at {site}/account/ssh-keys and change your password at {site}/account/password.", added.TextBody);
    }

    [Fact]
    public async Task An_expired_verification_link_is_refused_and_verifies_nothing()
    {
        await SignUpAsync("ann");
        var token = LinkToken("ann@example.org", AccountMailer.VerifySubject, AccountMailer.VerifyPath);
        await using (var db = Host.Data.OpenDatabase())
        {
            var row = await db.EmailTokens.SingleAsync();
            Assert.Equal(AccountMailer.VerifyLifetime, row.ExpiresAt - row.CreatedAt);
            row.ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1);
            await db.SaveChangesAsync();
        }
        using var reader = new WebSession(Host.BaseAddress);
        var refused = await reader.GetAsync($"{AccountMailer.VerifyPath}?token={token}");
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains(E.E(AccountEndpoints.LinkRefused), refused.Html);
        Assert.False((await StoredUserAsync("ann")).EmailVerified);
        Assert.Equal(HttpStatusCode.BadRequest, (await reader.GetAsync($"{AccountMailer.VerifyPath}?token=not-a-token")).Status);
    }

    [Fact]
    public async Task Changing_the_email_needs_the_password_and_takes_effect_only_through_the_link_sent_to_the_new_address()
    {
        var ann = await SignUpAsync("ann");
        await SignUpAsync("bob");
        await ann.Client.GetAsync($"{AccountMailer.VerifyPath}?token={LinkToken("ann@example.org", AccountMailer.VerifySubject, AccountMailer.VerifyPath)}");

        var wrongPassword = await ann.PostFormAsync(AccountEndpoints.AccountPath, AccountEndpoints.EmailPath, ("email", "new@example.org"), ("current", "not it at all"));
        Assert.Equal(HttpStatusCode.BadRequest, wrongPassword.StatusCode);
        Assert.Contains(Field("email-password", AccountEndpoints.WrongCurrentPassword), await wrongPassword.Content.ReadAsStringAsync());
        var taken = await ann.PostFormAsync(AccountEndpoints.AccountPath, AccountEndpoints.EmailPath, ("email", "Bob@example.org"), ("current", WebSession.Password));
        Assert.Equal(HttpStatusCode.BadRequest, taken.StatusCode);
        Assert.Contains(Field("new-email", UserService.EmailUnavailable), await taken.Content.ReadAsStringAsync());
        Assert.Empty(MailsTo("new@example.org", AccountMailer.VerifySubject));

        var asked = await ann.PostFormAsync(AccountEndpoints.AccountPath, AccountEndpoints.EmailPath, ("email", "new@example.org"), ("current", WebSession.Password));
        Assert.Equal((HttpStatusCode.Redirect, AccountEndpoints.AccountPath), (asked.StatusCode, asked.Headers.Location?.OriginalString));
        var before = await StoredUserAsync("ann");
        Assert.Equal(("ann@example.org", true), (before.Email, before.EmailVerified));

        var token = LinkToken("new@example.org", AccountMailer.VerifySubject, AccountMailer.VerifyPath);
        Assert.Equal(HttpStatusCode.Redirect, (await ann.Client.GetAsync($"{AccountMailer.VerifyPath}?token={token}")).StatusCode);
        var after = await StoredUserAsync("ann");
        Assert.Equal(("new@example.org", "new@example.org", true), (after.Email, after.LowerEmail, after.EmailVerified));
        var notice = Assert.Single(MailsTo("ann@example.org", AccountMailer.EmailChangedSubject));
        Assert.Contains("The email address of your Wharf account ann was changed from ann@example.org to new@example.org", notice.TextBody);
        Assert.Contains("<span id=\"account-email\">new@example.org</span>", (await ann.GetAsync(AccountEndpoints.AccountPath)).Html);
    }

    [Fact]
    public async Task Password_reset_mails_are_limited_per_account_and_requests_per_address_with_the_same_answer()
    {
        foreach (var name in new[] { "ann", "cat" })
        {
            var session = await SignUpAsync(name);
            await session.Client.GetAsync($"{AccountMailer.VerifyPath}?token={LinkToken($"{name}@example.org", AccountMailer.VerifySubject, AccountMailer.VerifyPath)}");
        }
        using var stranger = new WebSession(Host.BaseAddress);
        async Task<string> AskAsync(string login)
        {
            var response = await stranger.PostFormAsync(AccountMailer.PasswordResetPath, AccountMailer.PasswordResetPath, ("login", login));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return Regex.Replace(await response.Content.ReadAsStringAsync(), "name=\"__RequestVerificationToken\" value=\"[^\"]+\"", "");
        }
        var answers = new List<string>();
        // Five asks for ann: three mails, then the same answer and no mail.
        for (var i = 0; i < 5; i++) answers.Add(await AskAsync("ann"));
        Assert.Equal(PasswordResetThrottle.MaxMailsPerAccount, MailsTo("ann@example.org", AccountMailer.ResetSubject).Count);
        // Five more from the same address use up its ten; cat's request after them sends nothing.
        for (var i = 0; i < 5; i++) answers.Add(await AskAsync("nobody"));
        answers.Add(await AskAsync("cat"));
        Assert.Empty(MailsTo("cat@example.org", AccountMailer.ResetSubject));
        Assert.Single(answers.Distinct());
        // Only the newest of ann's links is kept, and cat got none.
        await using var db = Host.Data.OpenDatabase();
        Assert.Equal(1, await db.EmailTokens.CountAsync(t => t.Purpose == EmailTokenPurpose.PasswordReset));
    }

    [Fact]
    public async Task Password_reset_answers_the_same_for_anyone_and_its_link_works_once_and_ends_every_session()
    {
        var ann = await SignUpAsync("ann");
        await ann.Client.GetAsync($"{AccountMailer.VerifyPath}?token={LinkToken("ann@example.org", AccountMailer.VerifySubject, AccountMailer.VerifyPath)}");
        await SignUpAsync("bob"); // unverified: gets no reset link
        using var stranger = new WebSession(Host.BaseAddress);
        var answers = new List<string>();
        foreach (var login in new[] { "nobody", "nobody@example.org", "bob", "ann" })
        {
            var response = await stranger.PostFormAsync(AccountMailer.PasswordResetPath, AccountMailer.PasswordResetPath, ("login", login));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var html = await response.Content.ReadAsStringAsync();
            answers.Add(Regex.Replace(html, "name=\"__RequestVerificationToken\" value=\"[^\"]+\"", ""));
        }
        Assert.Single(answers.Distinct());
        Assert.Contains($"<p id=\"password-reset-sent\" role=\"status\">{E.E(PasswordResetPage.SentMessage)}</p>", answers[0]);
        Assert.Empty(MailsTo("bob@example.org", AccountMailer.ResetSubject));
        var token = LinkToken("ann@example.org", AccountMailer.ResetSubject, AccountMailer.PasswordResetPath);
        var hash = (await StoredUserAsync("ann")).PasswordHash;

        var form = await stranger.GetAsync($"{AccountMailer.PasswordResetPath}?token={token}");
        Assert.Contains("<form id=\"password-reset-set\" method=\"post\" action=\"/password-reset/set\">", form.Html);
        var tooShort = await stranger.PostFormAsync(AccountMailer.PasswordResetPath, AccountEndpoints.PasswordResetSetPath, ("token", token), ("password", "short"));
        Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
        Assert.Contains(Field("password", PasswordRules.LengthMessage), await tooShort.Content.ReadAsStringAsync());
        Assert.Equal(hash, (await StoredUserAsync("ann")).PasswordHash);

        var set = await stranger.PostFormAsync(AccountMailer.PasswordResetPath, AccountEndpoints.PasswordResetSetPath, ("token", token), ("password", "a whole new password"));
        Assert.Equal((HttpStatusCode.Redirect, "/signin"), (set.StatusCode, set.Headers.Location?.OriginalString));
        Assert.NotEqual(hash, (await StoredUserAsync("ann")).PasswordHash);
        var signedOut = await ann.Client.GetAsync(AccountEndpoints.AccountPath);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        await using (var db = Host.Data.OpenDatabase())
            Assert.Equal(0, await db.UserSessions.CountAsync(s => s.UserId == db.Users.Single(u => u.LowerName == "ann").Id));

        var reused = await stranger.PostFormAsync(AccountMailer.PasswordResetPath, AccountEndpoints.PasswordResetSetPath, ("token", token), ("password", "yet another password"));
        Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
        Assert.Contains(E.E(AccountEndpoints.LinkRefused), await reused.Content.ReadAsStringAsync());

        // An expired link: refused, and the password stays.
        await stranger.PostFormAsync(AccountMailer.PasswordResetPath, AccountMailer.PasswordResetPath, ("login", "ANN@example.org"));
        var late = LinkToken("ann@example.org", AccountMailer.ResetSubject, AccountMailer.PasswordResetPath);
        await using (var db = Host.Data.OpenDatabase())
        {
            var row = await db.EmailTokens.SingleAsync(t => t.Purpose == EmailTokenPurpose.PasswordReset);
            Assert.Equal(AccountMailer.ResetLifetime, row.ExpiresAt - row.CreatedAt);
            row.ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(-1);
            await db.SaveChangesAsync();
        }
        var hashNow = (await StoredUserAsync("ann")).PasswordHash;
        var expired = await stranger.PostFormAsync(AccountMailer.PasswordResetPath, AccountEndpoints.PasswordResetSetPath, ("token", late), ("password", "yet another password"));
        Assert.Equal(HttpStatusCode.BadRequest, expired.StatusCode);
        Assert.Equal(hashNow, (await StoredUserAsync("ann")).PasswordHash);
    }
}
