using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wharf.Core.Audit;
using Wharf.Core.Keys;
using Wharf.Server.Hosting;
using Wharf.Server.Operations;
using Wharf.Server.Ssh;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Server;

namespace Wharf.Server.Tests;

/// <summary>What an SSH client sees from Wharf's handler, below the protocol (the interop tests cover the wire).</summary>
public sealed class SshHandlerTests : IAsyncLifetime
{
    private readonly TestData _data = new();
    private readonly string _aliceKey = TestKeys.Ed25519("alice@laptop");
    private ServiceProvider _services = null!;
    private WharfSshHandler _handler = null!;

    public async Task InitializeAsync()
    {
        await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org");
        await _data.RunAsync("admin", "user", "create", "bob", "--email", "bob@example.org");
        await _data.PipeAsync(_aliceKey, "admin", "key", "add", "alice");
        await _data.RunAsync("admin", "repo", "create", "alice/site");
        await _data.RunAsync("admin", "repo", "create", "bob/secret");
        _services = Services();
        _handler = _services.GetRequiredService<WharfSshHandler>();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        _data.Dispose();
    }

    private ServiceProvider Services(Action<IServiceCollection>? configure = null)
    {
        var services = new ServiceCollection().AddLogging().AddWharf(_data.Paths, _data.Database);
        services.AddSingleton<WharfSshHandler>();
        services.AddOperations();
        configure?.Invoke(services);
        return services.BuildServiceProvider();
    }

    private static SshAuthRequest Request(string keyLine, string userName = "git") =>
        new(userName, SshPublicKey.ParseOpenSsh(keyLine), new IPEndPoint(IPAddress.Loopback, 50000));

    private async Task<(int Status, string Out, string Error)> RunAsync(string? command, SshPrincipal principal, byte[]? input = null)
    {
        var output = new MemoryStream();
        var error = new MemoryStream();
        var session = new SshSession
        {
            Principal = principal,
            UserName = "git",
            Command = command,
            Environment = new Dictionary<string, string>(),
            Input = new MemoryStream(input ?? "0000"u8.ToArray()),
            Output = output,
            Error = error,
        };
        var status = await _handler.RunSessionAsync(session, CancellationToken.None);
        return (status, Encoding.UTF8.GetString(output.ToArray()), Encoding.UTF8.GetString(error.ToArray()));
    }

    private async Task<WharfPrincipal> AliceAsync() =>
        Assert.IsType<WharfPrincipal>(await _handler.FindPrincipalAsync(Request(_aliceKey), CancellationToken.None));

    [Fact]
    public async Task ARegisteredKeyLogsInAsItsOwner()
    {
        var alice = await AliceAsync();
        Assert.Equal("alice", alice.Name);
    }

    [Fact]
    public async Task AnUnknownKeyIsRefused() =>
        Assert.Null(await _handler.FindPrincipalAsync(Request(TestKeys.Ed25519()), CancellationToken.None));

    [Theory]
    [InlineData("root")]
    [InlineData("alice")]
    [InlineData("Git")]
    public async Task OnlyTheGitUserNameIsAccepted(string userName) =>
        Assert.Null(await _handler.FindPrincipalAsync(Request(_aliceKey, userName), CancellationToken.None));

