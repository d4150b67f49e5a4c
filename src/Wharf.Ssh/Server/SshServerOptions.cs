using Wharf.Ssh.Keys;

namespace Wharf.Ssh.Server;

/// <summary>
/// Settings of the SSH server. Every limit has a documented default with its precedent
/// (docs/ARCHITECTURE.md, design rule 5); <see cref="Validate"/> runs at start so a bad value stops the server, not a login.
/// </summary>
public sealed class SshServerOptions
{
    /// <summary>Host keys, in the order their algorithms are offered. At least one is required.</summary>
    public List<SshHostKey> HostKeys { get; } = [];

    /// <summary>The software version in our identification line (<c>SSH-2.0-Wharf_x</c>).</summary>
    public string SoftwareVersion { get; set; } = "Wharf_0.1";

    /// <summary>Largest inbound packet accepted. Matches OpenSSH's PACKET_MAX_SIZE and Go's maxPacket (256 KiB).</summary>
    public int MaxInboundPacketSize { get; set; } = 256 * 1024;

    /// <summary>Time from connect to successful authentication. OpenSSH's LoginGraceTime is 120 s; a git client needs far less.</summary>
    public TimeSpan LoginGraceTime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Failed authentication requests before disconnect, counted as OpenSSH counts (an initial "none" is free).
    /// 10 rather than OpenSSH's 6: people with many keys in their agent (dropbear and russh also use 10).</summary>
    public int MaxAuthTries { get; set; } = 10;

    /// <summary>Authentication requests of any kind (queries included) before disconnect. Go caps at 128; half that is plenty.</summary>
    public int MaxAuthRequests { get; set; } = 64;

    /// <summary>
    /// Connections not yet authenticated, in total; more are refused at once with "too many connections"
    /// instead of slowing everyone down. sshd's MaxStartups hard limit is 100 because it forks per
    /// connection; a Wharf connection waiting for login costs a few kilobytes, so the cap is higher.
    /// </summary>
    public int MaxUnauthenticatedConnections { get; set; } = 1024;

    /// <summary>
    /// Connections not yet authenticated from one source address. dropbear allows 5; Wharf allows a burst of
    /// 256 because a CI farm behind one NAT address opens hundreds of clones at once. Lower it on servers
    /// that face the open internet.
    /// </summary>
    public int MaxUnauthenticatedPerSource { get; set; } = 256;

    /// <summary>
    /// Close a connection that has received nothing and run no session for this long. russh's default
    /// inactivity timeout is 600 s. <see cref="Timeout.InfiniteTimeSpan"/> turns it off.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// On shutdown (SIGTERM, Ctrl+C), how long running sessions (a push, a clone) may go on before they are ended;
    /// new connections and sessions are refused meanwhile. 30 s is the .NET host's and Kestrel's shutdown timeout;
    /// systemd's TimeoutStopSec (90 s) must stay above it.
    /// </summary>
    public TimeSpan ShutdownGraceTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Messages held back while a key exchange is in progress before the peer is disconnected. Go caps its queue at 64.</summary>
    public int MaxHeldDuringKeyExchange { get; set; } = 64;

    /// <summary>Bytes in either direction after which the server starts a new key exchange (asyncssh: 1 GiB; OpenSSH rekeys chacha20 at 1 GiB).</summary>
    public long RekeyAfterBytes { get; set; } = 1L << 30;

    /// <summary>Time after which the server starts a new key exchange (asyncssh: 1 hour).</summary>
    public TimeSpan RekeyAfterTime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Smallest RSA user key accepted for login. 2048 bits: NIST SP 800-131A; OpenSSH's floor is 1024.</summary>
    public int MinimumRsaBits { get; set; } = 2048;

    /// <summary>Sessions (channels) open at once on one connection. Matches OpenSSH's MaxSessions.</summary>
    public int MaxSessions { get; set; } = 10;

    /// <summary>Receive window we grant per channel. OpenSSH and Go use 2 MiB.</summary>
    public int ChannelWindowSize { get; set; } = 2 * 1024 * 1024;

