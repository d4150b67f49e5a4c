using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Wharf.Core;
using Wharf.Data;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>What the revocation tests share: making an account with a seeded repository, reading refs on disk, removing keys.</summary>
internal static class Revocation
{
    /// <summary>The server's answer to a command whose key was deleted (or its account) since the connection logged in.</summary>
    public const string NotRegistered = "wharf: this key is no longer registered on Wharf.";

    /// <summary>How long a revoked key's connections may live on: the documented bound (docs/OPERATIONS.md).</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static int counter;

    public static string Unique(string name) => $"{name}{Interlocked.Increment(ref counter)}";

    /// <summary>Every ref of the repository as git on the server sees it, read from the data directory.</summary>
    public static async Task<string> RefsOnDiskAsync(WharfServer server, string repository)
    {
        var path = new WharfPaths(server.DataDirectory).Repository(repository.Split('/')[0], repository.Split('/')[1]);
        var run = await ProcessRunner.RunAsync(Tools.Git, ["--git-dir", path, "for-each-ref", "--format=%(objectname) %(refname)"]);
        Expect.Succeeded(run, server, "git for-each-ref on the server's copy");
        return run.Stdout;
    }

    /// <summary>A checkout of REPOSITORY with one new commit on top, ready to push.</summary>
    public static async Task<string> CheckoutWithNewCommitAsync(WharfServer server, TestUser user, string repository)
    {
        var parent = server.NewDirectory("revoked");
        Expect.Succeeded(await server.GitAsync(user, parent, ["clone", "-q", server.Url(repository), "checkout"]), server, "git clone before the key is revoked");
        var checkout = Path.Combine(parent, "checkout");
        await Workspace.WriteFileAsync(checkout, "after.txt", "pushed after the key was revoked\n");
        await Workspace.CommitAllAsync(server, user, checkout, "After revocation");
        return checkout;
    }

    public static Task RemoveKeyAsync(WharfServer server, TestUser user, SshKey key) =>
        server.WharfOrThrowAsync(["admin", "key", "remove", user.Name, "--label", $"laptop-{key.Type}"]);

    /// <summary>Moves the key's expiry into the past, as the passing of time would (no front end accepts a past date).</summary>
    public static async Task ExpireAsync(WharfServer server, SshKey key, DateTimeOffset expiresAt)
    {
        await using var db = WharfDatabase.OpenSqlite(new WharfPaths(server.DataDirectory));
        var changed = await db.SshKeys.Where(k => k.Fingerprint == key.Fingerprint).ExecuteUpdateAsync(s => s.SetProperty(k => k.ExpiresAt, expiresAt));
        Assert.Equal(1, changed);
    }

    /// <summary>Adds KEY to REPOSITORY as a read-only access key and returns its id on the repository (the API's key_id).</summary>
    public static async Task<string> AddAccessKeyAsync(WharfServer server, string repository, SshKey key)
    {
        var added = await server.WharfOrThrowAsync(["admin", "repo", "access-key", "add", repository, "--label", "ci"], key.PublicKeyLine + "\n");
        return added.Stdout.Split('\t')[0];
    }

    /// <summary>Removes an access key from a repository through the API, as its owner would.</summary>
    public static async Task RemoveAccessKeyAsync(WharfServer server, TestUser owner, string repository, string keyId)
    {
        var token = (await server.WharfOrThrowAsync(["admin", "token", "create", owner.Name])).Stdout.TrimEnd('\n').Split('\n')[^1];
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var deleted = await http.DeleteAsync(new Uri(server.HttpAddress, $"/2.0/repositories/{repository}/deploy-keys/{keyId}"));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }
}

/// <summary>A server whose periodic re-check of live connections is an hour away, so only the check before each command can refuse.</summary>
public sealed class NoSweepServer : WharfServer
{
    protected override IReadOnlyDictionary<string, string?> ServerEnvironment { get; } =
        new Dictionary<string, string?> { ["WHARF_Ssh__RevocationCheckInterval"] = "01:00:00" };
}

