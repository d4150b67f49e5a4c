namespace Wharf.Core.Keys;

/// <summary>Persistence of SSH keys; implemented by Wharf.Data for each database provider.</summary>
public interface ISshKeyStore
{
    /// <summary>Looks a key up by its SHA256 fingerprint (an indexed column). Database errors propagate.</summary>
    Task<SshKeyOwner?> FindByFingerprintAsync(string fingerprint, CancellationToken cancellationToken);

    /// <summary>Stores a new key. Throws <see cref="Errors.WharfException"/> (AlreadyExists) when the fingerprint is taken.</summary>
    Task AddAsync(SshKey key, CancellationToken cancellationToken);

    Task MarkUsedAsync(long keyId, DateTimeOffset when, CancellationToken cancellationToken);
}
