using System.Globalization;

namespace Wharf.Core.Repositories;

/// <summary>
/// The SSH address people clone a repository from, in the form each tool's users know: git's scp-like
/// <c>git@HOST:owner/repo.git</c> on port 22, else <c>ssh://git@HOST:PORT/owner/repo.git</c> (the scp-like
/// form has no place for a port); Mercurial has only the URL form, <c>ssh://hg@HOST[:PORT]/owner/repo</c>.
/// </summary>
public static class CloneUrls
{
    public const int DefaultSshPort = 22;

    public static string Ssh(Scm scm, string host, int port, string ownerName, string repositoryName)
    {
        var path = $"{ownerName}/{repositoryName}";
        var hostPort = port == DefaultSshPort ? host : string.Create(CultureInfo.InvariantCulture, $"{host}:{port}");
        if (scm == Scm.Hg) return $"ssh://hg@{hostPort}/{path}";
        return port == DefaultSshPort ? $"git@{host}:{path}.git" : $"ssh://git@{hostPort}/{path}.git";
    }

    public static string Ssh(RepositoryInfo repository, string host, int port) =>
        Ssh(repository.Scm, host, port, repository.OwnerName, repository.Name);
}