/// <summary>
/// Issue 10 point 3, the check before every command: a key deleted or expired (or an access key removed) while an
/// OpenSSH ControlMaster connection stays logged in can no longer push or clone through that connection.
/// </summary>
public sealed class RevokedKeyOnOpenConnectionTests(NoSweepServer server) : IClassFixture<NoSweepServer>
{
    private async Task ExpectRefusedThroughMasterAsync(TestUser user, SshKey key, ControlMaster master, string repository, string checkout, string expected)
    {
        var before = await Revocation.RefsOnDiskAsync(server, repository);

        var push = await server.GitAsync(user, checkout, ["push", "origin", "HEAD:refs/heads/main"], key, extraSshOptions: master.ThroughMaster);
        Expect.Failed(push, server, "git push through the master connection after the key was revoked");
        Expect.StderrContains(expected, push, server, "git push through the master connection after the key was revoked");

        var parent = server.NewDirectory("clone-after");
        var clone = await server.GitAsync(user, parent, ["clone", server.Url(repository), "checkout"], key, extraSshOptions: master.ThroughMaster);
        Expect.Failed(clone, server, "git clone through the master connection after the key was revoked");
        Expect.StderrContains(expected, clone, server, "git clone through the master connection after the key was revoked");
        Expect.That(!Directory.Exists(Path.Combine(parent, "checkout")), "a refused clone must leave no checkout", clone, server);

        // The refusals came through the master (a fresh connection would not log in at all): it is still up.
        Expect.Succeeded(await master.CheckAsync(), server, "ssh -O check: the master connection is still open (no periodic check in this class)");
        Assert.Equal(before, await Revocation.RefsOnDiskAsync(server, repository));
    }

    /// <summary>A new account with a seeded repository, a checkout with a commit to push, and a master connection of its key.</summary>
    private async Task<(TestUser User, string Repository, string Checkout, ControlMaster Master)> ConnectedWithAPushReadyAsync(string name)
    {
        var user = await server.CreateUserAsync(Revocation.Unique(name), "ed25519");
        var repository = await server.CreateRepositoryAsync(user, "app");
        await Workspace.SeedAsync(server, user, repository);
        var checkout = await Revocation.CheckoutWithNewCommitAsync(server, user, repository);
        return (user, repository, checkout, await ControlMaster.OpenAsync(server, user.Key));
    }

    [Fact]
    public async Task ADeletedKeyCanNeitherPushNorCloneThroughAnOpenMasterConnectionAndTheRefsStayUnchanged()
    {
        var (carol, repository, checkout, master) = await ConnectedWithAPushReadyAsync("carol");
        await using var _ = master;

        await Revocation.RemoveKeyAsync(server, carol, carol.Key);

        await ExpectRefusedThroughMasterAsync(carol, carol.Key, master, repository, checkout, Revocation.NotRegistered);
    }

    [Fact]
    public async Task AKeyThatExpiredWhileConnectedCanNeitherPushNorCloneThroughTheMasterAndIsToldWhy()
    {
        var (dave, repository, checkout, master) = await ConnectedWithAPushReadyAsync("dave");
        await using var _ = master;

        var expiresAt = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(-1), TimeSpan.Zero);
        await Revocation.ExpireAsync(server, dave.Key, expiresAt);

