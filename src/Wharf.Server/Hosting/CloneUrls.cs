using Wharf.Core.Repositories;

namespace Wharf.Server.Hosting;

/// <summary>
/// The clone URLs of a repository (SSH, and HTTPS for git), as the pages, the API and the greeting show it. On port 22 git gets the
/// short scp-like form everybody knows (<c>git@HOST:owner/repo.git</c>); any other port needs the
/// <c>ssh://</c> form, the only one that can carry a port. Mercurial has only the <c>ssh://</c> form.
/// (The SSH URL comes first wherever both are shown.)
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

    /// <summary>
    /// The smart HTTP URL of a git repository: under <c>Http:PublicUrl</c> when it is set, else as the request reached this
    /// server, its scheme and host (the client's own, as a proxy listed in <c>Http:TrustedProxies</c> forwards them) and
    /// path base (<see cref="WebAddress.PublicBase"/>). Mercurial has none: it is served over SSH only.
    /// </summary>
    public static string? Https(RepositoryInfo repository, WebAddress address, HttpRequest request) =>
        repository.Scm == Scm.Hg ? null : $"{address.PublicBase(request)}/{repository.FullName}.git";

    /// <summary>The command that clones it.</summary>
    public static string CloneCommand(RepositoryInfo repository, string url) =>
        repository.Scm == Scm.Hg ? $"hg clone {url}" : $"git clone {url}";
}
