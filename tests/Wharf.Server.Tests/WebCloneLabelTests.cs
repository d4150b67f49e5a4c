using System.Net;
using Wharf.Server.Tests.Support;
using Wharf.Server.Web.Repositories;

namespace Wharf.Server.Tests;

/// <summary>
/// The clone box names the web clone URL by its scheme: "HTTP" for an <c>http://</c> URL (a server reached without
/// TLS), "HTTPS" for an <c>https://</c> one (<c>Http:PublicUrl</c> behind a TLS proxy); the words around it follow.
/// </summary>
public sealed class WebCloneLabelTests : IAsyncLifetime
{
    private readonly ServeHost _plain = new();
    private readonly ServeHost _behindTls = new();

    public async Task InitializeAsync()
    {
        await _plain.StartAsync();
        Directory.CreateDirectory(_behindTls.Data.Paths.DataDirectory);
        await File.WriteAllTextAsync(Path.Combine(_behindTls.Data.Paths.DataDirectory, "wharf.json"),
            """{ "Http": { "PublicUrl": "https://git.example.org/" } }""");
        await _behindTls.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _plain.DisposeAsync();
        await _behindTls.DisposeAsync();
    }

    private static async Task<string> ClonePartAsync(ServeHost host)
    {
        using var alice = await WebSession.SignUpAsync(host.Http.BaseAddress!, "alice");
        Assert.Equal(HttpStatusCode.Redirect, (await alice.PostFormAsync(RepositoryPages.NewPath, RepositoryPages.NewPath, ("name", "site"), ("scm", "git"))).StatusCode);
        var (status, page) = await alice.GetAsync("/alice/site");
        Assert.Equal(HttpStatusCode.OK, status);
        var start = page.IndexOf("<section id=\"clone\"", StringComparison.Ordinal);
        return page[start..page.IndexOf("</section>", start, StringComparison.Ordinal)];
    }

    [Fact]
    public async Task An_http_clone_URL_is_labelled_HTTP()
    {
        var clone = await ClonePartAsync(_plain);
        Assert.Contains($"value=\"{_plain.Http.BaseAddress!.GetLeftPart(UriPartial.Authority)}/alice/site.git\"", clone);
        Assert.Contains("<label for=\"https-clone-url\">HTTP clone URL</label>", clone);
        Assert.Contains("Already cloned it over HTTP? Switch that clone to SSH:", clone);
        Assert.Contains("Or clone over HTTP, with your user name", clone);
        Assert.Contains("aria-label=\"Copy HTTP clone command\"", clone);
        Assert.Contains("HTTP takes a token, never your password", clone);
        Assert.DoesNotContain("HTTPS", clone);
    }

    [Fact]
    public async Task An_https_clone_URL_is_labelled_HTTPS()
    {
        var clone = await ClonePartAsync(_behindTls);
        Assert.Contains("value=\"https://git.example.org/alice/site.git\"", clone);
        Assert.Contains("<label for=\"https-clone-url\">HTTPS clone URL</label>", clone);
        Assert.Contains("Switch an SSH clone to HTTPS:", clone);
        Assert.Contains("HTTPS takes a token, never your password", clone);
    }
}
