using Microsoft.EntityFrameworkCore;
using Npgsql;
using Wharf.Core;
using Wharf.Core.Errors;
using Wharf.Core.Users;
using Wharf.Data;
using Wharf.Data.Stores;

namespace Wharf.Server.Tests;

/// <summary>What each provider must do the same way: migrations that match the model, unique violations, times.</summary>
public sealed class DatabaseProviderTests : IDisposable
{
    private readonly TestData _data = new();
    public void Dispose() => _data.Dispose();

    public static TheoryData<string> Providers => [nameof(DatabaseProvider.Sqlite), nameof(DatabaseProvider.Postgres)];

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task EachProvidersMigrationsMatchTheModel(string provider)
    {
        // Comparing the model with the last migration's snapshot needs no server.
        var target = provider == nameof(DatabaseProvider.Postgres)
            ? DatabaseTarget.Postgres(new NpgsqlConnectionStringBuilder { Host = "localhost", Database = "unused" })
            : DatabaseTarget.Sqlite;
        await using var db = WharfDatabase.Open(target, _data.Paths);
        Assert.False(db.Database.HasPendingModelChanges(),
            $"The {provider} migrations do not match the model: dotnet ef migrations add NAME --project src/Wharf.Data " +
            $"--context {provider}WharfDbContext --output-dir Migrations/{provider}");
        Assert.NotEmpty(db.Database.GetMigrations());
    }

    [Fact]
    public async Task TheUniqueIndexTurnsASecondUserOfTheSameNameIntoAlreadyExists()
    {
        // Past the service's own check, as when two nodes create the same name at once: the index decides.
        Assert.Equal(0, (await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org")).ExitCode);
        await using var db = _data.OpenDatabase();
        var store = new EfUserStore(db);
        var e = await Assert.ThrowsAsync<WharfException>(() => store.AddAsync(
            new User { Name = "ALICE", LowerName = Names.Lower("ALICE"), Email = "other@example.org", Uuid = Guid.NewGuid() }, CancellationToken.None));
        Assert.Equal((ErrorCategory.AlreadyExists, "User 'ALICE' already exists."), (e.Category, e.Message));
        Assert.Equal(1, await db.Users.CountAsync());
    }

    [Fact]
    public async Task APointInTimeWithAnOffsetIsStoredAsTheSameInstantAndOrdersCorrectly()
    {
        Assert.Equal(0, (await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org")).ExitCode);
        var later = new DateTimeOffset(2099, 1, 31, 12, 0, 0, TimeSpan.FromHours(2));   // 10:00 UTC
        var earlier = new DateTimeOffset(2099, 1, 31, 10, 30, 0, TimeSpan.FromHours(5)); // 05:30 UTC
        await using (var db = _data.OpenDatabase())
        {
            var alice = await db.Users.SingleAsync();
            db.ApiTokens.AddRange(
                new Core.Tokens.ApiToken { UserId = alice.Id, Name = "later", TokenHash = new string('a', 64), CreatedAt = later },
                new Core.Tokens.ApiToken { UserId = alice.Id, Name = "earlier", TokenHash = new string('b', 64), CreatedAt = earlier });
            await db.SaveChangesAsync();
        }
        await using var read = _data.OpenDatabase();
        var byTime = await read.ApiTokens.OrderBy(t => t.CreatedAt).Select(t => new { t.Name, t.CreatedAt }).ToListAsync();
        Assert.Equal(["earlier", "later"], byTime.Select(t => t.Name));
        Assert.Equal([earlier.ToUniversalTime(), later.ToUniversalTime()], byTime.Select(t => t.CreatedAt));
        Assert.All(byTime, t => Assert.Equal(TimeSpan.Zero, t.CreatedAt.Offset));
        var cut = new DateTimeOffset(2099, 1, 31, 9, 0, 0, TimeSpan.FromHours(-1)); // 10:00 UTC
        Assert.Equal(["later"], await read.ApiTokens.Where(t => t.CreatedAt >= cut).Select(t => t.Name).ToListAsync());
    }
}
