using System.Globalization;
using System.Net;
using Wharf.Core;
using Wharf.Core.Errors;
using Wharf.Ssh.Keys;

namespace Wharf.Server.Ssh;

/// <summary>
/// OpenSSH user certificates on Wharf (OpenSSH PROTOCOL.certkeys): which authorities are trusted
/// (<c>Ssh:TrustedUserCAKeys</c>), what is revoked (<c>Ssh:RevokedKeys</c>), which accounts may log in with
/// certificates only (<c>Ssh:RequireCertificates</c>) and the clock skew allowed on the validity window
/// (<c>Ssh:CertificateClockSkew</c>). Built and validated before anything listens; defaults in docs/OPERATIONS.md,
/// "User certificates". The checks here decide; the SSH library only parsed the certificate and verified its
/// authority's signature (docs/ARCHITECTURE.md, design rule 2).
/// </summary>
public sealed class UserCertificates
{
    /// <summary>Five minutes either side, the skew Kerberos allows; OpenSSH's sshd allows none, but its users' clocks are the server's own.</summary>
    public static readonly TimeSpan DefaultClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>The only critical options Wharf knows (PROTOCOL.certkeys); any other refuses the certificate, as the spec requires.</summary>
    public const string ForceCommandOption = "force-command";
    public const string SourceAddressOption = "source-address";

