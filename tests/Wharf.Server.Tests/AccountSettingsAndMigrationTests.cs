using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Configuration;
using Wharf.Core.Errors;
using Wharf.Server.Accounts;
using Wharf.Server.Web.Accounts;

namespace Wharf.Server.Tests;

/// <summary><c>Accounts:SignUp</c>, admin-created accounts' addresses, and the migration that made addresses unique over old data.</summary>
public sealed class AccountSettingsAndMigrationTests : IDisposable
{
    private readonly TestData _data = new();
    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task With_sign_up_closed_the_page_and_the_form_answer_404_and_no_page_offers_sign_up()
    {
        Directory.CreateDirectory(_data.Paths.DataDirectory);
        await File.WriteAllTextAsync(Path.Combine(_data.Paths.DataDirectory, "wharf.json"), """{ "Accounts": { "SignUp": "closed" } }""");
        await using var serve = await InProcessServe.StartAsync(_data);
        using var browser = new WebSession(new Uri(serve.HttpBaseUrl));
        var (status, html) = await browser.GetAsync("/signup");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("Page not found", html);
        Assert.DoesNotContain("href=\"/signup\"", html); // the frame of every page asks the same setting
        var signin = await browser.GetAsync("/signin");
        Assert.DoesNotContain("href=\"/signup\"", signin.Html);
        var posted = await browser.PostFormAsync("/signin", "/signup", ("username", "eve"), ("email", "eve@example.org"), ("password", WebSession.Password));
        Assert.Equal(HttpStatusCode.NotFound, posted.StatusCode);
        await using var db = _data.OpenDatabase();
        Assert.Equal(0, await db.Users.CountAsync());
    }

    [Fact]
    public void Any_other_sign_up_setting_is_a_start_up_error()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([KeyValuePair.Create<string, string?>(SignUpPolicy.Setting, "maybe")]).Build();
        var e = Assert.Throws<WharfException>(() => { SignUpPolicy.Build(configuration); });
        Assert.Equal("Invalid setting 'Accounts:SignUp': 'maybe' is not 'open' or 'closed'.", e.Message);
        Assert.True(SignUpPolicy.Build(null).Open);
    }

    [Fact]
    public async Task An_admin_created_account_is_verified_and_a_second_account_with_its_address_in_another_case_is_refused()
    {
        Assert.Equal(0, (await _data.RunAsync("admin", "user", "create", "alice", "--email", "Alice@Example.org")).ExitCode);
        var refused = await _data.RunAsync("admin", "user", "create", "bob", "--email", "alice@example.ORG");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains(Wharf.Core.Users.UserService.EmailUnavailable, refused.Error);
        await using var db = _data.OpenDatabase();
        var alice = await db.Users.SingleAsync();
        Assert.Equal(("Alice@Example.org", "alice@example.org", true), (alice.Email, alice.LowerEmail, alice.EmailVerified));
    }

    [Fact]
    public async Task The_migration_keeps_old_accounts_that_share_an_address_giving_it_to_the_oldest_and_verifying_only_unshared_ones()
    {
        Directory.CreateDirectory(_data.Paths.DataDirectory);
        await using (var db = _data.OpenDatabase())
        {
            var migrator = db.Database.GetService<IMigrator>();
            var before = db.Database.GetMigrations().Single(m => m.EndsWith("_UserSessions", StringComparison.Ordinal));
            await migrator.MigrateAsync(before);
            var sqlite = !_data.IsPostgres;
            foreach (var (name, email) in new[] { ("ann", "shared@example.org"), ("bob", "SHARED@example.org"), ("cy", "cy@example.org") })
                await db.Database.ExecuteSqlRawAsync(
                    "INSERT INTO users (\"Uuid\", \"Name\", \"LowerName\", \"Email\", \"IsAdmin\", \"CreatedAt\") VALUES ({0}, {1}, {1}, {2}, {3}, {4})",
                    sqlite ? Guid.NewGuid().ToString().ToUpperInvariant() : Guid.NewGuid(), name, email, false,
                    sqlite ? DateTimeOffset.UtcNow.UtcTicks : DateTimeOffset.UtcNow);
            await migrator.MigrateAsync();
        }
        await using (var db = _data.OpenDatabase())
        {
            var users = await db.Users.AsNoTracking().OrderBy(u => u.Id).Select(u => new { u.Name, u.Email, u.LowerEmail, u.EmailVerified }).ToListAsync();
            Assert.Equal(
                new[] { new { Name = "ann", Email = "shared@example.org", LowerEmail = (string?)"shared@example.org", EmailVerified = false },
                 new { Name = "bob", Email = "SHARED@example.org", LowerEmail = (string?)null, EmailVerified = false },
                 new { Name = "cy", Email = "cy@example.org", LowerEmail = (string?)"cy@example.org", EmailVerified = true } },
                users);
        }
    }
}
