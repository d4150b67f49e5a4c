using System.Net;
using System.Text.RegularExpressions;

namespace Wharf.Server.Tests;

/// <summary>One person's browser without a browser: a cookie jar, no automatic redirects, and forms posted with the page's antiforgery token.</summary>
public sealed partial class WebSession(Uri baseAddress) : IDisposable
{
    public const string Password = "long enough password";

    public CookieContainer Cookies { get; } = new();

    public HttpClient Client => _client ??= new(new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false }) { BaseAddress = baseAddress };
    private HttpClient? _client;

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    public static async Task<WebSession> SignUpAsync(Uri baseAddress, string name)
    {
        var session = new WebSession(baseAddress);
        var response = await session.PostFormAsync("/signup", "/signup", ("username", name), ("email", name + "@example.org"), ("password", Password));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        // A browser follows the redirect and shows the page it leads to, with the sign-up's one-shot message.
        Assert.Equal(HttpStatusCode.OK, (await session.Client.GetAsync(response.Headers.Location)).StatusCode);
        return session;
    }

    /// <summary>Opens <paramref name="page"/> for its antiforgery token, then posts the fields to <paramref name="path"/>.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string page, string path, params (string Name, string Value)[] fields)
    {
        var html = await Client.GetStringAsync(page);
        var token = TokenField().Match(html).Groups[1].Value;
        Assert.NotEmpty(token);
        return await Client.PostAsync(path, new FormUrlEncodedContent([.. fields.Select(f => KeyValuePair.Create(f.Name, f.Value)),
            KeyValuePair.Create("__RequestVerificationToken", WebUtility.HtmlDecode(token))]));
    }

    public async Task<(HttpStatusCode Status, string Html)> GetAsync(string path)
    {
        var response = await Client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public void Dispose() => _client?.Dispose();
}