    /// <summary>Largest channel data we accept in one packet. OpenSSH and Go use 32 KiB.</summary>
    public int ChannelMaxPacketSize { get; set; } = 32 * 1024;

    /// <summary>Environment variables passed from <c>env</c> requests to the application. Only git's protocol selector by default.</summary>
    public HashSet<string> AllowedEnvironment { get; } = new(StringComparer.Ordinal) { "GIT_PROTOCOL" };

    /// <summary>Key exchange algorithms offered, in preference order. Null means the library's defaults.</summary>
    public List<string>? KeyExchangeAlgorithms { get; set; }
    /// <summary>Ciphers offered, in preference order. Null means the library's defaults.</summary>
    public List<string>? Ciphers { get; set; }
    /// <summary>MACs offered, in preference order. Null means the library's defaults.</summary>
    public List<string>? Macs { get; set; }
    /// <summary>Compression offered, in preference order. Null means the library's defaults (none, zlib@openssh.com).</summary>
    public List<string>? Compression { get; set; }

    public void Validate()
    {
        if (HostKeys.Count == 0) throw new InvalidOperationException("Ssh: at least one host key is required.");
        Check(MaxInboundPacketSize is >= 35000 and <= 16 * 1024 * 1024, "MaxInboundPacketSize must be between 35000 and 16 MiB (RFC 4253 §6.1 requires 35000).");
        Check(LoginGraceTime > TimeSpan.Zero && LoginGraceTime <= TimeSpan.FromHours(1), "LoginGraceTime must be between 0 and 1 hour.");
        Check(MaxAuthTries is >= 1 and <= 100, "MaxAuthTries must be between 1 and 100.");
        Check(MaxAuthRequests >= MaxAuthTries && MaxAuthRequests <= 1000, "MaxAuthRequests must be at least MaxAuthTries and at most 1000.");
        Check(MaxUnauthenticatedConnections is >= 1 and <= 1_000_000, "MaxUnauthenticatedConnections must be between 1 and 1000000.");
        Check(MaxUnauthenticatedPerSource >= 1 && MaxUnauthenticatedPerSource <= MaxUnauthenticatedConnections, "MaxUnauthenticatedPerSource must be between 1 and MaxUnauthenticatedConnections.");
        Check(IdleTimeout == Timeout.InfiniteTimeSpan || IdleTimeout >= TimeSpan.FromSeconds(1), "IdleTimeout must be at least 1 second, or infinite.");
        Check(ShutdownGraceTime >= TimeSpan.Zero && ShutdownGraceTime <= TimeSpan.FromHours(1), "ShutdownGraceTime must be between 0 and 1 hour.");
        Check(MaxHeldDuringKeyExchange is >= 8 and <= 10_000, "MaxHeldDuringKeyExchange must be between 8 and 10000.");
        Check(RekeyAfterBytes >= 64 * 1024, "RekeyAfterBytes must be at least 64 KiB.");
        Check(RekeyAfterTime >= TimeSpan.FromSeconds(1), "RekeyAfterTime must be at least 1 second.");
        Check(MinimumRsaBits is >= 1024 and <= 16384, "MinimumRsaBits must be between 1024 and 16384.");
        Check(MaxSessions is >= 1 and <= 1000, "MaxSessions must be between 1 and 1000.");
        Check(ChannelWindowSize is >= 32 * 1024 and <= 64 * 1024 * 1024, "ChannelWindowSize must be between 32 KiB and 64 MiB.");
        Check(ChannelMaxPacketSize is >= 1024 and <= 32 * 1024, "ChannelMaxPacketSize must be between 1 KiB and 32 KiB (dropbear refuses packets over 35000 bytes).");
        Algorithms.SshAlgorithms.ValidateKex(KeyExchangeAlgorithms);
        Algorithms.SshAlgorithms.ValidateCiphers(Ciphers);
        Algorithms.SshAlgorithms.ValidateMacs(Macs);
        Algorithms.SshAlgorithms.ValidateCompression(Compression);
    }

    private static void Check(bool ok, string message)
    {
        if (!ok) throw new InvalidOperationException("Ssh: " + message);
    }
}
