using System.Net;
using System.Text.RegularExpressions;
using Wharf.Server.Cli;
using Wharf.Server.Hosting;
using Wharf.Server.Mail;
using Wharf.Server.Web.Accounts;

namespace Wharf.Server.Tests;

/// <summary>
/// Behind a reverse proxy (<c>Http:TrustedProxies</c>): the client's address and scheme come from the proxy's
/// X-Forwarded-For and X-Forwarded-Proto, and only from a listed proxy. The test client is the "proxy" at 127.0.0.1.
/// </summary>
public sealed partial class WebProxyTests : IAsyncLifetime
{
    private readonly TestData _data = new();
    private InProcessServe? _serve;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_serve is not null) await _serve.DisposeAsync();
        _data.Dispose();
    }

    private async Task<Uri> StartAsync(string? trustedProxies)
    {
        Directory.CreateDirectory(_data.Paths.DataDirectory);
        if (trustedProxies is not null)
            await File.WriteAllTextAsync(Path.Combine(_data.Paths.DataDirectory, "wharf.json"), $"{{\"Http\": {{\"TrustedProxies\": {trustedProxies}}}}}");
        _serve = await InProcessServe.StartAsync(_data);
        return new Uri(_serve.HttpBaseUrl);
    }

    /// <summary>
    /// A browser as the proxy relays it: every request carries the client's address and scheme. Cookies are kept by
    /// hand, because a cookie jar would not send a Secure cookie over the plain HTTP between proxy and Wharf.
    /// </summary>
    private sealed partial class ProxiedBrowser(Uri baseAddress, string clientAddress, string scheme) : IDisposable
    {
        private readonly Dictionary<string, string> _cookies = [];
        private readonly HttpClient _client = new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = baseAddress };

        /// <summary>Every Set-Cookie header received, as sent.</summary>
        public List<string> SetCookies { get; } = [];

        [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
        private static partial Regex TokenField();

        public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content = null)
        {
            using var request = new HttpRequestMessage(method, path) { Content = content };
            request.Headers.Add("X-Forwarded-For", clientAddress);
            request.Headers.Add("X-Forwarded-Proto", scheme);
            if (_cookies.Count > 0) request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => c.Key + "=" + c.Value)));
            var response = await _client.SendAsync(request);
            if (response.Headers.TryGetValues("Set-Cookie", out var set))
                foreach (var header in set)
                {
                    SetCookies.Add(header);
                    var pair = header.Split(';')[0].Split('=', 2);
                    if (header.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase)) _cookies.Remove(pair[0]);
                    else _cookies[pair[0]] = pair[1];
                }
            return response;
        }

        public async Task<HttpResponseMessage> PostFormAsync(string page, string path, params (string Name, string Value)[] fields)
        {
            var html = await (await SendAsync(HttpMethod.Get, page)).Content.ReadAsStringAsync();
            var token = WebUtility.HtmlDecode(TokenField().Match(html).Groups[1].Value);
            Assert.NotEmpty(token);
            return await SendAsync(HttpMethod.Post, path, new FormUrlEncodedContent(
                [.. fields.Select(f => KeyValuePair.Create(f.Name, f.Value)), KeyValuePair.Create("__RequestVerificationToken", token)]));
        }

        public string CookieHeader(string name) => SetCookies.Last(c => c.StartsWith(name + "=", StringComparison.Ordinal));

        public void Dispose() => _client.Dispose();
    }

    /// <summary>The audit page with the white space between tags taken out.</summary>
    private static async Task<string> AuditAsync(ProxiedBrowser browser) => System.Text.RegularExpressions.Regex.Replace(
        await (await browser.SendAsync(HttpMethod.Get, SshKeyPages.AuditPath)).Content.ReadAsStringAsync(), ">\\s+<", "><");

    /// <summary>
    /// Signs ann up, verifies her address with the mailed link (key mails go only to a verified address) and adds a
    /// key (an audit entry and a mail, both with the source address).
    /// </summary>
    private async Task SignUpAndAddKeyAsync(ProxiedBrowser ann)
    {
        var signedUp = await ann.PostFormAsync("/signup", "/signup", ("username", "ann"), ("email", "ann@example.org"), ("password", WebSession.Password));
        Assert.Equal(HttpStatusCode.Redirect, signedUp.StatusCode);
        await MailAsync();
        var file = Assert.Single(Directory.GetFiles(Outbox.Path(_data.Paths), "*.eml"));
        var verification = MimeKit.MimeMessage.Load(file).TextBody ?? "";
        File.Delete(file);
        var link = Regex.Match(verification, Regex.Escape(AccountMailer.VerifyPath) + @"\?token=[A-Za-z0-9_-]{43}").Value;
        Assert.Equal(HttpStatusCode.Redirect, (await ann.SendAsync(HttpMethod.Get, link)).StatusCode);
        var added = await ann.PostFormAsync(SshKeyPages.Path, SshKeyPages.Path, ("label", "laptop"), ("key", TestKeys.Ed25519("ann@laptop")));
        Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);
    }

    private async Task<string> MailAsync()
    {
        var outbox = Outbox.Path(_data.Paths);
        for (var i = 0; i < 200 && !(Directory.Exists(outbox) && Directory.GetFiles(outbox, "*.eml").Length > 0); i++) await Task.Delay(50);
        return await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(outbox, "*.eml")));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("[\"10.0.0.0/8\", \"192.0.2.1\"]")]
    public async Task Forwarded_headers_from_a_sender_that_is_not_a_trusted_proxy_are_ignored(string? trusted)
    {
        using var ann = new ProxiedBrowser(await StartAsync(trusted), "203.0.113.7", "https");
        await SignUpAndAddKeyAsync(ann);

        Assert.DoesNotContain("secure", ann.CookieHeader("wharf.session"), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", ann.CookieHeader("wharf.af"), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<td data-label=\"By\">ann</td><td data-label=\"From\">127.0.0.1</td>", await AuditAsync(ann));
        Assert.DoesNotContain("203.0.113.7", await AuditAsync(ann));
        Assert.Contains("Source address: 127.0.0.1", await MailAsync());
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_the_client_address_and_https_come_from_its_headers()
    {
        using var ann = new ProxiedBrowser(await StartAsync("\"127.0.0.1\""), "203.0.113.7", "https");
        await SignUpAndAddKeyAsync(ann);

        Assert.Matches("^wharf\\.session=[^;]+; path=/; secure; samesite=lax; httponly$", ann.CookieHeader("wharf.session"));
        Assert.Contains("; secure", ann.CookieHeader("wharf.af"), StringComparison.Ordinal);
        Assert.Contains("<td data-label=\"By\">ann</td><td data-label=\"From\">203.0.113.7</td>", await AuditAsync(ann));
        Assert.Contains("Source address: 203.0.113.7", await MailAsync());

        // Plain http through the same proxy: the cookie is not Secure.
        using var bob = new ProxiedBrowser(new Uri(_serve!.HttpBaseUrl), "203.0.113.8", "http");
        await bob.PostFormAsync("/signup", "/signup", ("username", "bob"), ("email", "bob@example.org"), ("password", WebSession.Password));
        Assert.DoesNotContain("secure", bob.CookieHeader("wharf.session"), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Failed_sign_ins_through_the_proxy_refuse_only_their_own_address_not_the_right_password_from_another()
    {
        var baseAddress = await StartAsync("[\"127.0.0.0/8\"]");
        using (var owner = new ProxiedBrowser(baseAddress, "198.51.100.9", "https"))
            await owner.PostFormAsync("/signup", "/signup", ("username", "ann"), ("email", "ann@example.org"), ("password", WebSession.Password));

        using var attacker = new ProxiedBrowser(baseAddress, "203.0.113.66", "https");
        for (var i = 0; i < LoginThrottle.MaxFailures; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await attacker.PostFormAsync("/signin", "/signin", ("username", "ann"), ("password", "wrong guess " + i))).StatusCode);
        var refused = await attacker.PostFormAsync("/signin", "/signin", ("username", "ann"), ("password", WebSession.Password));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains(AccountEndpoints.Throttled, await refused.Content.ReadAsStringAsync());

        // ann, from her own address, signs in at once.
        using var ann = new ProxiedBrowser(baseAddress, "198.51.100.10", "https");
        var signedIn = await ann.PostFormAsync("/signin", "/signin", ("username", "ann"), ("password", WebSession.Password));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal(AccountEndpoints.AfterSignIn, signedIn.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task A_trusted_proxy_that_is_not_an_address_or_range_stops_serve_with_a_message()
    {
        Directory.CreateDirectory(_data.Paths.DataDirectory);
        await File.WriteAllTextAsync(Path.Combine(_data.Paths.DataDirectory, "wharf.json"), "{\"Http\": {\"TrustedProxies\": [\"127.0.0.1\", \"proxy.local\"]}}");
        var result = await _data.RunAsync("serve", "--http", "127.0.0.1:0", "--ssh", "127.0.0.1:0");
        Assert.Equal((ExitCodes.InvalidArgument, "",
            $"wharf: Invalid setting '{TrustedProxies.Key}': 'proxy.local' is not an IP address or a CIDR range (for example 127.0.0.1, ::1 or 10.0.0.0/8).\n"),
            (result.ExitCode, result.Out, result.Error));
    }
}
