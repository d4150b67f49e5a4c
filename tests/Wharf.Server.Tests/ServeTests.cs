using System.Net.Http;
using System.Net.Sockets;
using System.Text;

namespace Wharf.Server.Tests;

/// <summary><c>wharf serve</c> in-process: the stdout lines scripts rely on, the health check, the host key.</summary>
public sealed class ServeTests : IDisposable
{
    private readonly TestData _data = new();
    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task ServePrintsTheRealPortsForPortZeroAndAnswersHealthAndSsh()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var serve = await InProcessServe.StartAsync(_data);
        await using (serve)
        {
            var ssh = Assert.Single(serve.ListeningLines, l => l.StartsWith("SSH listening on 127.0.0.1:", StringComparison.Ordinal));
            var http = Assert.Single(serve.ListeningLines, l => l.StartsWith("HTTP listening on http://127.0.0.1:", StringComparison.Ordinal));
            var sshPort = int.Parse(ssh["SSH listening on 127.0.0.1:".Length..]);
            Assert.NotEqual(0, sshPort);
            Assert.NotEqual(0, int.Parse(http["HTTP listening on http://127.0.0.1:".Length..]));

            using var client = new HttpClient();
            Assert.Equal("ok\n", await client.GetStringAsync(http["HTTP listening on ".Length..] + "/healthz", stop.Token));

            // Something is listening on the SSH port: the identification line comes first (RFC 4253 §4.2).
            using (var tcp = new TcpClient())
            {
                await tcp.ConnectAsync("127.0.0.1", sshPort, stop.Token);
                var buffer = new byte[8];
                var read = 0;
                while (read < buffer.Length)
                {
                    var n = await tcp.GetStream().ReadAsync(buffer.AsMemory(read), stop.Token);
                    if (n == 0) break;
                    read += n;
                }
                Assert.Equal("SSH-2.0-", Encoding.ASCII.GetString(buffer, 0, read));
            }

            Assert.True(File.Exists(_data.Paths.HostKey));
            Assert.Equal(0, await serve.StopAsync());
        }
    }

    /// <summary>Runs <c>wharf serve</c> on port 0 until <paramref name="body"/> returns; gives it the HTTP base address.</summary>
    private async Task WithServerAsync(Func<Uri, CancellationToken, Task> body)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var serve = await InProcessServe.StartAsync(_data);
        await body(new Uri(serve.HttpBaseUrl), stop.Token);
    }

    [Fact]
    public async Task TheSessionKeysLiveInTheDataDirectorySoASignedInBrowserStaysSignedInAcrossARestart()
    {
        var cookies = new System.Net.CookieContainer();
        await WithServerAsync(async (address, ct) =>
        {
            using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = address };
            var form = await browser.GetStringAsync("/signup", ct);
            var token = System.Text.RegularExpressions.Regex.Match(form, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
            var signedUp = await browser.PostAsync("/signup", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["username"] = "kim", ["email"] = "kim@example.org", ["password"] = "long enough password",
                ["__RequestVerificationToken"] = System.Net.WebUtility.HtmlDecode(token),
            }), ct);
            Assert.Equal(System.Net.HttpStatusCode.Redirect, signedUp.StatusCode);
        });
        Assert.NotEmpty(Directory.GetFiles(_data.Paths.WebKeys, "key-*.xml"));

        await WithServerAsync(async (address, ct) =>
        {
            using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = address };
            var page = await browser.GetAsync("/account/ssh-keys", ct);
            Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("<a href=\"/account\">kim</a>", await page.Content.ReadAsStringAsync(ct));
        });
    }

    [Fact]
    public async Task ABadListenAddressIsRefusedBeforeAnythingStarts()
    {
        var r = await _data.RunAsync("serve", "--ssh", "2222");
        Assert.Equal((2, "wharf: Invalid --ssh address '2222': expected ADDRESS:PORT such as 127.0.0.1:8080 or [::1]:8080.\n"), (r.ExitCode, r.Error));
        Assert.False(Directory.Exists(_data.Paths.DataDirectory));
    }

    [Fact]
    public async Task AnUnknownLogFormatIsRefusedBeforeAnythingListens()
    {
        _data.Paths.EnsureCreated();
        await File.WriteAllTextAsync(Path.Combine(_data.Paths.DataDirectory, "wharf.json"), """{ "Logging": { "Format": "xml" } }""");

        var r = await _data.RunAsync("serve", "--http", "127.0.0.1:0", "--ssh", "127.0.0.1:0");

        Assert.Equal((2, "", "wharf: Invalid setting 'Logging:Format': 'xml'. Use 'text' or 'json'.\n"), (r.ExitCode, r.Out, r.Error));
    }
}
