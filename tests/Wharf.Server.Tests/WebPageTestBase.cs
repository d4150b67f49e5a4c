using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Wharf.Core.Repositories;
using Wharf.Server.Web.Repositories;

namespace Wharf.Server.Tests;

/// <summary><c>wharf serve</c> in-process for one test, with people who sign up on it and the repository forms they use.</summary>
public abstract partial class WebPageTestBase : IAsyncLifetime
{
    protected WharfHost Host { get; private set; } = null!;
    private readonly List<WebSession> _sessions = [];
    private readonly List<HttpClient> _apiClients = [];

    public async Task InitializeAsync() => Host = await WharfHost.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var s in _sessions) s.Dispose();
        foreach (var c in _apiClients) c.Dispose();
        await Host.DisposeAsync();
    }

    protected async Task<WebSession> SignUpAsync(string name)
    {
        var session = await WebSession.SignUpAsync(Host.BaseAddress, name);
        _sessions.Add(session);
        return session;
    }

    /// <summary>A client for the API with a new token of <paramref name="user"/>, made with the admin CLI.</summary>
    protected async Task<HttpClient> ApiClientAsync(string user)
    {
        var token = (await Host.Data.RunAsync("admin", "token", "create", user)).Out.TrimEnd('\n').Split('\n')[^1];
        var client = new HttpClient { BaseAddress = Host.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        _apiClients.Add(client);
        return client;
    }

    protected static Task<HttpResponseMessage> CreateAsync(WebSession session, string name, string scm = "git", bool isPrivate = true) =>
        session.PostFormAsync(RepositoryPages.NewPath, RepositoryPages.NewPath,
            [("name", name), ("scm", scm), .. isPrivate ? new[] { ("private", "on") } : []]);

    protected async Task<Repository?> StoredAsync(string name)
    {
        await using var db = Host.Data.OpenDatabase();
        return await db.Repositories.AsNoTracking().SingleOrDefaultAsync(r => r.LowerName == name);
    }

    /// <summary>
    /// The page with the white space between tags taken out, so a test can assert a run of elements exactly without
    /// depending on how the Razor templates are indented.
    /// </summary>
    protected static string Tags(string html) => BetweenTags().Replace(html, "><");

    [GeneratedRegex(@">\s+<")]
    private static partial Regex BetweenTags();

    /// <summary>The flash message the page shows once after a change, or null.</summary>
    protected static string? FlashOf(string html) =>
        FlashMessage().Match(html) is { Success: true } m ? System.Net.WebUtility.HtmlDecode(m.Groups[1].Value) : null;

    [GeneratedRegex("<div class=\"flash\" role=\"status\" id=\"flash\">([^<]*)</div>")]
    private static partial Regex FlashMessage();

    /// <summary>The message of a refusal page (<c>PageErrors</c>), as HTML.</summary>
    protected static string PageErrorOf(string html) => PageError().Match(html).Groups[1].Value;

    [GeneratedRegex("<p class=\"form-error\" id=\"page-error\" role=\"alert\">([^<]*)</p>")]
    private static partial Regex PageError();
}