    /// <summary>The setting names under <c>Ssh</c> that this class reads.</summary>
    public static readonly IReadOnlySet<string> SettingNames = new SortedSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "TrustedUserCAKeys", "RevokedKeys", "RequireCertificates", "CertificateClockSkew",
    };

    private readonly string? _revokedPath;
    private readonly Lock _revokedLock = new();
    private RevokedKeys _revoked = RevokedKeys.None;
    private DateTime _revokedStamp;
    private long _revokedLength = -1;

    private UserCertificates(IReadOnlyList<SshPublicKey> authorities, string? revokedPath, IReadOnlySet<string> required, bool requiredForAll, TimeSpan skew)
    {
        Authorities = authorities;
        _revokedPath = revokedPath;
        RequiredFor = required;
        RequiredForAll = requiredForAll;
        ClockSkew = skew;
        if (revokedPath is not null) _ = Revoked; // read now: a bad file stops the start
    }

    /// <summary>No authority trusted, nothing revoked, plain keys accepted everywhere (no <c>Ssh</c> settings).</summary>
    public static UserCertificates None { get; } = new([], null, new HashSet<string>(), false, DefaultClockSkew);

    public IReadOnlyList<SshPublicKey> Authorities { get; }
    public IReadOnlySet<string> RequiredFor { get; }
    public bool RequiredForAll { get; }
    public TimeSpan ClockSkew { get; }

    /// <summary>True when plain keys may not log in to this account (<c>Ssh:RequireCertificates</c>).</summary>
    public bool Requires(string userName) => RequiredForAll || RequiredFor.Contains(Wharf.Core.Names.Lower(userName));

    /// <summary>
    /// The revocation list, read again whenever the file changed (size or modification time), so that
    /// <c>ssh-keygen -k -u</c> takes effect at the next login without a restart. A file that became unreadable or
    /// malformed throws: certificate logins stop rather than ignore revocations (docs/ARCHITECTURE.md, design rule 7).
    /// </summary>
    public RevokedKeys Revoked
    {
        get
        {
            if (_revokedPath is null) return RevokedKeys.None;
            lock (_revokedLock)
            {
                var info = new FileInfo(_revokedPath);
                if (!info.Exists) throw WharfException.InvalidArgument($"The revoked keys file {_revokedPath} (Ssh:RevokedKeys) does not exist.");
                if (info.LastWriteTimeUtc != _revokedStamp || info.Length != _revokedLength)
                {
                    _revoked = RevokedKeys.Parse(File.ReadAllBytes(_revokedPath), _revokedPath);
                    _revokedStamp = info.LastWriteTimeUtc;
                    _revokedLength = info.Length;
                }
                return _revoked;
            }
        }
    }

    /// <summary>Reads and validates the settings; a bad value stops the command (docs/ARCHITECTURE.md, design rule 5).</summary>
    public static UserCertificates Build(IConfiguration? configuration, WharfPaths paths)
    {
        if (configuration is null) return None;
        var section = configuration.GetSection(SshSettings.Section);
        var authorities = new List<SshPublicKey>();
        foreach (var item in Values(section, "TrustedUserCAKeys"))
        {
            var first = item.Split((char[]?)null, 2)[0];
            if (SshKeyTypes.IsKnown(first)) authorities.Add(Authority(item, "Ssh:TrustedUserCAKeys"));
            else
            {
                var path = Path.Combine(paths.DataDirectory, item);
                if (!File.Exists(path)) throw Invalid("TrustedUserCAKeys", $"{Display.Quote(item)} is neither a public key line nor an existing file");
                foreach (var line in File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
                    authorities.Add(Authority(line, path));
            }
        }
        string? revoked = null;
        if (section["RevokedKeys"] is { Length: > 0 } revokedSetting)
        {
            revoked = Path.Combine(paths.DataDirectory, revokedSetting);
            if (!File.Exists(revoked)) throw Invalid("RevokedKeys", $"the file {Display.Quote(revokedSetting)} does not exist");
        }
        var required = new HashSet<string>(StringComparer.Ordinal);
        var all = false;
        foreach (var name in Values(section, "RequireCertificates"))
        {
            if (name == "*") all = true;
            else if (Wharf.Core.Names.IsValidUserName(name)) required.Add(Wharf.Core.Names.Lower(name));
            else throw Invalid("RequireCertificates", $"{Display.Quote(name)} is not an account name or *");
        }
        var skew = DefaultClockSkew;
        if (section["CertificateClockSkew"] is { } skewText)
        {
            if (!TimeSpan.TryParse(skewText, CultureInfo.InvariantCulture, out skew) || skew < TimeSpan.Zero || skew > TimeSpan.FromHours(1))
                throw Invalid("CertificateClockSkew", "must be a duration from 00:00:00 to 01:00:00");
        }
        if ((all || required.Count > 0) && authorities.Count == 0)
            throw Invalid("RequireCertificates", "needs at least one authority in Ssh:TrustedUserCAKeys, or nobody it names could log in");
        return new UserCertificates(authorities, revoked, required, all, skew);
    }

    private static SshPublicKey Authority(string line, string source)
    {
        try
        {
            return SshPublicKey.ParseOpenSsh(line);
        }
        catch (SshKeyFormatException e)
        {
            throw WharfException.InvalidArgument($"Invalid SSH setting 'Ssh:TrustedUserCAKeys': a key in {source} cannot be read: {e.Message}");
        }
    }

    /// <summary>A JSON array, or one string with comma-separated values (an environment variable).</summary>
    private static IEnumerable<string> Values(IConfigurationSection section, string name)
    {
        var s = section.GetSection(name);
        if (!s.Exists()) return [];
        var values = s.Value is { } single
            // A key line has spaces but no commas; a list of names has commas.
            ? (SshKeyTypes.IsKnown(single.Split((char[]?)null, 2)[0]) ? single.Split('\n') : single.Split(','))
            : s.GetChildren().Select(c => c.Value ?? "");
        return values.Select(v => v.Trim()).Where(v => v.Length > 0).ToList();
    }

    private static WharfException Invalid(string name, string rule) =>
        WharfException.InvalidArgument($"Invalid SSH setting 'Ssh:{name}': {rule}.");

    /// <summary>
    /// Every check that needs no database: a trusted authority, a user certificate, not revoked, inside its
    /// validity window (with <see cref="ClockSkew"/>), known critical options only, a well-formed force-command, the
    /// client's address inside source-address, at least one principal. Null when it passes; else why not.
    /// </summary>
    /// <param name="sourceCheckedElsewhere">True for sshd's AuthorizedPrincipalsCommand, which is not told the client's
    /// address: sshd checks source-address itself, and <c>wharf shell</c> checks it again with the address.</param>
    public CertificateRefusal? Check(SshCertificate certificate, IPAddress? client, DateTimeOffset now, bool sourceCheckedElsewhere = false)
    {
        var ca = certificate.SignatureKey.FingerprintSha256;
        if (!Authorities.Contains(certificate.SignatureKey))
            return new("unknown-ca", $"the certificate authority {ca} is not trusted by this Wharf");
        if (certificate.Kind != SshCertificateKind.User)
            return new("not-user", "it is a host certificate, not a user certificate");
        if (Revoked.IsRevoked(certificate))
            return new("revoked", "it has been revoked");
        if (now + ClockSkew < certificate.ValidAfter)
            return new("not-yet-valid", $"it is not valid before {When(certificate.ValidAfter)}");
        if (!certificate.IsValidAt(now, ClockSkew))
            return new("expired", $"it expired on {When(certificate.ValidBefore)}");
        foreach (var option in certificate.CriticalOptions)
        {
            if (option.Name is not (ForceCommandOption or SourceAddressOption))
                return new("critical-option", $"it carries the critical option '{Clean(option.Name)}', which Wharf does not support");
            if (option.Value is null || (option.Name == ForceCommandOption && option.Value.Length == 0))
                return new("critical-option", $"its critical option '{option.Name}' is malformed");
        }
        if (!sourceCheckedElsewhere && certificate.CriticalOption(SourceAddressOption)?.Value is { } sources)
        {
            if (!TryParseSources(sources, out var networks))
                return new("source-address", $"its source-address '{Clean(sources)}' is malformed");
            var address = client is { IsIPv4MappedToIPv6: true } ? client.MapToIPv4() : client;
            if (address is null || !networks.Any(n => n.Contains(address)))
                return new("source-address", $"it may be used only from {Clean(sources)}, not from {address?.ToString() ?? "an unknown address"}");
        }
        if (certificate.Principals.Count == 0)
            return new("no-principal", "it names no principal (Wharf needs the account name as a principal)");
        return null;
    }

    /// <summary>The account the certificate names: its first principal that is an existing account (docs/OPERATIONS.md, "User certificates").</summary>
    public static async Task<Wharf.Core.Users.User?> AccountAsync(Wharf.Core.Users.IUserStore users, SshCertificate certificate, CancellationToken cancellationToken)
    {
        foreach (var name in certificate.Principals.Where(Wharf.Core.Names.IsValidUserName))
            if (await users.FindByNameAsync(name, cancellationToken) is { } user) return user;
        return null;
    }

    /// <summary>Why a certificate that passed <see cref="Check"/> still may not log in as <paramref name="account"/>, or null.</summary>
    public static CertificateRefusal? AccountRefusal(SshCertificate certificate, Wharf.Core.Users.User? account) =>
        account is null
            ? new("no-account", $"none of its principals ({Clean(string.Join(", ", certificate.Principals))}) is a Wharf account")
            : account.IsDisabled ? new("disabled", $"the Wharf account {account.Name} is disabled") : null;

    /// <summary>Parses OpenSSH's source-address list: comma-separated addresses and CIDR ranges.</summary>
    public static bool TryParseSources(string text, out List<IPNetwork> networks)
    {
        networks = [];
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (item.Contains('/'))
            {
                if (!IPNetwork.TryParse(item, out var network)) return false;
                networks.Add(network);
            }
            else if (IPAddress.TryParse(item, out var single))
                networks.Add(new IPNetwork(single, single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            else return false;
        }
        return networks.Count > 0;
    }

    /// <summary>A time as the greeting and refusals print it.</summary>
    public static string When(DateTimeOffset at) =>
        at == DateTimeOffset.MaxValue ? "forever" : at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>What the certificate's holder is told when it is refused (an SSH banner, printed by ssh on stderr).</summary>
    public static string RefusalBanner(SshCertificate certificate, string why) =>
        $"Wharf refused your certificate '{Clean(certificate.KeyId)}' from CA {certificate.SignatureKey.FingerprintSha256}: {why}.\n";

    /// <summary>Text from a certificate, safe for a log line or a banner: no control characters, at most 200 characters.</summary>
    public static string Clean(string text) => SshLog.Clean(text);
}

/// <summary>Why a certificate was refused: a short code for logs and the reason in words.</summary>
public sealed record CertificateRefusal(string Code, string Reason);

/// <summary>How a person logged in with a certificate: what the greeting, the logs and the checks before each command need.</summary>
public sealed record CertificateLogin(SshCertificate Certificate)
{
    public string KeyId => Certificate.KeyId;
    public ulong Serial => Certificate.Serial;
    public string AuthorityFingerprint => Certificate.SignatureKey.FingerprintSha256;
    public DateTimeOffset ValidBefore => Certificate.ValidBefore;
    /// <summary>The command the certificate forces (critical option force-command), or null.</summary>
    public string? ForceCommand => Certificate.CriticalOption(UserCertificates.ForceCommandOption)?.Value;
    public IReadOnlyList<SshCertificateOption> Extensions => Certificate.Extensions;

    /// <summary>What the key label column of logs and audit entries says for a certificate login.</summary>
    public string Label => $"certificate '{UserCertificates.Clean(KeyId)}'";

    /// <summary>The part of the greeting after the account name.</summary>
    public string Describe() =>
        $"certificate '{UserCertificates.Clean(KeyId)}' from CA {AuthorityFingerprint}, valid until {UserCertificates.When(ValidBefore)}";
}
