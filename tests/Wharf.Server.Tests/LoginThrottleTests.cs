using Wharf.Server.Web.Accounts;

namespace Wharf.Server.Tests;

/// <summary>The sign-in throttle on a manual clock: the limit, the window, and the bound on its memory.</summary>
public sealed class LoginThrottleTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void Blocks_a_user_name_from_the_address_that_failed_and_forgets_after_the_window()
    {
        var time = new ManualTime();
        var throttle = new LoginThrottle(time);
        for (var i = 0; i < LoginThrottle.MaxFailures - 1; i++) throttle.Fail("alice", "192.0.2.1");
        Assert.False(throttle.IsBlocked("alice", "192.0.2.1"));
        throttle.Fail("alice", "192.0.2.1");
        Assert.True(throttle.IsBlocked("alice", "192.0.2.1"));
        // Failures from one address never refuse the account from another, nor another name from the same address.
        Assert.False(throttle.IsBlocked("alice", "192.0.2.9"));
        Assert.False(throttle.IsBlocked("bob", "192.0.2.1"));
        time.Now += LoginThrottle.Window + TimeSpan.FromSeconds(1);
        Assert.False(throttle.IsBlocked("alice", "192.0.2.1"));
    }

    [Fact]
    public void An_address_trying_many_user_names_is_blocked_for_all_of_them_and_no_other_address_is()
    {
        var throttle = new LoginThrottle(new ManualTime());
        for (var i = 0; i < LoginThrottle.MaxFailuresPerAddress - 1; i++) throttle.Fail($"user{i}", "192.0.2.1");
        Assert.False(throttle.IsBlocked("alice", "192.0.2.1"));
        throttle.Fail("zed", "192.0.2.1");
        Assert.True(throttle.IsBlocked("alice", "192.0.2.1"));
        Assert.False(throttle.IsBlocked("alice", "192.0.2.2"));
    }

    [Fact]
    public void A_success_clears_the_user_name_from_that_address_but_not_the_address()
    {
        var throttle = new LoginThrottle(new ManualTime());
        for (var i = 0; i < LoginThrottle.MaxFailures; i++) throttle.Fail("alice", "192.0.2.1");
        for (var i = 0; i < LoginThrottle.MaxFailuresPerAddress - 1; i++) throttle.Fail($"user{i}", "192.0.2.2");
        throttle.Succeed("alice", "192.0.2.1");
        Assert.False(throttle.IsBlocked("alice", "192.0.2.1"));
        throttle.Fail("alice", "192.0.2.2");
        throttle.Succeed("alice", "192.0.2.2");
        // 192.0.2.2 keeps its failures (20 with alice's): it stays blocked.
        Assert.True(throttle.IsBlocked("alice", "192.0.2.2"));
    }

    [Fact]
    public void Spraying_addresses_at_one_account_keeps_memory_bounded_and_never_blocks_a_new_address()
    {
        var time = new ManualTime();
        var throttle = new LoginThrottle(time, capacity: 100);
        // 10,000 guesses at alice's password, each from a new address, all within one window.
        for (var i = 0; i < 10_000; i++)
        {
            throttle.Fail("alice", $"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}");
            if (i % 100 == 0) time.Now += TimeSpan.FromMilliseconds(1);
        }

        Assert.Equal((100, 100), throttle.Tracked);
        Assert.False(throttle.IsBlocked("alice", "203.0.113.1"));
    }

    [Fact]
    public void Spraying_user_names_and_addresses_keeps_both_bounded()
    {
        var time = new ManualTime();
        var throttle = new LoginThrottle(time, capacity: 100);
        for (var i = 0; i < 10_000; i++) throttle.Fail($"user{i}", $"10.0.{i >> 8 & 255}.{i & 255}");
        Assert.Equal((100, 100), throttle.Tracked);
    }

    [Fact]
    public void Keys_whose_window_has_passed_are_dropped_before_any_key_in_its_window_is_evicted()
    {
        var time = new ManualTime();
        var throttle = new LoginThrottle(time, capacity: 3);
        throttle.Fail("old1", "192.0.2.1");
        throttle.Fail("old2", "192.0.2.1");
        time.Now += LoginThrottle.Window + TimeSpan.FromSeconds(1);
        for (var i = 0; i < LoginThrottle.MaxFailures; i++) throttle.Fail("alice", "192.0.2.2");

        // old1 and old2 (and 192.0.2.1) have expired and went; alice from 192.0.2.2 is kept with all her failures.
        Assert.Equal((1, 1), throttle.Tracked);
        Assert.True(throttle.IsBlocked("alice", "192.0.2.2"));
    }

    [Fact]
    public void When_full_of_keys_in_their_window_the_least_recently_failing_is_evicted()
    {
        var time = new ManualTime();
        var throttle = new LoginThrottle(time, capacity: 3);
        for (var i = 0; i < LoginThrottle.MaxFailures; i++) throttle.Fail("alice", "192.0.2.1");
        time.Now += TimeSpan.FromSeconds(1);
        throttle.Fail("bob", "192.0.2.1");
        throttle.Fail("carol", "192.0.2.1");
        Assert.True(throttle.IsBlocked("alice", "192.0.2.1"));

        throttle.Fail("dave", "192.0.2.1");

        Assert.Equal((3, 1), throttle.Tracked);
        Assert.False(throttle.IsBlocked("alice", "192.0.2.1"));
    }
}
