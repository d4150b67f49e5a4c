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

    /// <summary>
    /// Host keys announced to clients but never used to sign a key exchange: the next keys of a rotation
    /// (<c>hostkeys-00@openssh.com</c>, docs/SSH-INTEROP.md §18). Clients that update their known_hosts learn them
    /// before the server starts signing with them.
    /// </summary>
    public List<SshHostKey> AnnouncedHostKeys { get; } = [];

    /// <summary>
    /// Whether to send <c>hostkeys-00@openssh.com</c> (every host key, signing and announced) after each login and to answer
    /// <c>hostkeys-prove-00@openssh.com</c>. On by default, as in OpenSSH's sshd; clients that do not know the request ignore it
    /// (it wants no reply, RFC 4254 §4).
    /// </summary>
    public bool AnnounceHostKeys { get; set; } = true;

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
    /// Connections not yet authenticated, in total, as OpenSSH's MaxStartups <c>start:rate:full</c>: below
    /// <c>start</c> every connection is admitted; from <c>start</c> on each new one is refused with probability
    /// <c>rate</c>% rising linearly to 100% at <c>full</c>; at <c>full</c> every one is refused (reason 12). The
    /// random drop means a few addresses holding many half-open connections cannot refuse everyone else's logins:
    /// theirs are dropped as often as anyone's. A single number <c>N</c> is a hard cap (<c>N:100:N</c>). sshd's
    /// default is 10:30:100 because it forks per connection; a Wharf connection waiting for login costs a few
    /// kilobytes, and <c>start</c> is at least <see cref="MaxUnauthenticatedPerSource"/> so a CI burst from one
    /// address is never dropped on an otherwise quiet server.
    /// </summary>
    public string MaxStartups { get; set; } = "256:30:1024";

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
    /// Close a session channel that has not sent <c>exec</c> or <c>shell</c> this long after it was opened, so an
    /// opened-but-unused channel holds nothing (every real client sends its request at once). A channel with no
    /// running command also does not keep the connection from its <see cref="IdleTimeout"/>.
    /// </summary>
    public TimeSpan ExecRequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

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

    /// <summary>
    /// Accept RSA user signatures made with SHA-1 (<c>ssh-rsa</c>, RFC 4253 §6.6). Off: RFC 8332 §3.3 and OpenSSH since 8.8
    /// refuse them, and <c>server-sig-algs</c> never lists them. Needed only for RSA keys in clients that cannot sign
    /// with SHA-2, such as libssh2 1.10 (libgit2, curl; docs/SSH-INTEROP.md §17).
    /// </summary>
    public bool AllowRsaSha1Signatures { get; set; }

    /// <summary>Sessions (channels) open at once on one connection. Matches OpenSSH's MaxSessions.</summary>
    public int MaxSessions { get; set; } = 10;

    /// <summary>Receive window we grant per channel. OpenSSH and Go use 2 MiB.</summary>
    public int ChannelWindowSize { get; set; } = 2 * 1024 * 1024;

    /// <summary>Largest channel data we accept in one packet. OpenSSH and Go use 32 KiB.</summary>
    public int ChannelMaxPacketSize { get; set; } = 32 * 1024;

    /// <summary>Environment variables passed from <c>env</c> requests to the application. Only git's protocol selector by default.</summary>
    public HashSet<string> AllowedEnvironment { get; } = new(StringComparer.Ordinal) { "GIT_PROTOCOL" };

    /// <summary>Which senders put a PROXY protocol header before the SSH bytes, and how long one may take to arrive.</summary>
    public ProxyProtocolOptions ProxyProtocol { get; } = new();

    /// <summary>Key exchange algorithms offered, in preference order. Null means the library's defaults.</summary>
    public List<string>? KeyExchangeAlgorithms { get; set; }
    /// <summary>Ciphers offered, in preference order. Null means the library's defaults.</summary>
    public List<string>? Ciphers { get; set; }
    /// <summary>MACs offered, in preference order. Null means the library's defaults.</summary>
    public List<string>? Macs { get; set; }
    /// <summary>Compression offered, in preference order. Null means the library's defaults (none, zlib@openssh.com).</summary>
    public List<string>? Compression { get; set; }

    /// <summary>
    /// Sees every payload a connection reads, after decryption, before it is handled. Internal (no setting turns it on):
    /// only the fuzzing project's corpus recorder (tests/Wharf.Fuzz) sets it, to keep what real clients send as seeds.
    /// </summary>
    internal Action<ReadOnlyMemory<byte>>? ReceivedPayloadObserver { get; set; }

    public void Validate()
    {
        if (HostKeys.Count == 0) throw new InvalidOperationException("Ssh: at least one host key is required.");
        Check(MaxInboundPacketSize is >= 35000 and <= 16 * 1024 * 1024, "MaxInboundPacketSize must be between 35000 and 16 MiB (RFC 4253 §6.1 requires 35000).");
        Check(LoginGraceTime > TimeSpan.Zero && LoginGraceTime <= TimeSpan.FromHours(1), "LoginGraceTime must be between 0 and 1 hour.");
        Check(MaxAuthTries is >= 1 and <= 100, "MaxAuthTries must be between 1 and 100.");
        Check(MaxAuthRequests >= MaxAuthTries && MaxAuthRequests <= 1000, "MaxAuthRequests must be at least MaxAuthTries and at most 1000.");
        var startups = ParseMaxStartups(MaxStartups);
        Check(startups is not null, $"MaxStartups '{MaxStartups}' must be start:rate:full (for example 256:30:1024) with 1 <= start <= full <= 1000000 and rate from 1 to 100, or one number for a hard cap.");
        Check(MaxUnauthenticatedPerSource >= 1 && MaxUnauthenticatedPerSource <= startups!.Value.Full, "MaxUnauthenticatedPerSource must be between 1 and the full value of MaxStartups.");
        Check(IdleTimeout == Timeout.InfiniteTimeSpan || IdleTimeout >= TimeSpan.FromSeconds(1), "IdleTimeout must be at least 1 second, or infinite.");
        Check(ExecRequestTimeout >= TimeSpan.FromSeconds(1) && ExecRequestTimeout <= TimeSpan.FromHours(1), "ExecRequestTimeout must be between 1 second and 1 hour.");
        Check(ShutdownGraceTime >= TimeSpan.Zero && ShutdownGraceTime <= TimeSpan.FromHours(1), "ShutdownGraceTime must be between 0 and 1 hour.");
        Check(MaxHeldDuringKeyExchange is >= 8 and <= 10_000, "MaxHeldDuringKeyExchange must be between 8 and 10000.");
        Check(RekeyAfterBytes >= 64 * 1024, "RekeyAfterBytes must be at least 64 KiB.");
        Check(RekeyAfterTime >= TimeSpan.FromSeconds(1), "RekeyAfterTime must be at least 1 second.");
        Check(MinimumRsaBits is >= 1024 and <= 16384, "MinimumRsaBits must be between 1024 and 16384.");
        Check(MaxSessions is >= 1 and <= 1000, "MaxSessions must be between 1 and 1000.");
        Check(ChannelWindowSize is >= 32 * 1024 and <= 64 * 1024 * 1024, "ChannelWindowSize must be between 32 KiB and 64 MiB.");
        Check(ChannelMaxPacketSize is >= 1024 and <= 32 * 1024, "ChannelMaxPacketSize must be between 1 KiB and 32 KiB (dropbear refuses packets over 35000 bytes).");
        Check(ProxyProtocol.HeaderTimeout >= TimeSpan.FromMilliseconds(100) && ProxyProtocol.HeaderTimeout <= TimeSpan.FromMinutes(1), "the PROXY protocol header timeout must be between 100 ms and 1 minute.");
        Algorithms.SshAlgorithms.ValidateKex(KeyExchangeAlgorithms);
        Algorithms.SshAlgorithms.ValidateCiphers(Ciphers);
        Algorithms.SshAlgorithms.ValidateMacs(Macs);
        Algorithms.SshAlgorithms.ValidateCompression(Compression);
    }

    /// <summary>Reads <see cref="MaxStartups"/>: <c>start:rate:full</c>, or <c>N</c> for <c>N:100:N</c>. Null when malformed.</summary>
    internal static (int Start, int Rate, int Full)? ParseMaxStartups(string? text)
    {
        var parts = (text ?? "").Split(':');
        var numbers = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out numbers[i])) return null;
        (int Start, int Rate, int Full) v = numbers.Length switch
        {
            1 => (numbers[0], 100, numbers[0]),
            3 => (numbers[0], numbers[1], numbers[2]),
            _ => (0, 0, 0),
        };
        return v.Start >= 1 && v.Start <= v.Full && v.Full <= 1_000_000 && v.Rate is >= 1 and <= 100 ? v : null;
    }

    private static void Check(bool ok, string message)
    {
        if (!ok) throw new InvalidOperationException("Ssh: " + message);
    }
}

/// <summary>
/// The PROXY protocol on the listener (<see cref="Transport.ProxyProtocol"/>): a connection from a sender for which
/// <see cref="IsTrustedSender"/> returns true must start with a header, whose client address then stands for the
/// connection everywhere (logs, the handler's requests, per-source admission); from any other sender no header is
/// read, and one that arrives is refused as a malformed identification line. The library knows no list of proxies:
/// the application decides who is trusted.
/// </summary>
public sealed class ProxyProtocolOptions
{
    /// <summary>Null (the default): no sender is trusted, no header is ever read. Addresses of IPv4 peers arrive as IPv4.</summary>
    public Func<System.Net.IPAddress, bool>? IsTrustedSender { get; set; }

    /// <summary>
    /// How long a trusted sender has to deliver the whole header. 5 s: a proxy writes it with the connection's first
    /// bytes, so a longer wait would only hold a socket open for a peer that is not behaving as a proxy. Not counted
    /// against <see cref="SshServerOptions.MaxStartups"/> until the header is read (admission needs the client's address).
    /// </summary>
    public TimeSpan HeaderTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
