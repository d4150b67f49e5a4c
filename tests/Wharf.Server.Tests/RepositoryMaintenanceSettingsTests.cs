using Microsoft.Extensions.Configuration;
using Wharf.Core.Errors;
using Wharf.Server.Maintenance;

namespace Wharf.Server.Tests;

/// <summary>Maintenance settings (documented defaults, clear refusals) and the stale rule of the repository lock files.</summary>
public sealed class RepositoryMaintenanceSettingsTests : IDisposable
{
    private readonly string _repository = Directory.CreateTempSubdirectory("wharf-maintenance-lock-").FullName;
    public void Dispose() => Directory.Delete(_repository, recursive: true);

    private static MaintenanceSettings Build(params (string Key, string Value)[] settings) =>
        MaintenanceSettings.Build(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());

    [Fact]
    public void Defaults_are_the_documented_ones_and_values_are_read()
    {
        var d = Build();
        Assert.Equal((true, TimeSpan.FromMinutes(1), 50, 100, 10, 1, TimeSpan.FromMinutes(10), 64),
            (d.Enabled, d.Delay, d.Pushes, d.LooseObjects, d.Packs, d.Concurrency, d.LockStaleAfter, d.FullRepackMiB));
        Assert.Equal(0, Build(("Maintenance:FullRepackMiB", "0")).FullRepackMiB);
        var s = Build(("Maintenance:Enabled", "false"), ("Maintenance:Delay", "00:00:05"), ("Maintenance:Pushes", "7"),
            ("Maintenance:LooseObjects", "6700"), ("Maintenance:Packs", "50"), ("Maintenance:Concurrency", "2"), ("Maintenance:LockStaleAfter", "01:00:00"));
        Assert.Equal((false, TimeSpan.FromSeconds(5), 7, 6700, 50, 2, TimeSpan.FromHours(1)),
            (s.Enabled, s.Delay, s.Pushes, s.LooseObjects, s.Packs, s.Concurrency, s.LockStaleAfter));
    }

    [Theory]
    [InlineData("Maintenance:Concurency", "1", "Unknown maintenance setting 'Maintenance:Concurency'. Known settings: Concurrency, Delay, Enabled, FullRepackMiB, LockStaleAfter, LooseObjects, Packs, Pushes.")]
    [InlineData("Maintenance:Enabled", "yes", "Maintenance: Enabled must be true or false.")]
    [InlineData("Maintenance:Delay", "soon", "Maintenance: Delay must be a duration such as 00:01:00.")]
    [InlineData("Maintenance:Delay", "-00:00:01", "Maintenance: Delay must be between 00:00:00 and 1 day.")]
    [InlineData("Maintenance:Concurrency", "0", "Maintenance: Concurrency must be a whole number from 1 to 64.")]
    [InlineData("Maintenance:LooseObjects", "-5", "Maintenance: LooseObjects must be a whole number from 1 to 1000000000.")]
    [InlineData("Maintenance:LockStaleAfter", "00:00:01", "Maintenance: LockStaleAfter must be between 10 seconds and 1 day.")]
    public void A_bad_value_is_refused_with_a_clear_message(string key, string value, string message)
    {
        var e = Assert.Throws<WharfException>(() => Build((key, value)));
        Assert.Equal((ErrorCategory.InvalidArgument, message), (e.Category, e.Message));
    }

    [Fact]
    public async Task A_live_push_marker_or_lock_keeps_maintenance_out_and_stale_ones_are_removed()
    {
        var locks = new RepositoryLocks(new MaintenanceSettings(), TimeProvider.System);
        var pushes = Directory.CreateDirectory(RepositoryLocks.PushDirectory(_repository)).FullName;
        var marker = Path.Combine(pushes, "other-node-1-x");
        await File.WriteAllTextAsync(marker, "host other-node pid 1\n");

        Assert.Null(locks.TryEnterMaintenance(_repository, out var busy));
        Assert.Equal("a push to it is running", busy);
        Assert.False(File.Exists(RepositoryLocks.LockPath(_repository)), "the lock was kept after giving up");

        // The pushing process died 11 minutes ago (LockStaleAfter is 10): its marker no longer counts and is cleared.
        File.SetLastWriteTimeUtc(marker, DateTime.UtcNow.AddMinutes(-11));
        var held = locks.TryEnterMaintenance(_repository, out busy);
        Assert.NotNull(held);
        Assert.Null(busy);
        Assert.False(File.Exists(marker));
        Assert.True(File.Exists(RepositoryLocks.LockPath(_repository)));

        // While held, a second taker (another node) is refused; released, the file is gone.
        Assert.Null(locks.TryEnterMaintenance(_repository, out busy));
        Assert.Equal("another maintenance run holds wharf-maintenance.lock", busy);
        await held.DisposeAsync();
        Assert.False(File.Exists(RepositoryLocks.LockPath(_repository)));

        // A lock left by a dead maintenance run is taken over; a push does not wait for it either.
        await File.WriteAllTextAsync(RepositoryLocks.LockPath(_repository), "host gone pid 2\n");
        File.SetLastWriteTimeUtc(RepositoryLocks.LockPath(_repository), DateTime.UtcNow.AddMinutes(-11));
        await using (await locks.EnterPushAsync(_repository, CancellationToken.None))
            Assert.Single(Directory.GetFiles(pushes));
        Assert.Empty(Directory.GetFiles(pushes));
        var taken = locks.TryEnterMaintenance(_repository, out busy);
        Assert.NotNull(taken);
        await taken.DisposeAsync();
    }
}
