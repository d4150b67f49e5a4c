using Wharf.Core.Errors;
using Wharf.Ssh.Keys;

namespace Wharf.Core.Keys;

/// <summary>
/// Which keys this instance accepts: instance settings <c>Keys:AllowedTypes</c> (key type names as in a
/// key line) and <c>Keys:MinRsaBits</c>. DSA is not in the list and cannot be: the key reader refuses
/// <c>ssh-dss</c> outright (OpenSSH 7.0 disabled it in 2015).
/// </summary>
public sealed class KeyPolicy
{
    /// <summary>Bitbucket's limit for a key label; the column is sized to it.</summary>
    public const int MaxLabelLength = 255;

    public static readonly IReadOnlyList<string> DefaultAllowedTypes =
    [
        SshKeyTypes.Ed25519, SshKeyTypes.EcdsaP256, SshKeyTypes.EcdsaP384, SshKeyTypes.EcdsaP521, SshKeyTypes.Rsa,
        SshKeyTypes.SkEd25519, SshKeyTypes.SkEcdsaP256,
    ];

    // NIST SP 800-131A retired RSA below 2048 bits in 2013; OpenSSH's ssh-keygen defaults to 3072.
    public const int DefaultMinRsaBits = 2048;

    public KeyPolicy(IEnumerable<string>? allowedTypes = null, int minRsaBits = DefaultMinRsaBits)
    {
        AllowedTypes = (allowedTypes ?? DefaultAllowedTypes).Select(t => t.Trim()).Distinct(StringComparer.Ordinal).ToArray();
        var unknown = AllowedTypes.FirstOrDefault(t => !SshKeyTypes.IsKnown(t));
        if (unknown is not null)
            throw WharfException.InvalidArgument(
                $"Invalid setting Keys:AllowedTypes: {Display.Quote(unknown)} is not a key type Wharf knows ({string.Join(", ", DefaultAllowedTypes)}).");
        if (AllowedTypes.Count == 0)
            throw WharfException.InvalidArgument("Invalid setting Keys:AllowedTypes: at least one key type must be allowed.");
        if (minRsaBits is < SshPublicKey.MinRsaBitsAnyUse or > SshPublicKey.MaxRsaBits)
            throw WharfException.InvalidArgument(
                $"Invalid setting Keys:MinRsaBits: {minRsaBits}; use {SshPublicKey.MinRsaBitsAnyUse} to {SshPublicKey.MaxRsaBits}.");
        MinRsaBits = minRsaBits;
    }

    public IReadOnlyList<string> AllowedTypes { get; }
    public int MinRsaBits { get; }

    /// <summary>Refuses a key this instance does not accept; the reader has already checked its format.</summary>
    public void Check(SshPublicKey key)
    {
        if (!AllowedTypes.Contains(key.KeyType)) throw KeyErrors.TypeNotAllowed(key.KeyType, AllowedTypes);
        if (key.KeyType != SshKeyTypes.Rsa) return;
        if (key.Bits < MinRsaBits) throw KeyErrors.RsaTooSmall(key.Bits, MinRsaBits);
        if (Roca.RsaModulus(key.Blob) is { } n && Roca.IsVulnerable(n)) throw KeyErrors.Roca();
    }
}
