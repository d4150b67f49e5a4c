using System.Globalization;
using Wharf.Core.Errors;
using Wharf.Core.Keys;
using Wharf.Server.Ssh;

namespace Wharf.Server.Web.Accounts;

/// <summary>
/// The Add key form as it was sent: the values typed, and the refusal beside the field it is about (a label
/// refusal beside Label, an expiry refusal beside Expires, every other refusal from <see cref="KeyErrors"/> beside Key).
/// </summary>
public sealed record AddKeyForm(string Label = "", string Key = "", string Expires = "",
    string? LabelError = null, string? KeyError = null, string? ExpiresError = null, string Usage = KeyUsages.AuthenticationName, string? UsageError = null,
    string Challenge = "", string Proof = "", string? ProofError = null)
{
    public static AddKeyForm Refused(WharfException e, string label, string key, string expires, string usage = KeyUsages.AuthenticationName,
        string challenge = "", string proof = "") => e.Code switch
    {
        { } c when c.StartsWith("label-", StringComparison.Ordinal) => new(label, key, expires, LabelError: e.Message, Usage: usage, Challenge: challenge, Proof: proof),
        { } c when c.StartsWith("expiry-", StringComparison.Ordinal) => new(label, key, expires, ExpiresError: e.Message, Usage: usage, Challenge: challenge, Proof: proof),
        KeyErrors.UsageBad => new(label, key, expires, UsageError: e.Message, Challenge: challenge, Proof: proof),
        KeyErrors.ProofBad => new(label, key, expires, Usage: usage, Challenge: challenge, Proof: proof, ProofError: e.Message),
        _ => new(label, key, expires, KeyError: e.Message, Usage: usage, Challenge: challenge, Proof: proof),
    };
}

/// <summary>A refused rename: which key's form to show open, what was typed, and the refusal beside the field.</summary>
public sealed record RenameForm(Guid Key, string Label, string Error);

/// <summary>One host key as the first-connection prompt shows it ("ED25519 key fingerprint is SHA256:...").</summary>
public sealed record HostKeyFingerprint(string Name, string Fingerprint)
{
    /// <summary>The name OpenSSH's prompt uses for a key type.</summary>
    public static string NameOf(string keyType) => keyType switch
    {
        "ssh-ed25519" => "ED25519",
        "ssh-rsa" => "RSA",
        _ when keyType.StartsWith("ecdsa-", StringComparison.Ordinal) => "ECDSA",
        _ => keyType,
    };
}

/// <summary>The facts the set-up guide writes its commands with: who you are and where this server's SSH listens.</summary>
public sealed record KeyGuide(string Email, string UserName, string Host, int Port, IReadOnlyList<HostKeyFingerprint> HostKeys)
{
    /// <summary>The file ssh-keygen writes by default for an Ed25519 key.</summary>
    public const string KeyFile = "~/.ssh/id_ed25519";

    public string KeygenCommand => $"ssh-keygen -t ed25519 -C \"{Email}\"";

    /// <summary><c>ssh -T git@HOST</c>, with <c>-p PORT</c> when the port is not 22.</summary>
    public string TestCommand => Port == 22 ? $"ssh -T git@{Host}" : $"ssh -T -p {Port.ToString(CultureInfo.InvariantCulture)} git@{Host}";

    /// <summary>The same test with <c>-v</c>, for the troubleshooting section.</summary>
    public string VerboseTestCommand => TestCommand.Replace("ssh -T", "ssh -vT", StringComparison.Ordinal);

    /// <summary>What the server answers a key that works (the first line of its greeting).</summary>
    public string ExpectedReply => $"logged in as {UserName}.";

    /// <summary>A <c>~/.ssh/config</c> block so that plain <c>ssh git@HOST</c> (and git) use the right port and key; null on port 22.</summary>
    public string? ConfigBlock => Port == 22 ? null : string.Join('\n',
        $"Host {Host}",
        $"  HostName {Host}",
        $"  Port {Port.ToString(CultureInfo.InvariantCulture)}",
        "  User git",
        $"  IdentityFile {KeyFile}",
        "  AddKeysToAgent yes");

    /// <summary>macOS: the same, keeping the passphrase in the keychain.</summary>
    public string MacConfigBlock => string.Join('\n', (string[])
    [
        $"Host {Host}",
        $"  HostName {Host}",
        .. Port == 22 ? Array.Empty<string>() : [$"  Port {Port.ToString(CultureInfo.InvariantCulture)}"],
        "  User git",
        $"  IdentityFile {KeyFile}",
        "  AddKeysToAgent yes",
        "  UseKeychain yes",
    ]);
}

/// <summary>The key the guide watches for its first login.</summary>
public sealed record KeyWatch(Guid Uuid, string Label, KeyStatus Status);

/// <summary>
/// The answer of <c>GET /account/ssh-keys/{id}/status</c>: whether the key has logged in yet, when, from where
/// (when this node saw the login), and the sentence the guide shows.
/// </summary>
public sealed record KeyStatus(string Label, bool Used, DateTimeOffset? LastUsedAt, string? Address, string Message)
{
    public static KeyStatus Of(SshKey key, KeyLogin? login)
    {
        // The in-memory login is newer than the stored time until the next flush writes it.
        var at = login is not null && (key.LastUsedAt is null || login.At >= key.LastUsedAt) ? login.At : key.LastUsedAt;
        var address = login is not null && login.At == at ? login.Address : null;
        var label = Display.Quote(key.Label, SshKeyService.MaxLabelLength);
        var message = at is not { } t
            ? $"Your key {label} has not connected yet. Run the test command; this page notices the first login."
            : $"Your key {label} connected at {t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)}"
              + (address is null ? "" : $" from {address}") + ": it works";
        return new KeyStatus(key.Label, at is not null, at, address, message);
    }
}
