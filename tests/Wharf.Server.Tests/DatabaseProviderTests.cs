using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
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

    [Fact]
    public async Task RepositoriesMadeBeforeScmAndVisibilityComeThroughTheUpgradeAsPrivateGitRepositoriesWithTheirOwnUuid()
    {
        _data.Paths.EnsureCreated();
        await using (var old = _data.OpenDatabase())
        {
            var before = old.Database.GetMigrations().TakeWhile(m => !m.EndsWith("_RepositoriesGrantsAccessKeys", StringComparison.Ordinal)).Last();
            await old.GetService<IMigrator>().MigrateAsync(before);
            // Values as each provider stores them: SQLite keeps times as UTC ticks and Guids as upper-case text.
            object now = _data.IsPostgres ? DateTimeOffset.UtcNow : DateTimeOffset.UtcNow.UtcTicks;
            object uuid = _data.IsPostgres ? Guid.NewGuid() : Guid.NewGuid().ToString().ToUpperInvariant();
            await old.Database.ExecuteSqlAsync(
                $"INSERT INTO users (\"Uuid\", \"Name\", \"LowerName\", \"Email\", \"IsAdmin\", \"CreatedAt\") VALUES ({uuid}, 'alice', 'alice', 'alice@example.org', {false}, {now})");
            foreach (var name in new[] { "one", "two" })
                await old.Database.ExecuteSqlAsync(
                    $"INSERT INTO repositories (\"OwnerId\", \"Name\", \"LowerName\", \"Path\", \"CreatedAt\") SELECT \"Id\", {name}, {name}, {"/srv/" + name + ".git"}, {now} FROM users");
        }

        Assert.Equal(0, (await _data.RunAsync("admin", "user", "create", "bob", "--email", "bob@example.org")).ExitCode);

        await using var db = _data.OpenDatabase();
        var repositories = await db.Repositories.OrderBy(r => r.Name).ToListAsync();
        Assert.Equal(["one", "two"], repositories.Select(r => r.Name));
        Assert.All(repositories, r => Assert.Equal((Wharf.Core.Repositories.Scm.Git, true), (r.Scm, r.IsPrivate)));
        Assert.DoesNotContain(Guid.Empty, repositories.Select(r => r.Uuid));
        Assert.NotEqual(repositories[0].Uuid, repositories[1].Uuid);
    }
}