        await ExpectRefusedThroughMasterAsync(dave, dave.Key, master, repository, checkout,
            $"wharf: Your SSH key 'laptop-ed25519' ({dave.Key.Fingerprint}) expired on {expiresAt:yyyy-MM-dd}. Add a new key at {server.HttpBaseUrl}/account/ssh-keys");
    }

    [Fact]
    public async Task DeletingAKeyThroughTheApiClosesItsConnectionOnThatNodeAtOnceWithoutWaitingForTheInterval()
    {
        var mona = await server.CreateUserAsync(Revocation.Unique("mona"));
        var token = (await server.WharfOrThrowAsync(["admin", "token", "create", mona.Name])).Stdout.TrimEnd('\n').Split('\n')[^1];
        var key = await SshKey.GenerateAsync(server.KeysDirectory, Revocation.Unique("mona_key"), "ed25519");
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var added = await http.PostAsJsonAsync(new Uri(server.HttpAddress, $"/2.0/users/{mona.Name}/ssh-keys"), new { key = key.PublicKeyLine, label = "laptop" });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var uuid = JsonDocument.Parse(await added.Content.ReadAsStringAsync()).RootElement.GetProperty("uuid").GetString()!;
        await using var master = await ControlMaster.OpenAsync(server, key);

        var deleted = await http.DeleteAsync(new Uri(server.HttpAddress, $"/2.0/users/{mona.Name}/ssh-keys/{Uri.EscapeDataString(uuid)}"));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        // The periodic check is an hour away in this class: only the node's own wake-up after the request closes it.
        var check = await master.WaitUntilClosedAsync(Revocation.Bound);
        Expect.ExitCode(255, check, server, "ssh -O check: the master of a key deleted through this node's API must close at once");
    }

    [Fact]
    public async Task ARemovedAccessKeyCanNoLongerCloneThroughAnOpenMasterConnection()
    {
        var erin = await server.CreateUserAsync(Revocation.Unique("erin"), "ed25519");
        var repository = await server.CreateRepositoryAsync(erin, "deployed");
        await Workspace.SeedAsync(server, erin, repository);
        var deployKey = await SshKey.GenerateAsync(server.KeysDirectory, Revocation.Unique("deploy"), "ed25519");
        var keyId = await Revocation.AddAccessKeyAsync(server, repository, deployKey);
        await using var master = await ControlMaster.OpenAsync(server, deployKey);
        var parent = server.NewDirectory("deploy-before");
        Expect.Succeeded(await server.GitAsync(erin, parent, ["clone", "-q", server.Url(repository), "checkout"], deployKey, extraSshOptions: master.ThroughMaster),
            server, "git clone with the access key through the master, before removal");

        // Removed as another node would, in the shared database: this node's own API would also wake its periodic
        // check at once, and this class keeps that check away to show the one before each command.
        await using (var db = WharfDatabase.OpenSqlite(new WharfPaths(server.DataDirectory)))
        {
            var id = long.Parse(keyId, CultureInfo.InvariantCulture);
            var material = await db.RepositoryAccessKeys.Where(l => l.Id == id).Select(l => l.AccessKeyId).SingleAsync();
            Assert.Equal(1, await db.RepositoryAccessKeys.Where(l => l.Id == id).ExecuteDeleteAsync());
            Assert.Equal(1, await db.AccessKeys.Where(k => k.Id == material).ExecuteDeleteAsync());
        }

        var after = server.NewDirectory("deploy-after");
        var clone = await server.GitAsync(erin, after, ["clone", server.Url(repository), "checkout"], deployKey, extraSshOptions: master.ThroughMaster);
        Expect.Failed(clone, server, "git clone with the removed access key through the master");
        Expect.StderrContains(Revocation.NotRegistered, clone, server, "git clone with the removed access key through the master");
        Expect.That(!Directory.Exists(Path.Combine(after, "checkout")), "a refused clone must leave no checkout", clone, server);
        Expect.Succeeded(await master.CheckAsync(), server, "ssh -O check: the refusal came through the master");
    }
}

