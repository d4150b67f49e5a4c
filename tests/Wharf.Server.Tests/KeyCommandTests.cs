using System.Numerics;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Wharf.Core.Audit;
using Wharf.Core.Keys;

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
        Assert.Equal(("laptop", "ssh-ed25519", 256, key[..key.LastIndexOf(' ')], null, "alice@laptop"),
            (stored.Label, stored.KeyType, stored.Bits, stored.PublicKey, stored.LastUsedAt, stored.Comment));
        var audit = await db.AuditLog.SingleAsync();
        Assert.Equal((AuditActions.KeyAdded, stored.Fingerprint, "laptop", "admin (cli)", "local"),
            (audit.Action, audit.KeyFingerprint, audit.KeyLabel, audit.Actor, audit.SourceAddress));
    }

    [Fact]
    public async Task WithoutALabelTheKeyCommentBecomesTheLabel()
    {
        await CreateUsersAsync();
        await _data.PipeAsync(TestKeys.Ed25519("alice@desk"), "admin", "key", "add", "alice");
        await using var db = _data.OpenDatabase();
        Assert.Equal("alice@desk", (await db.SshKeys.SingleAsync()).Label);
    }

    public static TheoryData<string, Func<string>, string, int> AcceptedFormats => new()
    {
        { "OpenSSH line", () => TestKeys.Ed25519("me@example.org"), "ssh-ed25519", 256 },
        { "no comment", () => TestKeys.Ed25519(null), "ssh-ed25519", 256 },
        { "ECDSA P-256", () => TestKeys.EcdsaP256(), "ecdsa-sha2-nistp256", 256 },
        { "RSA 3072", () => TestKeys.Rsa(3072), "ssh-rsa", 3072 },
        { "broken by paste", () => { var k = TestKeys.Rsa(2048); k = k[..k.LastIndexOf(' ')]; return "  " + k[..40] + "\n" + k[40..200] + " \r\n" + k[200..] + "\n rsa@test\n"; }, "ssh-rsa", 2048 },
        { "RFC 4716", () => TestKeys.Rfc4716(TestKeys.Rsa(2048)), "ssh-rsa", 2048 },
        { "PEM PUBLIC KEY", () => { using var rsa = RSA.Create(2048); return rsa.ExportSubjectPublicKeyInfoPem(); }, "ssh-rsa", 2048 },
        { "PEM RSA PUBLIC KEY", () => { using var rsa = RSA.Create(2048); return rsa.ExportRSAPublicKeyPem(); }, "ssh-rsa", 2048 },
    };

    [Theory]
    [MemberData(nameof(AcceptedFormats))]
    public async Task EveryAcceptedFormatIsStoredAsOneOpenSshLine(string format, Func<string> text, string type, int bits)
    {
        await CreateUsersAsync();
        var r = await _data.PipeAsync(text(), "admin", "key", "add", "alice", "--label", format);
        Assert.Equal((0, ""), (r.ExitCode, r.Error));
        await using var db = _data.OpenDatabase();
        var stored = await db.SshKeys.SingleAsync();
        Assert.Equal((type, bits, stored.Fingerprint + "\n"), (stored.KeyType, stored.Bits, r.Out));
        Assert.Matches("^[a-z0-9-]+ [A-Za-z0-9+/=]+$", stored.PublicKey);
    }

    [Fact]
    public async Task AuthorizedKeysOptionsAreDroppedAndSaidSoOnStderr()
    {
        await CreateUsersAsync();
        var key = TestKeys.Ed25519("me@host");
        var r = await _data.PipeAsync("no-pty,from=\"10.0.0.1,10.0.0.2\" " + key, "admin", "key", "add", "alice");
        Assert.Equal((0, TestKeys.Fingerprint(key) + "\n", "wharf: note: the authorized_keys options in front of the key were dropped; Wharf does not apply them.\n"),
            (r.ExitCode, r.Out, r.Error));
    }

    /// <summary>n = k·M + (65537^c mod M) for the ROCA primes' product M: the structure of CVE-2017-15361 moduli.</summary>
    public static string RocaKey()
    {
        var m = Roca.Primes.Aggregate(BigInteger.One, (a, p) => a * p);
        var c = new BigInteger(RandomNumberGenerator.GetBytes(8), isUnsigned: true);
        var k = (BigInteger.One << 2047) / m + 1 + RandomNumberGenerator.GetInt32(1000);
        var n = k * m + BigInteger.ModPow(65537, c, m);
        if (n.IsEven) n += m; // M is odd, so this makes n odd
        Assert.Equal(2048, (long)n.GetBitLength());
        return TestKeys.RsaWithModulus(n);
    }

    public static TheoryData<string, Func<string>, string, string> Refusals => new()
    {
        { "private key (PEM)", () => { using var rsa = RSA.Create(2048); return rsa.ExportPkcs8PrivateKeyPem(); }, KeyErrors.Private,
            "This is a private key. Paste the public key instead (the .pub file, or PuTTYgen's \"Public key for pasting\" box). If this private key was sent anywhere, consider it exposed: make a new key pair." },
        { "private key (PuTTY)", () => "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n", KeyErrors.Private,
            "This is a private key. Paste the public key instead (the .pub file, or PuTTYgen's \"Public key for pasting\" box). If this private key was sent anywhere, consider it exposed: make a new key pair." },
        { "truncated", () => { var k = TestKeys.Rsa(2048); return k[..(k.IndexOf(' ') + 200)]; }, KeyErrors.Truncated, "The key data is damaged or truncated." },
        { "type mismatch", () => "ssh-rsa " + TestKeys.Ed25519().Split(' ')[1], KeyErrors.TypeMismatch, "The key says it is 'ssh-rsa' but its data is a 'ssh-ed25519' key." },
        { "two keys", () => TestKeys.Ed25519() + "\n" + TestKeys.Ed25519() + "\n", KeyErrors.Multiple, "The text holds more than one key; add them one at a time." },
        { "DSA", () => "ssh-dss AAAAB3NzaC1kc3MAAACBAP1/U4EddRIpUt9KnC7s5Of2EbdSPO9EAMMeP4C2USZpRV1AIlH7WT2NWPq/xfW6MPbLm1Vs14E7 me@host", KeyErrors.TypeUnsupported,
            "DSA keys (ssh-dss) are not accepted: OpenSSH itself disabled them in 2015. Make an ed25519 key: ssh-keygen -t ed25519" },
        { "RSA 1024", () => TestKeys.Rsa(1024), KeyErrors.TooSmall, "The RSA key has 1024 bits; this Wharf accepts RSA keys from 2048 bits. Make a new key: ssh-keygen -t ed25519" },
        { "ROCA modulus", RocaKey, KeyErrors.WeakRoca,
            "This RSA key was generated by a chip with the ROCA flaw (CVE-2017-15361): its private key can be computed from the public key. Consider it compromised and make a new key pair." },
        { "over-long", () => TestKeys.Ed25519(new string('x', 16384)), KeyErrors.TooLong, null! },
        { "garbage", () => "hello world", KeyErrors.TypeUnsupported, "The key type 'hello' is not supported. Use ed25519, ECDSA, RSA or a security key (sk-)." },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task EveryRefusalHasItsMessageItsCodeAndStoresNothing(string what, Func<string> text, string code, string? message)
    {
        await CreateUsersAsync();
        var input = text();
        var r = await _data.PipeAsync(input, "admin", "key", "add", "alice");
        Assert.Equal((2, ""), (r.ExitCode, r.Out));
        if (message is not null) Assert.Equal("wharf: " + message + "\n", r.Error);
        else Assert.StartsWith("wharf: The key text is ", r.Error);
        Assert.Equal(0, await _data.CountAsync(db => db.SshKeys));
        Assert.Equal(0, await _data.CountAsync(db => db.AuditLog));
        // The same text through the service carries the code the API returns.
        var e = Assert.Throws<Wharf.Core.Errors.WharfException>(() => new SshKeyService(null!, null!, new KeyPolicy(), TimeProvider.System).Check(input));
        Assert.True(code == e.Code, $"{what}: expected {code}, got {e.Code}");
    }

    [Fact]
    public void ARealRsaKeyIsNotMistakenForRoca()
    {
        using var rsa = RSA.Create(2048);
        Assert.False(Roca.IsVulnerable(rsa.ExportParameters(false).Modulus));
    }

    [Fact]
    public void EveryErrorCodeIsDistinct() => Assert.Equal(KeyErrors.All.Count, KeyErrors.All.Distinct().Count());

    [Fact]
    public async Task ALabelOver255CharactersIsRefused()
    {
        await CreateUsersAsync();
        var r = await _data.PipeAsync(TestKeys.Ed25519(), "admin", "key", "add", "alice", "--label", new string('l', 256));
        Assert.Equal((2, "wharf: The label is too long: at most 255 characters.\n"), (r.ExitCode, r.Error));
        Assert.Equal(0, await _data.CountAsync(db => db.SshKeys));
    }

    [Fact]
    public async Task AllowedTypesAndMinimumRsaBitsAreInstanceSettings()
    {
        await CreateUsersAsync();
        await File.WriteAllTextAsync(Path.Combine(_data.Paths.DataDirectory, "wharf.json"),
            """{ "Keys": { "AllowedTypes": [ "ssh-ed25519", "ssh-rsa" ], "MinRsaBits": 3072 } }""");
        var r = await _data.PipeAsync(TestKeys.EcdsaP256(), "admin", "key", "add", "alice");
        Assert.Equal((2, "wharf: Keys of type 'ecdsa-sha2-nistp256' are not accepted on this Wharf. Accepted types: ssh-ed25519, ssh-rsa.\n"), (r.ExitCode, r.Error));
        r = await _data.PipeAsync(TestKeys.Rsa(2048), "admin", "key", "add", "alice");
        Assert.Equal((2, "wharf: The RSA key has 2048 bits; this Wharf accepts RSA keys from 3072 bits. Make a new key: ssh-keygen -t ed25519\n"), (r.ExitCode, r.Error));
        Assert.Equal(0, await _data.CountAsync(db => db.SshKeys));
    }

    [Fact]
    public async Task DuplicateKeyOnAnotherAccountIsRefusedWithExitCode4WithoutNamingTheAccount()
    {
        await CreateUsersAsync();
        var key = TestKeys.Ed25519();
        await _data.PipeAsync(key, "admin", "key", "add", "alice", "--label", "laptop");

        var r = await _data.PipeAsync(key, "admin", "key", "add", "bob", "--label", "stolen");
        Assert.Equal((4, "", "wharf: This key is already in use on this Wharf, by another account or as a repository access key; a key can belong to one account only. Make a new key for this account.\n"),
            (r.ExitCode, r.Out, r.Error));
        await using var db = _data.OpenDatabase();
        Assert.Equal("laptop", (await db.SshKeys.SingleAsync()).Label);
    }

    [Fact]
    public async Task DuplicateKeyOnYourOwnAccountNamesItsLabel()
    {
        await CreateUsersAsync();
        var key = TestKeys.Ed25519();
        await _data.PipeAsync(key, "admin", "key", "add", "alice", "--label", "laptop");
        var r = await _data.PipeAsync(key, "admin", "key", "add", "alice", "--label", "again");
        Assert.Equal((4, "wharf: This key is already on your account as 'laptop'.\n"), (r.ExitCode, r.Error));
        Assert.Equal(1, await _data.CountAsync(db => db.SshKeys));
    }

    [Fact]
    public async Task TwoConcurrentAddsOfTheSameKeyStoreExactlyOneRow()
    {
        await CreateUsersAsync();
        for (var round = 0; round < 5; round++)
        {
            var key = TestKeys.Ed25519();
            var results = await Task.WhenAll(
                Task.Run(() => _data.PipeAsync(key, "admin", "key", "add", "alice")),
                Task.Run(() => _data.PipeAsync(key, "admin", "key", "add", "bob")));
            Assert.Equal([0, 4], results.Select(r => r.ExitCode).Order());
            Assert.Equal(1, await _data.CountAsync(db => db.SshKeys.Where(k => k.Fingerprint == TestKeys.Fingerprint(key))));
        }
    }

    [Fact]
    public async Task TheUniqueIndexRefusesASecondRowWithTheSameFingerprint()
    {
        await CreateUsersAsync();
        var key = TestKeys.Ed25519();
        await _data.PipeAsync(key, "admin", "key", "add", "alice");
        await using var db = _data.OpenDatabase();
        var bob = await db.Users.SingleAsync(u => u.Name == "bob");
        var copy = await db.SshKeys.AsNoTracking().SingleAsync();
        copy.Id = 0;
        copy.Uuid = Guid.NewGuid();
        copy.UserId = bob.Id;
        var store = new Wharf.Data.Stores.EfSshKeyStore(db);
        var e = await Assert.ThrowsAsync<Wharf.Core.Errors.WharfException>(() => store.AddAsync(copy,
            new AuditEntry { UserId = bob.Id, Action = AuditActions.KeyAdded, KeyFingerprint = copy.Fingerprint, KeyLabel = "x", Actor = "test" }, null, CancellationToken.None));
        Assert.Equal(KeyErrors.InUse, e.Code);
        Assert.Equal(1, await _data.CountAsync(d => d.SshKeys));
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
    public async Task KeyForUnknownUserIsRefusedWithExitCode3()
    {
        await CreateUsersAsync();
        var r = await _data.PipeAsync(TestKeys.Ed25519(), "admin", "key", "add", "carol");
        Assert.Equal((3, "wharf: User 'carol' does not exist.\n"), (r.ExitCode, r.Error));
        Assert.Equal(0, await _data.CountAsync(db => db.SshKeys));
    }

    [Fact]
    public async Task KeyListPrintsOneTabSeparatedLinePerKey()
    {
        await CreateUsersAsync();
        var a = TestKeys.Ed25519();
        var b = TestKeys.Rsa(2048);
        await _data.PipeAsync(a, "admin", "key", "add", "alice", "--label", "my laptop");
        await _data.PipeAsync(b, "admin", "key", "add", "alice", "--label", "ci");
        var r = await _data.RunAsync("admin", "key", "list", "alice");
        Assert.Equal((0, ""), (r.ExitCode, r.Error));
        var lines = r.Out.TrimEnd('\n').Split('\n').Select(l => l.Split('\t')).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal(["my laptop", "ssh-ed25519", "256", TestKeys.Fingerprint(a)], lines[0][..4]);
        Assert.Equal(["ci", "ssh-rsa", "2048", TestKeys.Fingerprint(b)], lines[1][..4]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", lines[0][4]);
        Assert.Equal("never", lines[0][5]);
        Assert.Equal((0, ""), ((await _data.RunAsync("admin", "key", "list", "bob")).ExitCode, (await _data.RunAsync("admin", "key", "list", "bob")).Out));
    }

    [Fact]
    public async Task KeyRemoveByLabelOrFingerprintDeletesAndAudits()
    {
        await CreateUsersAsync();
        var a = TestKeys.Ed25519();
        var b = TestKeys.Ed25519();
        await _data.PipeAsync(a, "admin", "key", "add", "alice", "--label", "one");
        await _data.PipeAsync(b, "admin", "key", "add", "alice", "--label", "two");
        var r = await _data.RunAsync("admin", "key", "remove", "alice", "--label", "one");
        Assert.Equal((0, $"Removed key 'one' ({TestKeys.Fingerprint(a)}) from alice.\n"), (r.ExitCode, r.Out));
        r = await _data.RunAsync("admin", "key", "remove", "alice", "--fingerprint", TestKeys.Fingerprint(b));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(0, await _data.CountAsync(db => db.SshKeys));
        Assert.Equal(2, await _data.CountAsync(db => db.AuditLog.Where(e => e.Action == AuditActions.KeyDeleted)));
    }

    [Fact]
    public async Task KeyRemoveErrors()
    {
        await CreateUsersAsync();
        await _data.PipeAsync(TestKeys.Ed25519(), "admin", "key", "add", "alice", "--label", "one");
        var r = await _data.RunAsync("admin", "key", "remove", "alice", "--label", "nope");
        Assert.Equal((3, "wharf: No key labelled 'nope' on this account.\n"), (r.ExitCode, r.Error));
        r = await _data.RunAsync("admin", "key", "remove", "alice");
        Assert.Equal((2, "wharf: name the key with exactly one of --label or --fingerprint.\nusage: wharf admin key remove USER [--label LABEL] [--fingerprint FP] [--data DIR] [--database URL]\n"), (r.ExitCode, r.Error));
        await _data.PipeAsync(TestKeys.Ed25519(), "admin", "key", "add", "alice", "--label", "one");
        r = await _data.RunAsync("admin", "key", "remove", "alice", "--label", "one");
        Assert.Equal((2, "wharf: 2 keys are labelled 'one'; name the key by its fingerprint instead.\n"), (r.ExitCode, r.Error));
        Assert.Equal(2, await _data.CountAsync(db => db.SshKeys));
    }

    [Fact]
    public async Task KeyLabelRenamesAndAudits()
    {
        await CreateUsersAsync();
        var a = TestKeys.Ed25519();
        await _data.PipeAsync(a, "admin", "key", "add", "alice", "--label", "old");
        var r = await _data.RunAsync("admin", "key", "label", "alice", "--label", "old", "--to", "new name");
        Assert.Equal((0, $"Key {TestKeys.Fingerprint(a)} is now labelled 'new name'.\n"), (r.ExitCode, r.Out));
        await using var db = _data.OpenDatabase();
        Assert.Equal("new name", (await db.SshKeys.SingleAsync()).Label);
        var e = await db.AuditLog.SingleAsync(x => x.Action == AuditActions.LabelChanged);
        Assert.Equal("new name", e.KeyLabel);
        r = await _data.RunAsync("admin", "key", "label", "alice", "--label", "new name", "--to", new string('x', 256));
        Assert.Equal((2, "wharf: The label is too long: at most 255 characters.\n"), (r.ExitCode, r.Error));
    }

    [Fact]
    public async Task TokenCreatePrintsTheTokenAloneOnTheLastLineAndStoresOnlyItsHash()
    {
        await CreateUsersAsync();
        var r = await _data.RunAsync("admin", "token", "create", "alice", "--name", "ci");
        Assert.Equal((0, ""), (r.ExitCode, r.Error));
        var lines = r.Out.TrimEnd('\n').Split('\n');
        Assert.Equal("Created API token 'ci' for alice with scopes: all. It is shown only now; keep it secret:", lines[0]);
        var token = lines[^1];
        Assert.Matches("^wharf_[A-Za-z0-9_-]{43}$", token);
        await using var db = _data.OpenDatabase();
        var stored = await db.ApiTokens.SingleAsync();
        Assert.Equal(("ci", Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)))), (stored.Name, stored.TokenHash));
        // The whole SQLite file, not only the column (on PostgreSQL the row above is all there is).
        if (!_data.IsPostgres) Assert.DoesNotContain(token, await File.ReadAllTextAsync(_data.Paths.Database));
    }

    [Fact]
    public async Task KeyAddTakesAnExpiryDateThatKeyListShows()
    {
        await CreateUsersAsync();
        var r = await _data.PipeAsync(TestKeys.Ed25519(), "admin", "key", "add", "alice", "--label", "temp", "--expires", "2999-01-31");
        Assert.Equal((0, ""), (r.ExitCode, r.Error));

        var list = await _data.RunAsync("admin", "key", "list", "alice");
        Assert.Equal("2999-01-31T00:00:00Z", list.Out.TrimEnd('\n').Split('\t')[6]);
        await using var db = _data.OpenDatabase();
        Assert.Equal(new DateTimeOffset(2999, 1, 31, 0, 0, 0, TimeSpan.Zero), (await db.SshKeys.SingleAsync()).ExpiresAt);
    }

    [Theory]
    [InlineData("2001-01-01", "wharf: The expiry date is in the past; give a date from tomorrow on, or none.\n")]
    [InlineData("next week", "wharf: Invalid --expires 'next week': use a date such as 2027-01-31 or an ISO 8601 time.\n")]
    public async Task KeyAddRefusesAnExpiryInThePastOrUnreadableAndStoresNothing(string expires, string error)
    {
        await CreateUsersAsync();
        var r = await _data.PipeAsync(TestKeys.Ed25519(), "admin", "key", "add", "alice", "--expires", expires);
        Assert.Equal((2, "", error), (r.ExitCode, r.Out, r.Error));
        Assert.Equal(0, await _data.CountAsync(db => db.SshKeys));
    }
}
