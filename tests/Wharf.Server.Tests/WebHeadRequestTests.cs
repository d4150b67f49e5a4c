using System.Net;
using System.Net.Sockets;
using System.Text;
using Wharf.Server.Web;

namespace Wharf.Server.Tests;

/// <summary>
/// HEAD wherever GET is served (RFC 9110 §9.1, §9.3.2): pages, raw files, the API, static files and the health check
/// answer HEAD with GET's status and header fields and no body; access is decided exactly as for GET; routes that
/// take only POST do not start taking HEAD.
/// </summary>
public sealed class WebHeadRequestTests : WebPageTestBase
{
    private static readonly string[] Compared =
        ["Content-Type", "Content-Length", "Content-Disposition", "X-Content-Type-Options", "Content-Security-Policy", "Allow"];

    /// <summary>The header fields a HEAD must share with GET, as sent (no length computed from a buffered body).</summary>
    private static string Fields(HttpResponseMessage response)
    {
        var lines = new List<string> { $"status {(int)response.StatusCode}" };
        foreach (var name in Compared)
        {
            if (response.Headers.NonValidated.TryGetValues(name, out var values) || response.Content.Headers.NonValidated.TryGetValues(name, out values))
                lines.Add($"{name}: {string.Join(", ", values)}");
        }
        return string.Join("\n", lines);
    }

    private static async Task<(string Get, string Head, byte[] HeadBody)> BothAsync(HttpClient client, string path)
    {
        using var get = await client.GetAsync(path);
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
        return (Fields(get), Fields(head), await head.Content.ReadAsByteArrayAsync());
    }

    private async Task<WebSession> DemoAsync()
    {
        var alice = await SignUpAsync("alice");
        Assert.Equal(HttpStatusCode.Redirect, (await CreateAsync(alice, "site")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await CreateAsync(alice, "open", isPrivate: false)).StatusCode);
        SourceRepositories.PushDemo(Host.Data.Root, Host.Data.Paths.Repository("alice", "site"));
        SourceRepositories.PushDemo(Host.Data.Root, Host.Data.Paths.Repository("alice", "open"));
        return alice;
    }

    [Fact]
    public async Task Every_kind_of_GET_answers_HEAD_with_the_same_status_and_header_fields_and_no_body()
    {
        using var alice = await DemoAsync();
        string[] paths =
        [
            "/", "/alice/site", "/alice/site/src/main/src/app.cs", "/alice/site/raw/main/README.md", "/alice/site/raw/main/page.html",
            "/alice/site/raw/main/img/logo.svg", "/alice/site/commits", "/alice/site/branches", "/alice/site/tags", "/healthz",
            StaticAssets.Stylesheet, "/2.0/repositories/alice/site", "/2.0/repositories/alice/open/src/main/README.md",
            "/alice/site/src/main/nothing-here", "/alice/nothing",
        ];
        foreach (var path in paths)
        {
            var (get, head, body) = await BothAsync(alice.Client, path);
            Assert.Equal(get, head);
            Assert.Empty(body);
        }
        // What GET answered, so the comparison above is of something: a page, a download and a length.
        Assert.StartsWith("status 200\nContent-Type: text/html; charset=utf-8\n", (await BothAsync(alice.Client, "/alice/site")).Head);
        var raw = (await BothAsync(alice.Client, "/alice/site/raw/main/page.html")).Head;
        Assert.Equal("status 200\nContent-Type: text/plain; charset=utf-8\nContent-Length: 53\nX-Content-Type-Options: nosniff\n" +
            "Content-Security-Policy: default-src 'none'; sandbox", raw);
        // The API with a token: the repository, a file's bytes, a missing route.
        var api = await ApiClientAsync("alice");
        foreach (var path in new[] { "/2.0/repositories/alice/site", "/2.0/repositories/alice/site/src/main/README.md", "/2.0/repositories/alice/site/nope" })
        {
            var (get, head, body) = await BothAsync(api, path);
            Assert.Equal(get, head);
            Assert.Empty(body);
        }
        Assert.StartsWith("status 200\nContent-Type: application/json", (await BothAsync(api, "/2.0/repositories/alice/site")).Head);
    }

    [Fact]
    public async Task A_private_repository_answers_HEAD_signed_out_exactly_as_a_missing_one()
    {
        using var alice = await DemoAsync();
        using var bob = await SignUpAsync("bob");
        using var stranger = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Host.BaseAddress };
        foreach (var client in new[] { stranger, bob.Client })
        {
            foreach (var (hidden, missing) in new[]
            {
                ("/alice/site", "/alice/nothing"),
                ("/alice/site/raw/main/README.md", "/alice/nothing/raw/main/README.md"),
                ("/2.0/repositories/alice/site", "/2.0/repositories/alice/nothing"),
            })
            {
                using var a = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, hidden));
                using var b = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, missing));
                Assert.NotEqual(HttpStatusCode.OK, a.StatusCode);
                Assert.Equal(Fields(b), Fields(a));
            }
        }
        // Signed in, bob is refused the private one as if it were missing, and sees the public one.
        using var hiddenPage = await bob.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/alice/site"));
        Assert.Equal(HttpStatusCode.NotFound, hiddenPage.StatusCode);
        using var open = await bob.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/alice/open"));
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
    }

    [Fact]
    public async Task Routes_that_take_only_POST_still_refuse_HEAD()
    {
        using var alice = await DemoAsync();
        foreach (var path in new[] { "/alice/site.git/git-upload-pack", TokenPagesPath + "/1/delete" })
        {
            using var head = await alice.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
            Assert.Equal(HttpStatusCode.MethodNotAllowed, head.StatusCode);
            Assert.Equal(["POST"], head.Content.Headers.Allow);
        }
    }

    private const string TokenPagesPath = Web.Accounts.TokenPages.Path;

    [Fact]
    public async Task Kestrel_sends_no_body_bytes_for_HEAD_so_the_next_response_on_the_connection_parses()
    {
        using var alice = await DemoAsync();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(Host.BaseAddress.Host, Host.BaseAddress.Port);
        var stream = tcp.GetStream();
        // A page (chunked for GET), a file (Content-Length for GET), then a GET that closes the connection.
        var cookie = "Cookie: " + alice.Cookies.GetCookieHeader(Host.BaseAddress) + "\r\n";
        var requests = "HEAD /alice/site HTTP/1.1\r\nHost: localhost\r\n" + cookie + "\r\n" +
            "HEAD /alice/site/raw/main/page.html HTTP/1.1\r\nHost: localhost\r\n" + cookie + "\r\n" +
            "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(requests));
        using var all = new MemoryStream();
        await stream.CopyToAsync(all).WaitAsync(TimeSpan.FromSeconds(30));
        var text = Encoding.ASCII.GetString(all.ToArray());
        var parts = text.Split("\r\n\r\n");
        // Three header blocks, the last response's body ("ok\n"), and nothing between them.
        Assert.Equal(4, parts.Length);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", parts[0]);
        Assert.DoesNotContain("Transfer-Encoding", parts[0]);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", parts[1]);
        Assert.Contains("Content-Length: 53", parts[1]);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", parts[2]);
        Assert.Equal("ok\n", parts[3]);
    }
}