/// <summary>
/// Issue 10 point 3, the periodic re-check (Ssh:RevocationCheckInterval, 5 s by default): a revoked key's live
/// connections are closed within the documented bound of 10 s, with a DISCONNECT that says why, and a command whose
/// grant was removed is ended; connections whose key is still good stay open.
/// </summary>
public sealed class RevocationClosesConnectionsTests(WharfServer server) : IClassFixture<WharfServer>
{
    private async Task ExpectClosedWithinTheBoundAsync(ControlMaster master, string whose)
    {
        var check = await master.WaitUntilClosedAsync(Revocation.Bound);
        Expect.ExitCode(255, check, server, $"ssh -O check: {whose} master connection must be closed within {Revocation.Bound.TotalSeconds} s");
    }

    [Fact]
    public async Task DeletingAKeyClosesItsMasterConnectionWithinTheBoundAndLeavesTheOwnersOtherKeyConnected()
    {
        var frank = await server.CreateUserAsync(Revocation.Unique("frank"), "ed25519", "ecdsa");
        await using var revoked = await ControlMaster.OpenAsync(server, frank.KeyOfType("ed25519"));
        await using var kept = await ControlMaster.OpenAsync(server, frank.KeyOfType("ecdsa"));

        await Revocation.RemoveKeyAsync(server, frank, frank.KeyOfType("ed25519"));

        await ExpectClosedWithinTheBoundAsync(revoked, "the deleted key's");
        Expect.Succeeded(await kept.CheckAsync(), server, "ssh -O check: the connection of frank's other key stays open");
        var greeting = await server.SshAsync(frank.KeyOfType("ecdsa"), [.. kept.ThroughMaster, "-T"]);
        Expect.Succeeded(greeting, server, "ssh -T through the other key's master");
    }

    [Fact]
    public async Task AKeyExpiringWhileConnectedHasItsMasterConnectionClosedWithinTheBound()
    {
        var gina = await server.CreateUserAsync(Revocation.Unique("gina"), "ed25519");
        await using var master = await ControlMaster.OpenAsync(server, gina.Key);

        await Revocation.ExpireAsync(server, gina.Key, DateTimeOffset.UtcNow.AddMinutes(-1));

        await ExpectClosedWithinTheBoundAsync(master, "the expired key's");
    }

    [Fact]
    public async Task RemovingAnAccessKeyClosesItsMasterConnectionWithinTheBound()
    {
        var hank = await server.CreateUserAsync(Revocation.Unique("hank"), "ed25519");
        var repository = await server.CreateRepositoryAsync(hank, "deployed");
        var deployKey = await SshKey.GenerateAsync(server.KeysDirectory, Revocation.Unique("deploy"), "ed25519");
        var keyId = await Revocation.AddAccessKeyAsync(server, repository, deployKey);
        await using var master = await ControlMaster.OpenAsync(server, deployKey);

        await Revocation.RemoveAccessKeyAsync(server, hank, repository, keyId);

        await ExpectClosedWithinTheBoundAsync(master, "the removed access key's");
    }

    [Fact]
    public async Task DeletingAnAccountClosesItsConnectionsWithinTheBound()
    {
        var ivan = await server.CreateUserAsync(Revocation.Unique("ivan"), "ed25519");
        await using var master = await ControlMaster.OpenAsync(server, ivan.Key);

        // No front end deletes accounts yet; the database does what one would (its keys go with it).
        await using (var db = WharfDatabase.OpenSqlite(new WharfPaths(server.DataDirectory)))
            Assert.Equal(1, await db.Users.Where(u => u.Name == ivan.Name).ExecuteDeleteAsync());

        await ExpectClosedWithinTheBoundAsync(master, "the deleted account's");
    }

