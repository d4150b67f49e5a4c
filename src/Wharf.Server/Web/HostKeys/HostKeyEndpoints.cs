using Microsoft.AspNetCore.Authentication;
using Wharf.Server.Ssh;
using Wharf.Server.Web.Accounts;
using Wharf.Server.Web.HostKeys;

namespace Wharf.Server.Web;

/// <summary>
/// The server's SSH host keys, published so people can check the first-connection prompt: the public
/// <c>/host-keys</c> page and <c>GET /meta</c> in GitHub's shape. Neither needs a sign-in.
/// </summary>
public static class HostKeyEndpoints
{
    public const string PagePath = "/host-keys";
    public const string MetaPath = "/meta";

    public static IEndpointRouteBuilder MapHostKeys(this IEndpointRouteBuilder app)
    {
        app.MapGet(PagePath, async (HttpContext http, PublishedHostKeys keys) =>
        {
            var session = await http.AuthenticateAsync(AccountEndpoints.Scheme);
            var (host, port) = HomeEndpoints.SshAddress(http);
            return WebPage.Render<HostKeysPage>(http, new
            {
                Keys = keys.Keys,
                KnownHosts = string.Join('\n', keys.KnownHostsLines(host, port)),
                SshHost = host,
                SshPort = port,
                UserName = session.Succeeded ? session.Principal?.Identity?.Name : null,
                SignUpOpen = HomeEndpoints.SignUpOpen(http),
            });
        });

        app.MapGet(MetaPath, (PublishedHostKeys keys) =>
            Results.Text(keys.MetaJson(), "application/json; charset=utf-8"));
        return app;
    }
}
