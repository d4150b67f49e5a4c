using Wharf.Server.Ssh;

namespace Wharf.Server.Tests;

/// <summary>
/// Which connections one revocation sweep may close. bench/soak.sh found good logins disconnected with "This key is no
/// longer registered on Wharf." (3 of 3,555 at 20 logins a second): the sweep looked up the keys of the connections
/// logged in when it started, then judged every connection logged in when its queries had returned, so one that had
/// logged in meanwhile with a key not among the results read as deleted.
/// </summary>
public sealed class RevocationSweepRaceTests
{
    private static readonly WharfPrincipal Alice = new(1, "alice", keyId: 10, keyFingerprint: "SHA256:alice");
    private static readonly WharfPrincipal Bob = new(2, "bob", keyId: 20, keyFingerprint: "SHA256:bob");

    // What the sweep's lookups say when they included Alice's key only: any other key is missing from the results.
    private static KeyVerdict Judge(WharfIdentity identity) =>
        identity == Alice ? new KeyVerdict(identity, null) : KeyVerdict.Refused(KeyStanding.NotRegistered);

    [Fact]
    public void A_connection_that_logged_in_while_the_sweep_read_the_database_is_kept()
    {
        var lookedUp = new HashSet<WharfIdentity> { Alice };
        Assert.Null(RevocationSweeper.ReasonToClose(Bob, lookedUp, Judge));
        Assert.Null(RevocationSweeper.ReasonToClose(Alice, lookedUp, Judge));
    }

    [Fact]
    public void A_looked_up_connection_whose_key_was_deleted_is_closed_with_the_reason()
    {
        var lookedUp = new HashSet<WharfIdentity> { Alice, Bob };
        Assert.Equal("This key is no longer registered on Wharf.", RevocationSweeper.ReasonToClose(Bob, lookedUp, Judge));
    }
}