    [Fact]
    public async Task ARunningCommandOfADeletedKeyEndsAndTheClientIsToldWhyInTheDisconnect()
    {
        var judy = await server.CreateUserAsync(Revocation.Unique("judy"), "ed25519");
        var repository = await server.CreateRepositoryAsync(judy, "app");
        await Workspace.SeedAsync(server, judy, repository);
        using var fetch = HeldCommand.Start(server, judy.Key, $"git-upload-pack '{repository}.git'");
        Assert.True(await fetch.WaitForOutputAsync(TimeSpan.FromSeconds(30)), $"git-upload-pack printed no advertisement\n{fetch.Stderr}\n{server.ServerLog()}");

        await Revocation.RemoveKeyAsync(server, judy, judy.Key);

        var ended = await fetch.WaitForExitAsync(Revocation.Bound);
        Expect.ExitCode(255, ended, server, "the running git-upload-pack of a deleted key must be cut off");
        Expect.StderrContains("This key is no longer registered on Wharf.", ended, server, "OpenSSH prints the DISCONNECT's reason");
    }

    [Fact]
    public async Task RevokingAGrantEndsACommandRunningOnThatRepositoryWithinTheBound()
    {
        var owner = await server.CreateUserAsync(Revocation.Unique("kate"), "ed25519");
        var reader = await server.CreateUserAsync(Revocation.Unique("liam"), "ed25519");
        var repository = await server.CreateRepositoryAsync(owner, "shared");
        await Workspace.SeedAsync(server, owner, repository);
        await server.GrantAsync(repository, reader, "read");
        using var fetch = HeldCommand.Start(server, reader.Key, $"git-upload-pack '{repository}.git'");
        Assert.True(await fetch.WaitForOutputAsync(TimeSpan.FromSeconds(30)), $"git-upload-pack printed no advertisement\n{fetch.Stderr}\n{server.ServerLog()}");

        await server.WharfOrThrowAsync(["admin", "repo", "revoke", repository, reader.Name]);

        var ended = await fetch.WaitForExitAsync(Revocation.Bound);
        Expect.ExitCode(1, ended, server, "the running git-upload-pack whose grant was revoked must end");
        Expect.StderrContains(AccessControlTests.NoSuchRepository(repository) + " The command was ended.", ended, server,
            "the client is told why its command ended");
        // The connection itself was fine: the same key still greets.
        Expect.Succeeded(await server.SshAsync(reader.Key, ["-T"]), server, "ssh -T with the reader's key after the revocation");
    }
}

/// <summary>A server whose key policy allows RSA keys only, while the accounts' keys were added under the default policy.</summary>
public sealed class StrictPolicyServer : WharfServer
{
    public static readonly IReadOnlyDictionary<string, string?> Policy = new Dictionary<string, string?> { ["WHARF_Keys__AllowedTypes__0"] = "ssh-rsa" };

    protected override IReadOnlyDictionary<string, string?> ServerEnvironment => Policy;
}

/// <summary>
/// Issue 10 point 7: the key policy applies at login. A stored key the policy no longer allows (here: ed25519 once
/// only ssh-rsa is allowed) is refused over SSH with a banner saying why and where to replace it, audited once, and
/// <c>wharf keys authorized</c> prints no line for it.
/// </summary>
public sealed class KeyPolicyAtLoginTests(StrictPolicyServer server) : IClassFixture<StrictPolicyServer>
{
    [Fact]
    public async Task AStoredKeyThePolicyNoLongerAllowsIsRefusedWithABannerAndAuditedOnce()
    {
        var key = server.Alice.KeyOfType("ed25519");
        var banner = $"Your SSH key 'laptop-ed25519' ({key.Fingerprint}) can no longer be used: " +
            "Keys of type 'ssh-ed25519' are not accepted on this Wharf. Accepted types: ssh-rsa.";
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var run = await server.SshAsync(key, ["-T"]);
            Expect.ExitCode(255, run, server, $"ssh -T with alice's ed25519 key under an RSA-only policy (attempt {attempt})");
            Expect.StderrContains(banner, run, server, "the banner names the key and the reason");
            Expect.StderrContains($"Add a new key at {server.HttpBaseUrl}/account/ssh-keys", run, server, "the banner says where to replace the key");
            Expect.StderrContains("Permission denied (publickey).", run, server, "the login is refused");
            Expect.StdoutIs("", run, server, "a refused key must not see the greeting");
        }

