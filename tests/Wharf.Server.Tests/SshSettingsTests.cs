using Microsoft.Extensions.Configuration;
using Wharf.Core.Errors;
using Wharf.Server.Ssh;

namespace Wharf.Server.Tests;

/// <summary>SSH settings from configuration: defaults, overrides, and a clear refusal of anything wrong.</summary>
public sealed class SshSettingsTests : IDisposable
{
    private readonly TestData _data = new();
    public void Dispose() => _data.Dispose();

    private Wharf.Ssh.Server.SshServerOptions Build(params (string Key, string Value)[] settings) =>
        SshSettings.Build(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build(), _data.Paths);

    [Fact]
    public void DefaultsAreTheDocumentedOnesAndBothHostKeysExist()
    {
        var o = Build();
        Assert.Equal(10, o.MaxAuthTries);
        Assert.Equal(256 * 1024, o.MaxInboundPacketSize);
        Assert.Equal(TimeSpan.FromSeconds(60), o.LoginGraceTime);
        Assert.Equal(TimeSpan.FromSeconds(30), o.ShutdownGraceTime);
        // A CI farm behind one address: 200 simultaneous logins must fit (OPERATIONS.md "CI farms").
        Assert.Equal(256, o.MaxUnauthenticatedPerSource);
        Assert.Equal("256:30:1024", o.MaxStartups);
        Assert.Equal(TimeSpan.FromSeconds(30), o.ExecRequestTimeout);
        Assert.Equal(["ssh-ed25519"], o.HostKeys[0].Algorithms);
        Assert.Equal(["rsa-sha2-512", "rsa-sha2-256"], o.HostKeys[1].Algorithms);
        Assert.Null(o.Ciphers);
    }

    [Fact]
    public void ValuesAndAlgorithmListsAreTakenFromConfiguration()
    {
        var o = Build(("Ssh:MaxAuthTries", "20"), ("Ssh:LoginGraceTime", "00:00:30"), ("Ssh:ShutdownGraceTime", "00:02:00"),
            ("Ssh:MaxStartups", "2048:50:4096"), ("Ssh:ExecRequestTimeout", "00:00:10"), ("Ssh:MaxUnauthenticatedPerSource", "2048"), ("Ssh:Algorithms:Ciphers", "aes256-gcm@openssh.com, chacha20-poly1305@openssh.com"),
            ("Ssh:Algorithms:KeyExchange:0", "curve25519-sha256"));
        Assert.Equal(20, o.MaxAuthTries);
        Assert.Equal(TimeSpan.FromSeconds(30), o.LoginGraceTime);
        Assert.Equal(TimeSpan.FromMinutes(2), o.ShutdownGraceTime);
        Assert.Equal(2048, o.MaxUnauthenticatedPerSource);
        Assert.Equal("2048:50:4096", o.MaxStartups);
        Assert.Equal(TimeSpan.FromSeconds(10), o.ExecRequestTimeout);
        Assert.Equal(["aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com"], o.Ciphers);
        Assert.Equal(["curve25519-sha256"], o.KeyExchangeAlgorithms);
    }

    [Fact]
    public void Group14CanBeAddedBackToTheKeyExchangeOffer()
    {
        var o = Build(("Ssh:Algorithms:KeyExchange", "curve25519-sha256,diffie-hellman-group14-sha256"));
        Assert.Equal(["curve25519-sha256", "diffie-hellman-group14-sha256"], o.KeyExchangeAlgorithms);
    }

