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
        Assert.Equal(0, r.ExitCode);
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
        Assert.Equal("wharf: missing --email EMAIL.\nusage: wharf admin user create NAME --email EMAIL [--admin] [--data DIR] [--database URL]\n", r.Error);
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
}