        var allowed = await server.SshAsync(server.Alice.KeyOfType("rsa"), ["-T"]);
        Expect.Succeeded(allowed, server, "ssh -T with alice's RSA key, which the policy allows");

        await using var db = WharfDatabase.OpenSqlite(new WharfPaths(server.DataDirectory));
        var aliceId = await db.Users.Where(u => u.LowerName == "alice").Select(u => u.Id).SingleAsync();
        var refused = await db.AuditLog.Where(a => a.UserId == aliceId && a.Action == "key-refused").ToListAsync();
        var entry = Assert.Single(refused);
        Assert.Equal(key.Fingerprint, entry.KeyFingerprint);
        Assert.Equal("laptop-ed25519", entry.KeyLabel);
        Assert.Equal("system", entry.Actor);
    }

    [Fact]
    public async Task KeysAuthorizedPrintsNoLineForAKeyThePolicyNoLongerAllows()
    {
        var key = server.Alice.KeyOfType("ed25519");
        var parts = key.PublicKeyLine.Split(' ');
        string[] arguments = [WharfServer.WharfDll, "keys", "authorized", "--user", "git", "--type", parts[0], "--key", parts[1], "--data", server.DataDirectory];

        var strict = await ProcessRunner.RunAsync(Tools.Dotnet, arguments, server.Root, StrictPolicyServer.Policy);
        Expect.ExitCode(0, strict, server, "wharf keys authorized under the RSA-only policy");
        Expect.StdoutIs("", strict, server, "no authorized_keys line for a key the policy refuses");
        Expect.StderrContains(
            $"wharf: SSH key {key.Fingerprint} of alice is no longer allowed by the key policy: Keys of type 'ssh-ed25519' are not accepted on this Wharf. Accepted types: ssh-rsa.",
            strict, server, "sshd's log says why");

        // With wharf serve answering on its socket, serve's policy decides, whatever the caller's own environment says.
        var viaServe = await ProcessRunner.RunAsync(Tools.Dotnet, arguments, server.Root);
        Expect.ExitCode(0, viaServe, server, "wharf keys authorized answered by wharf serve");
        Expect.StdoutIs("", viaServe, server, "serve runs the RSA-only policy, so still no line");

        // Without serve (its socket moved aside; it keeps listening on the moved file) the command looks the key up
        // itself under its own configuration: the default policy gives the same key its line.
        var socket = Path.Combine(server.DataDirectory, "run", "wharf.sock");
        File.Move(socket, socket + ".aside");
        ProcessResult lenient;
        try { lenient = await ProcessRunner.RunAsync(Tools.Dotnet, arguments, server.Root); }
        finally { File.Move(socket + ".aside", socket); }
        Expect.ExitCode(0, lenient, server, "wharf keys authorized under the default policy");
        Expect.That(lenient.Stdout.TrimEnd('\n').EndsWith(key.PublicKeyLine.Split(' ')[0] + " " + parts[1], StringComparison.Ordinal),
            "under the default policy the same key gets its authorized_keys line", lenient, server);
    }
}

/// <summary>Limits of issue 10 point 9 with small values: one command per key, two per account.</summary>
public sealed class SessionCapServer : WharfServer
{
    protected override IReadOnlyDictionary<string, string?> ServerEnvironment { get; } = new Dictionary<string, string?>
    {
        ["WHARF_Ssh__MaxSessionsPerKey"] = "1",
        ["WHARF_Ssh__MaxSessionsPerAccount"] = "2",
    };
}

