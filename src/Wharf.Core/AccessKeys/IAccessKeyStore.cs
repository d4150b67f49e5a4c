namespace Wharf.Core.AccessKeys;

/// <summary>Persistence of repository access keys; implemented by Wharf.Data for each database provider.</summary>
public interface IAccessKeyStore
{
    /// <summary>Looks a key up by its SHA256 fingerprint (an indexed column). Database errors propagate.</summary>
    Task<AccessKey?> FindByFingerprintAsync(string fingerprint, CancellationToken cancellationToken);

    Task<AccessKey?> FindByIdAsync(long accessKeyId, CancellationToken cancellationToken);

    /// <summary>The keys that still exist among <paramref name="accessKeyIds"/> (one query for the periodic re-check of SSH connections).</summary>
    Task<IReadOnlyList<AccessKey>> FindByIdsAsync(IReadOnlyCollection<long> accessKeyIds, CancellationToken cancellationToken);

    /// <summary>The repository's access keys, oldest first.</summary>
    Task<IReadOnlyList<AccessKeyInfo>> ListAsync(long repositoryId, CancellationToken cancellationToken);

    /// <summary>
    /// Adds the key to the repository, storing the key material first if no repository has it yet.
    /// Throws <see cref="Errors.WharfException"/> with <see cref="AccessKeyErrors.AlreadyOnRepository"/> when the
    /// repository already has it, and <see cref="Keys.KeyErrors.InUse"/> when a concurrent add won the fingerprint.
    /// </summary>
    Task<AccessKeyInfo> AddAsync(long repositoryId, AccessKey key, string label, bool canWrite, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Changes the label and write flag of one repository's key. Returns false when it is gone.</summary>
    Task<bool> UpdateAsync(long repositoryId, long id, string label, bool canWrite, CancellationToken cancellationToken);

    /// <summary>Removes the key from one repository, and its key material once no repository uses it. Returns false when it is gone.</summary>
    Task<bool> RemoveAsync(long repositoryId, long id, CancellationToken cancellationToken);

    /// <summary>Read or Write when the key was added to the repository, else null.</summary>
    Task<bool?> FindCanWriteAsync(long accessKeyId, long repositoryId, CancellationToken cancellationToken);

    /// <summary>Every repository the key reaches, by full name.</summary>
    Task<IReadOnlyList<AccessKeyReach>> ReachAsync(long accessKeyId, CancellationToken cancellationToken);

    /// <summary>Records a use of the key on a repository (and of the key as a whole).</summary>
    Task MarkUsedAsync(long accessKeyId, long? repositoryId, DateTimeOffset when, CancellationToken cancellationToken);
}
