using Microsoft.EntityFrameworkCore;

namespace Wharf.Server.Tests;

public sealed class UserCommandTests : IDisposable
{
    private readonly TestData _data = new();
    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task UserCreatePrintsTheNameAndExitsZero()
    {
        var r = await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org");
        Assert.Equal((0, "Created user alice.\n", ""), (r.ExitCode, r.Out, r.Error));
        Assert.Equal(1, await _data.CountAsync(db => db.Users));
    }

    [Fact]
    public async Task EmailMayBeGivenWithAnEqualsSign()
    {
        var r = await _data.RunAsync("admin", "user", "create", "alice", "--email=alice@example.org");
        Assert.Equal((0, "Created user alice.\n", ""), (r.ExitCode, r.Out, r.Error));
        await using var db = _data.OpenDatabase();
        var user = await db.Users.SingleAsync();
        Assert.Equal(("alice", "alice@example.org"), (user.Name, user.Email));
    }

    [Fact]
    public async Task DuplicateUserNameInAnyCaseIsRefusedWithExitCode4AndNothingStored()
    {
        await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org");
        var r = await _data.RunAsync("admin", "user", "create", "Alice", "--email", "other@example.org");
        Assert.Equal((4, "", "wharf: User 'Alice' already exists.\n"), (r.ExitCode, r.Out, r.Error));
        Assert.Equal(1, await _data.CountAsync(db => db.Users));
    }

    [Fact]
    public async Task MissingEmailPrintsUsageAndExits2()
    {
        var r = await _data.RunAsync("admin", "user", "create", "alice");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("wharf: missing --email EMAIL.\nusage: wharf admin user create NAME --email EMAIL [--admin] [--password-stdin] [--data DIR] [--database URL]\n", r.Error);
    }

    [Theory]
    [InlineData("-rf")]
    [InlineData("a b")]
    [InlineData("..")]
    [InlineData("alice/bob")]
    [InlineData("alice.git")]
    [InlineData("a;rm")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 41 characters
    public async Task InvalidUserNamesAreRefusedWithExitCode2AndNothingStored(string name)
    {
        var r = await _data.RunAsync("admin", "user", "create", "--email", "x@example.org", "--", name);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith($"wharf: Invalid user name '{name}': use 1 to 40 letters, digits", r.Error);
        Assert.Equal(0, await _data.CountAsync(db => db.Users));
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("alice@")]
    [InlineData("a@b@c")]
    [InlineData("al ice@example.org")]
    public async Task InvalidEmailIsRefusedWithExitCode2(string email)
    {
        var r = await _data.RunAsync("admin", "user", "create", "alice", "--email", email);
        Assert.Equal((2, $"wharf: Invalid email address '{email}': expected something like 'name@example.org'.\n"), (r.ExitCode, r.Error));
        Assert.Equal(0, await _data.CountAsync(db => db.Users));
    }

    [Fact]
    public async Task DatabaseRunsInWalModeSoTheServerAndAdminCommandsShareIt()
    {
        // A property of the SQLite file, so on SQLite in both test runs.
        await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org", "--database", "sqlite");
        await using var db = Wharf.Data.WharfDatabase.OpenSqlite(_data.Paths);
        await db.Database.OpenConnectionAsync();
        using var cmd = db.Database.GetDbConnection().CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string?)await cmd.ExecuteScalarAsync());
    }

    [Theory]
    [InlineData("short\n", "wharf: The password must have 8 to 1024 characters.\n")]
    [InlineData("", "wharf: No new password on standard input: pipe it in on one line, e.g. from a password manager.\n")]
    [InlineData("\n", "wharf: No new password on standard input: pipe it in on one line, e.g. from a password manager.\n")]
    [InlineData("first line is long\nsecond line\n", "wharf: The new password must be one line; standard input has more than one.\n")]
    public async Task A_refused_password_exits_2_with_its_message_and_stores_nothing(string stdin, string error)
    {
        await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org");

        var r = await _data.PipeAsync(stdin, "admin", "user", "password", "alice");

        Assert.Equal((2, "", error), (r.ExitCode, r.Out, r.Error));
        await using var db = _data.OpenDatabase();
        Assert.Null((await db.Users.SingleAsync()).PasswordHash);
    }

    [Fact]
    public async Task A_password_for_a_user_who_does_not_exist_exits_3()
    {
        var r = await _data.PipeAsync("long enough password\n", "admin", "user", "password", "nobody");
        Assert.Equal((3, "", "wharf: User 'nobody' does not exist.\n"), (r.ExitCode, r.Out, r.Error));
    }

    [Fact]
    public async Task The_password_is_stored_as_an_identity_hash_and_never_printed()
    {
        // Typed into a Windows editor and piped: the "\r\n" ending is not part of the password.
        const string password = "correct horse battery staple";
        await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org");

        var r = await _data.PipeAsync(password + "\r\n", "admin", "user", "password", "alice");

        Assert.Equal((0, "Password set for alice. They can sign in on the web now.\n", ""), (r.ExitCode, r.Out, r.Error));
        await using var db = _data.OpenDatabase();
        var user = await db.Users.SingleAsync();
        Assert.DoesNotContain(password, user.PasswordHash);
        var hasher = new Microsoft.AspNetCore.Identity.PasswordHasher<Wharf.Core.Users.User>();
        Assert.Equal(Microsoft.AspNetCore.Identity.PasswordVerificationResult.Success, hasher.VerifyHashedPassword(user, user.PasswordHash!, password));
        Assert.Equal(Microsoft.AspNetCore.Identity.PasswordVerificationResult.Failed, hasher.VerifyHashedPassword(user, user.PasswordHash!, password + "\r"));
    }

    [Fact]
    public async Task Create_with_password_stdin_refuses_a_short_password_and_creates_nobody()
    {
        var r = await _data.PipeAsync("short\n", "admin", "user", "create", "alice", "--email", "alice@example.org", "--password-stdin");
        Assert.Equal((2, "", "wharf: The password must have 8 to 1024 characters.\n"), (r.ExitCode, r.Out, r.Error));
        Assert.Equal(0, await _data.CountAsync(db => db.Users));
    }
}