/// <summary>Issue 10 point 9: concurrent commands are capped per key and per account, with a message the client sees.</summary>
public sealed class SessionCapTests(SessionCapServer server) : IClassFixture<SessionCapServer>
{
    [Fact]
    public async Task CommandsBeyondThePerKeyAndPerAccountCapsAreRefusedAndAllowedAgainOnceOneEnds()
    {
        var alice = server.Alice;
        var repository = await server.CreateRepositoryAsync(alice, "busy");
        await Workspace.SeedAsync(server, alice, repository);
        var fetchCommand = $"git-upload-pack '{repository}.git'";

        using (var first = HeldCommand.Start(server, alice.KeyOfType("ed25519"), fetchCommand))
        {
            Assert.True(await first.WaitForOutputAsync(TimeSpan.FromSeconds(30)), $"no advertisement\n{first.Stderr}\n{server.ServerLog()}");

            var sameKey = await server.SshAsync(alice.KeyOfType("ed25519"), ["-T"], fetchCommand);
            Expect.ExitCode(1, sameKey, server, "a second command with the same key");
            Expect.StderrContains("wharf: too many commands at once with this key (at most 1 on this server); try again when one has finished.",
                sameKey, server, "the per-key cap");

            using var second = HeldCommand.Start(server, alice.KeyOfType("rsa"), fetchCommand);
            Assert.True(await second.WaitForOutputAsync(TimeSpan.FromSeconds(30)), $"no advertisement\n{second.Stderr}\n{server.ServerLog()}");

            var third = await server.SshAsync(alice.KeyOfType("ecdsa"), ["-T"], fetchCommand);
            Expect.ExitCode(1, third, server, "a third command of alice's, with her third key");
            Expect.StderrContains("wharf: too many commands at once for alice (at most 2 on this server); try again when one has finished.",
                third, server, "the per-account cap");

            var bob = await server.SshAsync(server.Bob.Key, ["-T"]);
            Expect.Succeeded(bob, server, "another account is not affected by alice's cap");
        }

        // The client went away: its command ends and no longer counts.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var again = await server.SshAsync(alice.KeyOfType("ed25519"), ["-T"]);
        while (again.ExitCode != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            again = await server.SshAsync(alice.KeyOfType("ed25519"), ["-T"]);
        }
        Expect.Succeeded(again, server, "the same key once its first command ended");
        Expect.That(again.Stdout.StartsWith("logged in as alice.", StringComparison.Ordinal), "the greeting", again, server);
    }
}

/// <summary>A server that ends git and hg processes after 3 s without progress.</summary>
public sealed class NoProgressServer : WharfServer
{
    protected override IReadOnlyDictionary<string, string?> ServerEnvironment { get; } =
        new Dictionary<string, string?> { ["WHARF_Ssh__NoProgressTimeout"] = "00:00:03" };
}

/// <summary>Issue 10 point 9: a git process through which nothing moves is ended after Ssh:NoProgressTimeout, and the client is told.</summary>
public sealed class NoProgressTests(NoProgressServer server) : IClassFixture<NoProgressServer>
{
    [Fact]
    public async Task AGitCommandWithNoProgressIsEndedAndTheClientIsToldWhileAClonePasses()
    {
        var repository = await server.CreateRepositoryAsync(server.Alice, "quiet");
        await Workspace.SeedAsync(server, server.Alice, repository);

        using var silent = HeldCommand.Start(server, server.Alice.Key, $"git-upload-pack '{repository}.git'");
        Assert.True(await silent.WaitForOutputAsync(TimeSpan.FromSeconds(30)), $"no advertisement\n{silent.Stderr}\n{server.ServerLog()}");
        var ended = await silent.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Expect.ExitCode(1, ended, server, "git-upload-pack waiting for a client that sends nothing");
        Expect.StderrContains("wharf: no data moved in either direction for 3 seconds; the command was ended.", ended, server, "the client is told why");

        var parent = server.NewDirectory("quiet-clone");
        Expect.Succeeded(await server.GitAsync(server.Alice, parent, ["clone", "-q", server.Url(repository), "checkout"]), server,
            "a clone that keeps moving is not affected");
        Assert.True(File.Exists(Path.Combine(parent, "checkout", "README.md")));
    }
}
