using Wharf.Core.Repositories;

namespace Wharf.Server.Hosting;

/// <summary>
/// The SSH URL of a repository, as the pages, the API and the greeting show it. On port 22 git gets the
/// short scp-like form everybody knows (<c>git@HOST:owner/repo.git</c>); any other port needs the
/// <c>ssh://</c> form, the only one that can carry a port. Mercurial has only the <c>ssh://</c> form.
/// </summary>
public static class CloneUrls
{
    public static string Ssh(RepositoryInfo repository, string host, int port)
    {
        // IPv6 literals need brackets in both forms.
        var h = host.Contains(':') && !host.StartsWith('[') ? "[" + host + "]" : host;
        var portPart = port == 22 ? "" : ":" + port;
        return repository.Scm == Scm.Hg
            ? $"ssh://hg@{h}{portPart}/{repository.FullName}"
            : port == 22 ? $"git@{h}:{repository.FullName}.git" : $"ssh://git@{h}{portPart}/{repository.FullName}.git";
    }

    /// <summary>The URL for a request: the configured public host, else the host name the request came in on.</summary>
    public static string Ssh(RepositoryInfo repository, WebAddress address, HttpRequest request) =>
        Ssh(repository, address.SshHost ?? request.Host.Host, address.SshPort);

    /// <summary>The command that clones it.</summary>
    public static string CloneCommand(RepositoryInfo repository, string url) =>
        repository.Scm == Scm.Hg ? $"hg clone {url}" : $"git clone {url}";
}
