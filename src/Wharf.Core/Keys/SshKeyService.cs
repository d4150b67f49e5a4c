using Wharf.Core.Errors;
using Wharf.Core.Users;
using Wharf.Ssh.Keys;

namespace Wharf.Core.Keys;

public sealed class SshKeyService(ISshKeyStore keys, IUserStore users, TimeProvider time)
{
    // The SSH server accepts RSA from 2048 bits (issue 2); NIST SP 800-131A retired smaller moduli in 2013.
    public const int MinRsaBits = 2048;
    public const int MaxLabelLength = 100;

    /// <summary>Parses one OpenSSH public key line and registers it for <paramref name="userName"/>.</summary>
    public async Task<SshKey> AddAsync(string userName, string publicKeyLine, string? label, CancellationToken cancellationToken)
    {
        var user = await new UserService(users, time).GetAsync(userName, cancellationToken);
        var key = Parse(publicKeyLine);
        var chosenLabel = ChooseLabel(label, key);

        if (await keys.FindByFingerprintAsync(key.FingerprintSha256, cancellationToken) is not null)
            throw DuplicateKey(key.FingerprintSha256);

        var entity = new SshKey
        {
            UserId = user.Id,
            Fingerprint = key.FingerprintSha256,
            PublicKey = key.ToOpenSshLine(includeComment: false),
            KeyType = key.KeyType,
            Bits = key.Bits,
            Label = chosenLabel,
            CreatedAt = time.GetUtcNow(),
        };
        // The store checks uniqueness again: the index is the real guard against a concurrent add.
        await keys.AddAsync(entity, cancellationToken);
        return entity;
    }

    /// <summary>
    /// The message does not say whose key it is: on a later self-service page that would tell anyone who
    /// holds a public key which account it opens.
    /// </summary>
    public static WharfException DuplicateKey(string fingerprint) =>
        WharfException.AlreadyExists($"The key {fingerprint} is already registered on this Wharf; a key can belong to one account only.");

    private static SshPublicKey Parse(string line)
    {
        SshPublicKey key;
        try { key = SshPublicKey.ParseOpenSsh(line); }
        catch (SshKeyFormatException e) { throw WharfException.InvalidArgument("Invalid SSH public key: " + e.Message); }

        if (key.KeyType == SshKeyTypes.Rsa && key.Bits < MinRsaBits)
            throw WharfException.InvalidArgument($"The RSA key has {key.Bits} bits; Wharf accepts RSA keys from {MinRsaBits} bits.");
        return key;
    }

    private static string ChooseLabel(string? label, SshPublicKey key)
    {
        var chosen = (string.IsNullOrWhiteSpace(label) ? key.Comment : label)?.Trim();
        if (string.IsNullOrEmpty(chosen)) chosen = key.Family.ToLowerInvariant() + " key";
        if (chosen.Length > MaxLabelLength || chosen.Any(char.IsControl))
            throw WharfException.InvalidArgument($"Invalid key label {Display.Quote(label)}: use at most {MaxLabelLength} printable characters.");
        return chosen;
    }
}
