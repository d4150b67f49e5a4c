namespace Wharf.Core.Lfs;

/// <summary>The <c>Lfs</c> section of the settings (docs/OPERATIONS.md, "Git LFS").</summary>
public sealed record LfsSettings
{
    /// <summary>5 GiB: GitHub's largest LFS object on its biggest plans; larger uploads are refused before a byte is stored.</summary>
    public const long DefaultMaxObjectBytes = 5L * 1024 * 1024 * 1024;

    /// <summary>Largest object accepted on upload, in bytes.</summary>
    public long MaxObjectBytes { get; init; } = DefaultMaxObjectBytes;

    /// <summary>How long the header <c>git-lfs-authenticate</c> hands out stays valid: 5 minutes, enough for git-lfs to start its transfers.</summary>
    public static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromMinutes(5);

    public TimeSpan TokenLifetime { get; init; } = DefaultTokenLifetime;
}