    [Fact]
    public async Task ADatabaseErrorDuringKeyLookupPropagatesInsteadOfBecomingUnknownKey()
    {
        await using var services = Services(s => s.AddScoped<ISshKeyStore, FailingKeyStore>());
        var handler = services.GetRequiredService<WharfSshHandler>();
        await Assert.ThrowsAsync<InvalidOperationException>(() => handler.FindPrincipalAsync(Request(_aliceKey), CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task ShellRequestPrintsTheGreetingAndExitsZero()
    {
        var (status, output, error) = await RunAsync(null, await AliceAsync());
        Assert.Equal((0, "logged in as alice.\n"
            + $"Key 'alice@laptop': ssh-ed25519 {TestKeys.Fingerprint(_aliceKey)}, does not expire.\n\n"
            + "You can use git or hg to connect to Wharf. Shell access is disabled.\nRun 'ssh git@localhost help' for the other commands.\n", ""), (status, output, error));
    }

    [Fact]
    public async Task OwnerCanFetchTheirRepository()
    {
        var (status, output, error) = await RunAsync("git-upload-pack '/alice/site.git'", await AliceAsync());
        // An empty repository in protocol v0: git's flush packet and nothing else.
        Assert.Equal((0, "0000", ""), (status, output, error));
    }

    [Fact]
    public async Task LoggingInRecordsLastUseInMemoryAndTheFlushWritesItOnce()
    {
        var buffer = _services.GetRequiredService<KeyUsageBuffer>();
        await _handler.FindPrincipalAsync(Request(_aliceKey), CancellationToken.None);
        Assert.Equal(0, buffer.Pending); // a query is not a use

        var verified = Request(_aliceKey) with { SignatureVerified = true };
        for (var i = 0; i < 3; i++) await _handler.FindPrincipalAsync(verified, CancellationToken.None);
        await using (var before = _data.OpenDatabase())
            Assert.Null(before.SshKeys.Single().LastUsedAt); // nothing written during authentication

        Assert.Equal(1, await buffer.FlushAsync(CancellationToken.None)); // three logins, one UPDATE
        Assert.Equal(0, await buffer.FlushAsync(CancellationToken.None));
        await using var db = _data.OpenDatabase();
        Assert.NotNull(db.SshKeys.Single().LastUsedAt);
    }

    [Fact]
    public async Task TheFlusherWritesLastUseOnEachTick()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var services = Services(s => s.AddSingleton<TimeProvider>(clock).AddSingleton<KeyUsageFlusher>());
        var handler = services.GetRequiredService<WharfSshHandler>();
        var flusher = services.GetRequiredService<KeyUsageFlusher>();
        await flusher.StartAsync(CancellationToken.None);
        await handler.FindPrincipalAsync(Request(_aliceKey) with { SignatureVerified = true }, CancellationToken.None);

        // The flusher's loop starts on the thread pool, so its timer may not exist yet: tick until it has run.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        DateTimeOffset? lastUsed = null;
        while (lastUsed is null && DateTime.UtcNow < deadline)
        {
            clock.Advance(KeyUsageFlusher.Interval);
            await Task.Delay(50);
            await using var db = _data.OpenDatabase();
            lastUsed = db.SshKeys.Single().LastUsedAt;
        }
        await flusher.StopAsync(CancellationToken.None);
        Assert.NotNull(lastUsed);
    }

    /// <summary>A clock that moves only when told, firing the timers that fall due.</summary>
    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        private readonly List<ManualTimer> _timers = [];
        private DateTimeOffset _now = now;
        public override DateTimeOffset GetUtcNow() => _now;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new ManualTimer(callback, state, _now + dueTime, period);
            lock (_timers) _timers.Add(timer);
            return timer;
        }

        public void Advance(TimeSpan by)
        {
            _now += by;
            List<ManualTimer> due;
            lock (_timers) due = _timers.Where(t => t.Due is { } d && d <= _now).ToList();
            foreach (var timer in due)
            {
                timer.Due = timer.Period > TimeSpan.Zero ? _now + timer.Period : null;
                timer.Callback(timer.State);
            }
        }

        private sealed class ManualTimer(TimerCallback callback, object? state, DateTimeOffset due, TimeSpan period) : ITimer
        {
            public TimerCallback Callback { get; } = callback;
            public object? State { get; } = state;
            public DateTimeOffset? Due { get; set; } = due;
            public TimeSpan Period { get; set; } = period;
            public bool Change(TimeSpan dueTime, TimeSpan period) { Period = period; return true; }
            public void Dispose() => Due = null;
            public ValueTask DisposeAsync() { Dispose(); return ValueTask.CompletedTask; }
        }
    }

    [Theory]
    [InlineData("git-upload-pack '/bob/secret.git'", "bob/secret")]
    [InlineData("git-receive-pack '/bob/secret.git'", "bob/secret")]
    [InlineData("git-upload-pack '/bob/nothing.git'", "bob/nothing")]
    [InlineData("git-receive-pack '/carol/site.git'", "carol/site")]
    public async Task AnotherUsersRepositoryAndAMissingOneGiveTheSameRefusal(string command, string name)
    {
        var (status, output, error) = await RunAsync(command, await AliceAsync());
        Assert.Equal((1, "", $"wharf: Repository '{name}' does not exist, or you do not have access to it.\n"), (status, output, error));
    }

