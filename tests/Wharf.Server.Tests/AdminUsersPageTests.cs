using System.Net;
using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Core.Audit;
using Wharf.Core.Keys;
using Wharf.Core.Tokens;
using Wharf.Core.Users;
using Wharf.Server.Ssh;
using Wharf.Server.Web.Accounts;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Server;

namespace Wharf.Server.Tests;

/// <summary><c>/admin/users</c>: only instance administrators see it; disabling an account stops its keys, tokens and sessions at once.</summary>
public sealed class AdminUsersPageTests : WebPageTestBase
{
    private async Task MakeAdminAsync(string name)
    {
        await using var db = Host.Data.OpenDatabase();
        await db.Users.Where(u => u.LowerName == name).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsAdmin, true));
    }

    private async Task<User> StoredUserAsync(string name)
    {
        await using var db = Host.Data.OpenDatabase();
        return await db.Users.AsNoTracking().SingleAsync(u => u.LowerName == name);
    }

    private async Task<HttpStatusCode> ApiStatusAsync(string secret)
    {
        using var api = new HttpClient { BaseAddress = Host.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return (await api.GetAsync("/2.0/user")).StatusCode;
    }

    private async Task<(SshPrincipal? Principal, string? Banner)> SshLoginAsync(string keyLine)
    {
        var request = new SshAuthRequest("git", SshPublicKey.ParseOpenSsh(keyLine), new IPEndPoint(IPAddress.Loopback, 50000)) { SignatureVerified = true };
        var principal = await Host.Services.GetRequiredService<WharfSshHandler>().FindPrincipalAsync(request, CancellationToken.None);
        return (principal, request.RefusalBanner);
    }

    [Fact]
    public async Task Only_an_instance_administrator_sees_the_page_and_its_actions_answer_404_to_anyone_else()
    {
        var ann = await SignUpAsync("ann");
        var bob = await SignUpAsync("bob");
        await MakeAdminAsync("ann");

        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync(AdminUserPages.Path)).Status);
        var forged = await bob.PostFormAsync("/account", AdminUserPages.Path + "/ann/disable");
        Assert.Equal(HttpStatusCode.NotFound, forged.StatusCode);
        Assert.False((await StoredUserAsync("ann")).IsDisabled);
        using var anonymous = new WebSession(Host.BaseAddress);
        Assert.Equal(HttpStatusCode.Redirect, (await anonymous.Client.GetAsync(AdminUserPages.Path)).StatusCode);

        var (status, html) = await ann.GetAsync(AdminUserPages.Path);
        Assert.Equal(HttpStatusCode.OK, status);
        var row = System.Text.RegularExpressions.Regex.Replace(
            System.Text.RegularExpressions.Regex.Match(html, "<tr id=\"user-bob\".*?</tr>", System.Text.RegularExpressions.RegexOptions.Singleline).Value, ">\\s+<", "><");
        Assert.StartsWith("<tr id=\"user-bob\" data-user=\"bob\"><td data-label=\"Name\">bob</td><td data-label=\"Email\">bob@example.org</td>" +
            "<td data-label=\"Verified\">no</td><td data-label=\"Admin\">no</td><td data-label=\"Disabled\">no</td><td data-label=\"Keys\">0</td>", row);
        Assert.Contains("id=\"disable-bob-open\"", html);
        Assert.DoesNotContain("id=\"disable-ann-open\"", html); // not on your own row

        var granted = await ann.PostFormAsync(AdminUserPages.Path, AdminUserPages.Path + "/bob/admin", ("admin", "true"));
        Assert.Equal((HttpStatusCode.Redirect, AdminUserPages.Path), (granted.StatusCode, granted.Headers.Location?.OriginalString));
        Assert.True((await StoredUserAsync("bob")).IsAdmin);
        Assert.Contains("<div class=\"flash\" role=\"status\" id=\"flash\">bob is now an administrator.</div>", (await ann.GetAsync(AdminUserPages.Path)).Html);
        await ann.PostFormAsync(AdminUserPages.Path, AdminUserPages.Path + "/bob/admin", ("admin", "false"));
        Assert.False((await StoredUserAsync("bob")).IsAdmin);
        await using var db = Host.Data.OpenDatabase();
        var bobId = (await StoredUserAsync("bob")).Id;
        Assert.Equal([(AccountAuditActions.AdminGranted, "ann"), (AccountAuditActions.AdminRevoked, "ann")],
            (await db.AuditLog.Where(a => a.UserId == bobId).OrderBy(a => a.Id).ToListAsync()).Select(a => (a.Action, a.Actor)).ToList());
    }

    [Fact]
    public async Task A_disabled_account_loses_its_ssh_keys_tokens_and_sessions_at_once_and_gets_them_back_when_enabled()
    {
        var ann = await SignUpAsync("ann");
        var bob = await SignUpAsync("bob");
        await MakeAdminAsync("ann");
        var key = TestKeys.Ed25519("bob@laptop");
        string secret;
        await using (var scope = Host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<SshKeyService>().AddAsync("bob", key, "laptop", null, new Actor("bob", "127.0.0.1"), CancellationToken.None);
            secret = (await scope.ServiceProvider.GetRequiredService<ApiTokenService>().CreateAsync("bob", "ci", CancellationToken.None)).Secret;
        }
        Assert.IsType<WharfPrincipal>((await SshLoginAsync(key)).Principal);
        Assert.Equal(HttpStatusCode.OK, await ApiStatusAsync(secret));

        var disabled = await ann.PostFormAsync(AdminUserPages.Path, AdminUserPages.Path + "/bob/disable");
        Assert.Equal((HttpStatusCode.Redirect, AdminUserPages.Path), (disabled.StatusCode, disabled.Headers.Location?.OriginalString));
        Assert.True((await StoredUserAsync("bob")).IsDisabled);

        var (principal, banner) = await SshLoginAsync(key);
        Assert.Null(principal);
        Assert.Equal("The Wharf account bob is disabled. Ask your Wharf administrator.\n", banner);
        Assert.Equal(KeyStanding.DisabledBanner("bob"), banner);
        Assert.Equal(HttpStatusCode.Unauthorized, await ApiStatusAsync(secret));
        var page = await bob.Client.GetAsync("/account");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        using var again = new WebSession(Host.BaseAddress);
        var signIn = await again.PostFormAsync("/signin", "/signin", ("username", "bob"), ("password", WebSession.Password));
        Assert.Equal(HttpStatusCode.Forbidden, signIn.StatusCode);
        Assert.Contains(AccountEndpoints.AccountDisabled, await signIn.Content.ReadAsStringAsync());
        await using (var db = Host.Data.OpenDatabase())
        {
            var bobId = (await StoredUserAsync("bob")).Id;
            Assert.Equal(0, await db.UserSessions.CountAsync(s => s.UserId == bobId));
            var entry = await db.AuditLog.SingleAsync(a => a.UserId == bobId && a.Action == AccountAuditActions.Disabled);
            Assert.Equal(("ann", "127.0.0.1"), (entry.Actor, entry.SourceAddress));
        }

        await ann.PostFormAsync(AdminUserPages.Path, AdminUserPages.Path + "/bob/enable");
        Assert.False((await StoredUserAsync("bob")).IsDisabled);
        Assert.IsType<WharfPrincipal>((await SshLoginAsync(key)).Principal);
        Assert.Equal(HttpStatusCode.OK, await ApiStatusAsync(secret));
        Assert.Equal(HttpStatusCode.Redirect, (await again.PostFormAsync("/signin", "/signin", ("username", "bob"), ("password", WebSession.Password))).StatusCode);
    }
}