    [Theory]
    [InlineData("Ssh:MaxAuthTries", "0", "Ssh: MaxAuthTries must be between 1 and 100.")]
    [InlineData("Ssh:ShutdownGraceTime", "02:00:00", "Ssh: ShutdownGraceTime must be between 0 and 1 hour.")]
    [InlineData("Ssh:MaxUnauthenticatedPerSource", "2000", "Ssh: MaxUnauthenticatedPerSource must be between 1 and the full value of MaxStartups.")]
    [InlineData("Ssh:MaxStartups", "100:30:10", "Ssh: MaxStartups '100:30:10' must be start:rate:full (for example 256:30:1024) with 1 <= start <= full <= 1000000 and rate from 1 to 100, or one number for a hard cap.")]
    [InlineData("Ssh:MaxStartups", "lots", "Ssh: MaxStartups 'lots' must be start:rate:full (for example 256:30:1024) with 1 <= start <= full <= 1000000 and rate from 1 to 100, or one number for a hard cap.")]
    [InlineData("Ssh:ExecRequestTimeout", "00:00:00", "Ssh: ExecRequestTimeout must be between 1 second and 1 hour.")]
    [InlineData("Ssh:MaxUnauthenticatedConnections", "4096", "SSH setting 'Ssh:MaxUnauthenticatedConnections' was replaced by 'Ssh:MaxStartups', start:rate:full (for example \"256:30:1024\"; one number N is a hard cap of N).")]
    [InlineData("Ssh:Algorithms:KeyExchange", "diffie-hellman-group1-sha1", "Ssh:Algorithms:KeyExchange: 'diffie-hellman-group1-sha1' is not supported. Supported: mlkem768x25519-sha256, sntrup761x25519-sha512, sntrup761x25519-sha512@openssh.com, curve25519-sha256, curve25519-sha256@libssh.org, diffie-hellman-group16-sha512, diffie-hellman-group18-sha512, diffie-hellman-group14-sha256.")]
    [InlineData("Ssh:Algorithms:Ciphers", "aes128-cbc", "Ssh:Algorithms:Ciphers: 'aes128-cbc' is not supported. Supported: chacha20-poly1305@openssh.com, aes256-gcm@openssh.com, aes128-gcm@openssh.com, aes256-ctr, aes192-ctr, aes128-ctr.")]
    [InlineData("Ssh:LoginGraceTime", "banana", "Invalid SSH setting: Failed to convert configuration value 'banana' at 'Ssh:LoginGraceTime' to type 'System.TimeSpan'.")]
    public void BadValuesStopTheServerWithAClearMessage(string key, string value, string message)
    {
        var e = Assert.Throws<WharfException>(() => Build((key, value)));
        Assert.Equal(ErrorCategory.InvalidArgument, e.Category);
        Assert.Equal(message, e.Message);
    }

    private static SessionSettings Sessions(params (string Key, string Value)[] settings) =>
        SessionSettings.Build(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());