    /// <summary>
    /// What a client sends for a first push of one commit to <c>main</c>: the ref update command, a flush packet and a
    /// pack with the commit's objects (git's pack protocol, Documentation/gitprotocol-pack.txt).
    /// </summary>
    private byte[] FirstPushOfOneCommit(out string commit)
    {
        var work = Path.Combine(_data.Root, "work");
        Git.Run(_data.Root, "init", "-q", "-b", "main", work);
        File.WriteAllText(Path.Combine(work, "README"), "pushed by a refused client\n");
        Git.Run(work, "add", "README");
        Git.Run(work, "-c", "user.name=Alice", "-c", "user.email=alice@example.org", "commit", "-q", "-m", "first");
        commit = Git.Run(work, "rev-parse", "HEAD");
        var update = $"{new string('0', 40)} {commit} refs/heads/main\0report-status\n";
        var pack = Git.RunBinary(work, "HEAD\n", "pack-objects", "--revs", "--stdout", "-q");
        return [.. Encoding.ASCII.GetBytes($"{update.Length + 4:x4}{update}0000"), .. pack];
    }

    [Fact]
    public async Task RefusedPushChangesNothing()
    {
        var push = FirstPushOfOneCommit(out var commit);
        // The same bytes land in a repository alice may write, so they are a real push: had the refusal let
        // git-receive-pack run, bob/secret would hold the commit and the branch.
        var allowed = await RunAsync("git-receive-pack '/alice/site.git'", await AliceAsync(), push);
        Assert.Equal(0, allowed.Status);
        Assert.Equal(commit, Git.Run(_data.Paths.Repository("alice", "site"), "rev-parse", "refs/heads/main"));

        await _data.RunAsync("admin", "repo", "grant", "bob/secret", "alice", "--permission", "read");
        var secret = _data.Paths.Repository("bob", "secret");
        var before = Git.Run(secret, "count-objects", "-v");
        var refused = await RunAsync("git-receive-pack '/bob/secret.git'", await AliceAsync(), push);

        Assert.Equal((1, "", "wharf: You need write access to bob/secret to do this.\n"), refused);
        Assert.Equal("", Git.Run(secret, "for-each-ref"));
        Assert.Equal(before, Git.Run(secret, "count-objects", "-v"));
    }

    [Fact]
    public async Task AnUnsupportedCommandIsRefusedOnStderr()
    {
        var (status, output, error) = await RunAsync("ls -la", await AliceAsync());
        Assert.Equal((1, "", "wharf: Unknown command 'ls -la'. Try 'ssh git@localhost help'.\n"), (status, output, error));
    }

    [Fact]
    public async Task AnExpiredKeyIsRefusedAndTheExpiryIsAuditedOnce()
    {
        await using (var db = _data.OpenDatabase())
        {
            var key = db.SshKeys.Single();
            key.ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1);
            await db.SaveChangesAsync();
        }
        // The query is answered yes, so that OpenSSH signs and can be told why; nothing is audited for it.
        Assert.NotNull(await _handler.FindPrincipalAsync(Request(_aliceKey), CancellationToken.None));
        var verified = Request(_aliceKey) with { SignatureVerified = true };
        Assert.Null(await _handler.FindPrincipalAsync(verified, CancellationToken.None));
        var again = Request(_aliceKey) with { SignatureVerified = true };
        Assert.Null(await _handler.FindPrincipalAsync(again, CancellationToken.None));
        Assert.NotNull(again.RefusalBanner);

