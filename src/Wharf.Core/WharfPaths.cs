namespace Wharf.Core;

/// <summary>
/// Where everything lives inside the data directory. One place, so the server, the admin commands and
/// the tests agree on the layout:
/// <code>
/// DATA/wharf.db                      SQLite database (with -wal and -shm beside it)
/// DATA/ssh_host_ed25519_key          SSH host key, created on first start
/// DATA/web-keys/                     the keys that protect session cookies and antiforgery tokens
/// DATA/repositories/OWNER/NAME.git   bare git repositories (lower-case names)
/// DATA/repositories/OWNER/NAME.hg    Mercurial repositories (the .hg folder inside)
/// DATA/repositories/.tmp/            repositories being created, moved into place when complete
/// DATA/repositories/.trash/          repositories being deleted, moved out of place first
/// DATA/lfs/REPOSITORY-UUID/aa/bb/OID  Git LFS objects (Lfs.LfsObjectStore), keyed by the repository's uuid
/// </code>
/// </summary>
public sealed class WharfPaths
{
    public WharfPaths(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        DataDirectory = Path.GetFullPath(dataDirectory);
    }

    public string DataDirectory { get; }
    public string Database => Path.Combine(DataDirectory, "wharf.db");
    public string HostKey => Path.Combine(DataDirectory, "ssh_host_ed25519_key");
    public string RsaHostKey => Path.Combine(DataDirectory, "ssh_host_rsa_key");
    public string WebKeys => Path.Combine(DataDirectory, "web-keys");
    public string Repositories => Path.Combine(DataDirectory, "repositories");
    public string RepositoriesStaging => Path.Combine(Repositories, ".tmp");

    /// <summary>The bare repository directory. Names are validated by <see cref="Names"/>, so they cannot escape the root.</summary>
    public string Repository(string ownerName, string repositoryName, Repositories.Scm scm = Wharf.Core.Repositories.Scm.Git) =>
        Path.Combine(Repositories, Names.Lower(ownerName), Names.Lower(repositoryName) + (scm == Wharf.Core.Repositories.Scm.Hg ? ".hg" : ".git"));

    /// <summary>Git LFS objects, one directory per repository uuid (<see cref="Lfs.LfsObjectStore"/>).</summary>
    public string Lfs => Path.Combine(DataDirectory, "lfs");

    public string RepositoriesTrash => Path.Combine(Repositories, ".trash");

    /// <summary>Creates the data directory, readable by its owner only: it holds the host key and the database.</summary>
    public void EnsureCreated()
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(DataDirectory);
        else Directory.CreateDirectory(DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