    [Fact]
    public void SessionLimitsHaveTheDocumentedDefaultsAndAreKnownSshSettings()
    {
        var defaults = Sessions();
        Assert.Equal((512, 256, TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(5)),
            (defaults.MaxSessionsPerAccount, defaults.MaxSessionsPerKey, defaults.NoProgressTimeout, defaults.RevocationCheckInterval));

        (string, string)[] set = [("Ssh:MaxSessionsPerAccount", "3"), ("Ssh:MaxSessionsPerKey", "2"), ("Ssh:NoProgressTimeout", "00:00:30"), ("Ssh:RevocationCheckInterval", "00:00:02")];
        Build(set); // not refused as unknown by the library's settings
        var custom = Sessions(set);
        Assert.Equal((3, 2, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2)),
            (custom.MaxSessionsPerAccount, custom.MaxSessionsPerKey, custom.NoProgressTimeout, custom.RevocationCheckInterval));
        Assert.Equal(Timeout.InfiniteTimeSpan, Sessions(("Ssh:NoProgressTimeout", "-00:00:00.001")).NoProgressTimeout);
    }

    [Theory]
    [InlineData("Ssh:MaxSessionsPerKey", "0", "Ssh: MaxSessionsPerKey must be a whole number from 1 to 1000000.")]
    [InlineData("Ssh:MaxSessionsPerAccount", "many", "Ssh: MaxSessionsPerAccount must be a whole number from 1 to 1000000.")]
    [InlineData("Ssh:NoProgressTimeout", "00:00:00.5", "Ssh: NoProgressTimeout must be between 1 second and 1 day, or infinite (-00:00:00.001).")]
    [InlineData("Ssh:NoProgressTimeout", "soon", "Ssh: NoProgressTimeout must be a duration such as 00:10:00.")]
    [InlineData("Ssh:RevocationCheckInterval", "00:00:00", "Ssh: RevocationCheckInterval must be between 1 second and 1 hour.")]
    public void BadSessionLimitsStopTheServerWithAClearMessage(string key, string value, string message)
    {
        var e = Assert.Throws<WharfException>(() => Sessions((key, value)));
        Assert.Equal((ErrorCategory.InvalidArgument, message), (e.Category, e.Message));
    }

    [Fact]
    public void AMisspeltSettingIsNotSilentlyIgnored()
    {
        var e = Assert.Throws<WharfException>(() => Build(("Ssh:MaxAuthTrys", "3")));
        Assert.StartsWith("Unknown SSH setting 'Ssh:MaxAuthTrys'. Known settings: ", e.Message);
    }

    private static IConfiguration Config(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    [Theory]
    [InlineData(null, null, "127.0.0.1:2222")]
    [InlineData("0.0.0.0:22", null, "0.0.0.0:22")]
    [InlineData(null, "0.0.0.0:22;[::]:22;0.0.0.0:443", "0.0.0.0:22 [::]:22 0.0.0.0:443")]
    [InlineData(null, "0.0.0.0:22, 0.0.0.0:443", "0.0.0.0:22 0.0.0.0:443")]
    [InlineData("127.0.0.1:0;[::1]:0", "0.0.0.0:22", "127.0.0.1:0 [::1]:0")]
    public void ListenTakesOneAddressOrSeveralAndTheOptionWins(string? option, string? setting, string expected)
    {
        var configuration = setting is null ? Config() : Config(("Ssh:Listen", setting));
        Assert.Equal(expected, string.Join(' ', SshSettings.Listen(configuration, option, "127.0.0.1:2222")));
        // The SSH settings accept the key.
        if (setting is not null) Build(("Ssh:Listen", setting));
    }

    [Fact]
    public void ListenAlsoTakesAJsonArray()
    {
        var configuration = Config(("Ssh:Listen:0", "0.0.0.0:22"), ("Ssh:Listen:1", "0.0.0.0:443"));
        Assert.Equal("0.0.0.0:22 0.0.0.0:443", string.Join(' ', SshSettings.Listen(configuration, null, "127.0.0.1:2222")));
    }

    [Theory]
    [InlineData("0.0.0.0:22;ssh.example.org:443", "Invalid Ssh:Listen address 'ssh.example.org:443': expected ADDRESS:PORT such as 127.0.0.1:8080 or [::1]:8080.")]
    [InlineData("0.0.0.0:22;;0.0.0.0:443", "Invalid Ssh:Listen '0.0.0.0:22;;0.0.0.0:443': expected ADDRESS:PORT, or several separated by ';' such as 0.0.0.0:22;[::]:22;0.0.0.0:443.")]
    [InlineData("0.0.0.0:22;0.0.0.0:22", "Invalid Ssh:Listen: 0.0.0.0:22 is listed twice.")]
    public void ABadListenSettingSaysWhatToWrite(string setting, string message)
    {
        var e = Assert.Throws<WharfException>(() => SshSettings.Listen(Config(("Ssh:Listen", setting)), null, "127.0.0.1:2222"));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void TrustedProxiesTurnOnThePROXYProtocolForThoseAddressesOnly()
    {
        Assert.Null(Build().ProxyProtocol.IsTrustedSender);
        var trusted = Build(("Ssh:TrustedProxies", "10.0.0.0/8, 192.0.2.10")).ProxyProtocol.IsTrustedSender!;
        Assert.True(trusted(System.Net.IPAddress.Parse("10.1.2.3")));
        Assert.True(trusted(System.Net.IPAddress.Parse("192.0.2.10")));
        Assert.True(trusted(System.Net.IPAddress.Parse("::ffff:192.0.2.10")));
        Assert.False(trusted(System.Net.IPAddress.Parse("192.0.2.11")));
    }

    [Fact]
    public void ABadTrustedProxyStopsTheStart()
    {
        var e = Assert.Throws<WharfException>(() => Build(("Ssh:TrustedProxies", "haproxy.local")));
        Assert.Equal("Invalid setting 'Ssh:TrustedProxies': 'haproxy.local' is not an IP address or a CIDR range (for example 127.0.0.1, ::1 or 10.0.0.0/8).", e.Message);
    }
}
