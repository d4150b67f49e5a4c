using Microsoft.EntityFrameworkCore;

namespace Wharf.Server.Tests;

public sealed class KeyCommandTests : IDisposable
{
    private readonly TestData _data = new();
    public void Dispose() => _data.Dispose();

    private async Task CreateUsersAsync()
    {
        Assert.Equal(0, (await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org")).ExitCode);
        Assert.Equal(0, (await _data.RunAsync("admin", "user", "create", "bob", "--email", "bob@example.org")).ExitCode);
    }

    [Fact]
    public async Task KeyAddPrintsOnlyTheSha256FingerprintAndStoresTheNormalisedKey()
    {
        await CreateUsersAsync();
        var key = TestKeys.Ed25519("alice@laptop");
        var r = await _data.PipeAsync(key + "\n", "admin", "key", "add", "alice", "--label", "laptop");
        Assert.Equal((0, TestKeys.Fingerprint(key) + "\n", ""), (r.ExitCode, r.Out, r.Error));

        await using var db = _data.OpenDatabase();
        var stored = await db.SshKeys.SingleAsync();
        Assert.Equal(("laptop", "ssh-ed25519", 256, key[..key.LastIndexOf(' ')], null),
            (stored.Label, stored.KeyType, stored.Bits, stored.PublicKey, stored.LastUsedAt));
    }

    [Fact]
    public async Task WithoutALabelTheKeyCommentBecomesTheLabel()
    {
        await CreateUsersAsync();
        await _data.PipeAsync(TestKeys.Ed25519("alice@desk"), "admin", "key", "add", "alice");
        await using var db = _data.OpenDatabase();
        Assert.Equal("alice@desk", (await db.SshKeys.SingleAsync()).Label);
    }

    [Fact]
    public async Task DuplicateKeyOnAnotherAccountIsRefusedWithExitCode4AndNothingStored()
    {
        await CreateUsersAsync();
        var key = TestKeys.Ed25519();
        await _data.PipeAsync(key, "admin", "key", "add", "alice", "--label", "laptop");

        var r = await _data.PipeAsync(key, "admin", "key", "add", "bob", "--label", "stolen");
        Assert.Equal(4, r.ExitCode);
        Assert.Equal($"wharf: The key {TestKeys.Fingerprint(key)} is already registered on this Wharf; a key can belong to one account only.\n", r.Error);
        Assert.Equal("", r.Out);
        await using var db = _data.OpenDatabase();
        Assert.Equal("laptop", (await db.SshKeys.SingleAsync()).Label);
    }

    [Fact]
    public async Task GarbageOnStandardInputIsRefusedWithExitCode2()
    {
        await CreateUsersAsync();
        var r = await _data.PipeAsync("hello world", "admin", "key", "add", "alice");
        Assert.Equal((2, "wharf: Invalid SSH public key: The key type 'hello' is not supported.\n"), (r.ExitCode, r.Error));
        Assert.Equal(0, await _data.CountAsync(db => db.SshKeys));
    }

    [Fact]
    public async Task EmptyStandardInputIsRefusedWithAHint()
    {
        await CreateUsersAsync();
        var r = await _data.PipeAsync("", "admin", "key", "add", "alice");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("wharf: No public key on standard input: pipe in one line such as 'ssh-ed25519 AAAA... you@host', e.g. < ~/.ssh/id_ed25519.pub\n", r.Error);
    }

    [Fact]
    public async Task TwoKeysOnStandardInputAreRefused()
    {
        await CreateUsersAsync();
        var r = await _data.PipeAsync(TestKeys.Ed25519() + "\n" + TestKeys.Ed25519() + "\n", "admin", "key", "add", "alice");
        Assert.Equal((2, "wharf: Expected one public key line on standard input, got 2; add keys one at a time.\n"), (r.ExitCode, r.Error));
        Assert.Equal(0, await _data.CountAsync(db => db.SshKeys));
    }

    [Fact]
    public async Task RsaKeysBelow2048BitsAreRefused()
    {
        await CreateUsersAsync();
        var r = await _data.PipeAsync(TestKeys.Rsa(1024), "admin", "key", "add", "alice");
        Assert.Equal((2, "wharf: The RSA key has 1024 bits; Wharf accepts RSA keys from 2048 bits.\n"), (r.ExitCode, r.Error));
        Assert.Equal(0, await _data.CountAsync(db => db.SshKeys));
    }

    [Fact]
    public async Task Rsa3072KeyIsAccepted()
    {
        await CreateUsersAsync();
        var key = TestKeys.Rsa(3072);
        var r = await _data.PipeAsync(key, "admin", "key", "add", "alice");
        Assert.Equal((0, TestKeys.Fingerprint(key) + "\n"), (r.ExitCode, r.Out));
    }

    [Fact]
    public async Task KeyForUnknownUserIsRefusedWithExitCode3()
    {
        await CreateUsersAsync();
        var r = await _data.PipeAsync(TestKeys.Ed25519(), "admin", "key", "add", "carol");
        Assert.Equal((3, "wharf: User 'carol' does not exist.\n"), (r.ExitCode, r.Error));
        Assert.Equal(0, await _data.CountAsync(db => db.SshKeys));
    }
}