        await using var check = _data.OpenDatabase();
        var entry = Assert.Single(check.AuditLog.Where(a => a.Action == AuditActions.KeyExpired));
        Assert.Equal((TestKeys.Fingerprint(_aliceKey), "alice@laptop", "system", "127.0.0.1"),
            (entry.KeyFingerprint, entry.KeyLabel, entry.Actor, entry.SourceAddress));
    }

    [Fact]
    public async Task AnExpiredKeyIsToldWhyWithItsLabelFingerprintDateAndWhereToAddANewKey()
    {
        await using (var db = _data.OpenDatabase())
        {
            db.SshKeys.Single().ExpiresAt = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
            await db.SaveChangesAsync();
        }
        _services.GetRequiredService<WebAddress>().BaseUrl = "http://127.0.0.1:8080";
        var query = Request(_aliceKey);
        await _handler.FindPrincipalAsync(query, CancellationToken.None);
        Assert.Null(query.RefusalBanner);

        var verified = Request(_aliceKey) with { SignatureVerified = true };
        Assert.Null(await _handler.FindPrincipalAsync(verified, CancellationToken.None));
        Assert.Equal($"Your SSH key 'alice@laptop' ({TestKeys.Fingerprint(_aliceKey)}) expired on 2026-11-01. "
            + "Add a new key at http://127.0.0.1:8080/account/ssh-keys\n", verified.RefusalBanner);
    }

    [Fact]
    public async Task AKeyExpiringLaterStillLogsIn()
    {
        await using (var db = _data.OpenDatabase())
        {
            db.SshKeys.Single().ExpiresAt = DateTimeOffset.UtcNow.AddDays(1);
            await db.SaveChangesAsync();
        }
        Assert.NotNull(await _handler.FindPrincipalAsync(Request(_aliceKey) with { SignatureVerified = true }, CancellationToken.None));
    }

    [Fact]
    public async Task ACommandOnAConnectionWhoseKeyWasDeletedSinceLoginIsRefusedAndRunsNothing()
    {
        var alice = await AliceAsync();
        Assert.Equal(0, (await _data.RunAsync("admin", "key", "remove", "alice", "--label", "alice@laptop")).ExitCode);

        var (status, output, error) = await RunAsync("git-upload-pack '/alice/site.git'", alice);
        Assert.Equal((1, "", "wharf: this key is no longer registered on Wharf.\n"), (status, output, error));
    }

    [Fact]
    public async Task ACommandOnAConnectionWhoseKeyExpiredSinceLoginIsToldWhy()
    {
        var alice = await AliceAsync();
        await using (var db = _data.OpenDatabase())
        {
            db.SshKeys.Single().ExpiresAt = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
            await db.SaveChangesAsync();
        }

        var (status, output, error) = await RunAsync(null, alice);
        Assert.Equal((1, "", $"wharf: Your SSH key 'alice@laptop' ({TestKeys.Fingerprint(_aliceKey)}) expired on 2026-11-01. Add a new key at /account/ssh-keys\n"),
            (status, output, error));
    }

    [Fact]
    public async Task TheOwnersAdminFlagIsReadAtEachCommandNotAtLogin()
    {
        var alice = await AliceAsync();
        Assert.Equal(1, (await RunAsync("git-upload-pack '/bob/secret.git'", alice)).Status);
        await using (var db = _data.OpenDatabase())
        {
            db.Users.Single(u => u.Name == "alice").IsAdmin = true;
            await db.SaveChangesAsync();
        }

        // The same connection: an administrator now, so bob's private repository opens.
        Assert.Equal((0, "0000", ""), await RunAsync("git-upload-pack '/bob/secret.git'", alice));

        await using (var db = _data.OpenDatabase())
        {
            db.Users.Single(u => u.Name == "alice").IsAdmin = false;
            await db.SaveChangesAsync();
        }
        Assert.Equal(1, (await RunAsync("git-upload-pack '/bob/secret.git'", alice)).Status);
    }

    [Fact]
    public async Task AStoredKeyTheKeyPolicyNoLongerAllowsIsRefusedAtLoginWithABannerAndAuditedOnce()
    {
        await using var services = Services(s => s.AddSingleton(new KeyPolicy([SshKeyTypes.Rsa])));
        services.GetRequiredService<WebAddress>().BaseUrl = "http://127.0.0.1:8080";
        var handler = services.GetRequiredService<WharfSshHandler>();
        // A query is answered yes, so that OpenSSH signs and can be told why.
        Assert.NotNull(await handler.FindPrincipalAsync(Request(_aliceKey), CancellationToken.None));

        for (var attempt = 0; attempt < 2; attempt++)
        {
            var verified = Request(_aliceKey) with { SignatureVerified = true };
            Assert.Null(await handler.FindPrincipalAsync(verified, CancellationToken.None));
            Assert.Equal($"Your SSH key 'alice@laptop' ({TestKeys.Fingerprint(_aliceKey)}) can no longer be used: "
                + "Keys of type 'ssh-ed25519' are not accepted on this Wharf. Accepted types: ssh-rsa.\n"
                + "Add a new key at http://127.0.0.1:8080/account/ssh-keys\n", verified.RefusalBanner);
        }

        await using var check = _data.OpenDatabase();
        var entry = Assert.Single(check.AuditLog.Where(a => a.Action == AuditActions.KeyRefused));
        Assert.Equal((TestKeys.Fingerprint(_aliceKey), "alice@laptop", "system", "127.0.0.1"),
            (entry.KeyFingerprint, entry.KeyLabel, entry.Actor, entry.SourceAddress));
        Assert.Empty(check.AuditLog.Where(a => a.Action == AuditActions.KeyExpired));
    }

    [Fact]
    public async Task TheKeyStoreFindsTheKeysThatStillExistByIdInOneCall()
    {
        await using var db = _data.OpenDatabase();
        var id = db.SshKeys.Single().Id;
        var found = await new Wharf.Data.Stores.EfSshKeyStore(db).FindByIdsAsync([id, id + 1000], CancellationToken.None);
        var owner = Assert.Single(found);
        Assert.Equal((id, "alice"), (owner.KeyId, owner.UserName));
        Assert.Empty(await new Wharf.Data.Stores.EfAccessKeyStore(db).FindByIdsAsync([1, 2], CancellationToken.None));
    }

    [Fact]
    public void CommandsOverThePerKeyAndPerAccountCapsAreRefusedUntilOneFinishes()
    {
        var live = new LiveSessions(new SessionSettings { MaxSessionsPerKey = 1, MaxSessionsPerAccount = 2 });
        var laptop = new WharfPrincipal(1, "alice", keyId: 10);
        var desktop = new WharfPrincipal(1, "alice", keyId: 11);
        var phone = new WharfPrincipal(1, "alice", keyId: 12);

        var (first, _) = live.TryStart(laptop, CancellationToken.None);
        Assert.NotNull(first);
        Assert.Equal((null, LiveSessions.TooManyForKey(1)), live.TryStart(laptop, CancellationToken.None));
        var (second, _) = live.TryStart(desktop, CancellationToken.None);
        Assert.NotNull(second);
        Assert.Equal((null, "too many commands at once for alice (at most 2 on this server); try again when one has finished."),
            live.TryStart(phone, CancellationToken.None));

        first!.Dispose();
        var (again, refusal) = live.TryStart(phone, CancellationToken.None);
        Assert.NotNull(again);
        Assert.Null(refusal);
        second!.Dispose();
        again!.Dispose();
        Assert.Equal(0, live.Count);
    }

    private sealed class FailingKeyStore : ISshKeyStore
    {
        public Task<SshKeyOwner?> FindByFingerprintAsync(string fingerprint, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("database is locked");
        public Task<SshKeyOwner?> FindByIdAsync(long keyId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<SshKey>> ListAsync(long userId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task AddAsync(SshKey key, AuditEntry audit, Core.Users.EmailToken? spentChallenge, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task UpdateLabelAsync(SshKey key, string label, AuditEntry audit, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task RemoveAsync(SshKey key, AuditEntry audit, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task MarkUsedAsync(long keyId, DateTimeOffset when, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<bool> RecordRefusedOnceAsync(SshKeyOwner key, AuditEntry audit, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<SshKeyOwner>> FindByIdsAsync(IReadOnlyCollection<long> keyIds, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task UpdateUsageAsync(SshKey key, KeyUsage usage, AuditEntry audit, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task MarkCompromisedAsync(SshKey key, DateTimeOffset since, string revokedReason, string earlierNote, AuditEntry audit, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task MarkPossessionProvenAsync(SshKey key, DateTimeOffset at, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task TakeOverAsync(SshKey lost, SshKey added, AuditEntry loserAudit, AuditEntry winnerAudit, Core.Users.EmailToken spentChallenge, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<SshKey?> FindKeyByFingerprintAsync(string fingerprint, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
