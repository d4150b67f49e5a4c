using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wharf.Server.Operations;

namespace Wharf.Server.Tests;

/// <summary>
/// When `wharf serve` gives back the memory a busy period left committed (bench/soak.sh found a server at rest after
/// 1,000 held sessions and 20 logins a second holding twice a fresh server's memory, with about 10 MB alive).
/// </summary>
public sealed class MemoryTrimPolicyTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public void Trims_once_when_a_burst_is_followed_by_a_quiet_interval()
    {
        var policy = new MemoryTrimPolicy();
        var total = 100 * MiB; // what start-up allocated
        Assert.False(policy.Check(total)); // busy, and not yet a burst
        total += 300 * MiB; // a burst of logins
        Assert.False(policy.Check(total)); // still busy: never interrupted
        total += 2 * MiB; // quiet
        Assert.True(policy.Check(total));
        // Still quiet, but nothing new to give back: no second full collection, however long the rest.
        for (var i = 0; i < 100; i++)
        {
            total += 2 * MiB;
            Assert.False(policy.Check(total));
        }
    }

    [Fact]
    public void Never_trims_a_server_that_stays_busy()
    {
        var policy = new MemoryTrimPolicy();
        long total = 0;
        policy.Check(total);
        for (var i = 0; i < 100; i++)
        {
            total += MemoryTrimPolicy.QuietBytes; // 16 MiB per interval is busy
            Assert.False(policy.Check(total));
        }
    }

    [Fact]
    public void A_burst_in_the_first_interval_is_trimmed_once_quiet()
    {
        // 1,000 connections opened within 30 s of start, then nothing: the first check sees them all.
        var policy = new MemoryTrimPolicy();
        var total = 400 * MiB;
        Assert.False(policy.Check(total));
        Assert.True(policy.Check(total += MiB));
    }

    [Fact]
    public void Small_allocations_add_up_to_a_burst()
    {
        var policy = new MemoryTrimPolicy();
        var total = 6 * MiB; // a quiet start
        Assert.False(policy.Check(total));
        var checks = 0;
        while (!policy.Check(total += 10 * MiB)) checks++; // held idle connections: a little, all the time
        Assert.Equal(24, checks); // the 25th check brings 256 MiB, a burst's worth
        // A second burst after the first trim is trimmed again once quiet.
        Assert.False(policy.Check(total += 300 * MiB));
        Assert.True(policy.Check(total + MiB));
    }

    [Fact]
    public async Task Serve_runs_the_memory_trimmer()
    {
        using var data = new TestData();
        await using var serve = await InProcessServe.StartAsync(data);
        Assert.Single(serve.Services.GetServices<IHostedService>().OfType<MemoryTrimmer>());
    }
}
