using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Server.Web;
using Wharf.Server.Web.Accounts;

namespace Wharf.Server.Tests;

/// <summary>
/// Every page endpoint that may change something refuses a request without the antiforgery token, whether or not
/// its handler binds a form: the list of endpoints comes from the running server's route table, so an endpoint
/// added later is covered without this test being edited.
/// </summary>
public sealed partial class WebAntiforgeryTests : WebPageTestBase
{
    private sealed record State(string Users, string Keys, string Tokens, string Repositories, string Grants, string AccessKeys, string Sessions);

    private async Task<State> StateAsync()
    {
        await using var db = Host.Data.OpenDatabase();
        return new State(
            string.Join(",", await db.Users.OrderBy(u => u.Id).Select(u => u.Name + ":" + u.PasswordHash).ToListAsync()),
            string.Join(",", await db.SshKeys.OrderBy(k => k.Id).Select(k => k.Label).ToListAsync()),
            string.Join(",", await db.ApiTokens.OrderBy(t => t.Id).Select(t => t.Name).ToListAsync()),
            string.Join(",", await db.Repositories.OrderBy(r => r.Id).Select(r => r.Name + ":" + r.IsPrivate).ToListAsync()),
            string.Join(",", await db.RepositoryGrants.OrderBy(g => g.Id).Select(g => g.UserId + ":" + g.Level).ToListAsync()),
            string.Join(",", await db.RepositoryAccessKeys.OrderBy(k => k.Id).Select(k => k.Label).ToListAsync()),
            string.Join(",", await db.UserSessions.OrderBy(s => s.Id).Select(s => s.Id).ToListAsync()));
    }

    /// <summary>ann with a key, a token, a repository with a grant and an access key: something for every form to change.</summary>
    private async Task<(WebSession Ann, Guid KeyUuid, long TokenId, long AccessKeyId)> ArrangeAsync()
    {
        var ann = await SignUpAsync("ann");
        await SignUpAsync("ben");
        Assert.Equal(HttpStatusCode.Redirect, (await ann.PostFormAsync(SshKeyPages.Path, SshKeyPages.Path, ("label", "laptop"), ("key", TestKeys.Ed25519("ann@laptop")))).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await ann.PostFormAsync(TokenPages.Path, TokenPages.Path, ("name", "ci"))).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await CreateAsync(ann, "site")).StatusCode);
        const string settings = "/ann/site/settings";
        Assert.Equal(HttpStatusCode.Redirect, (await ann.PostFormAsync(settings + "/permissions", settings + "/permissions", ("user", "ben"), ("permission", "read"))).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await ann.PostFormAsync(settings + "/access-keys", settings + "/access-keys", ("label", "deploy"), ("key", TestKeys.Ed25519("deploy")))).StatusCode);
        await using var db = Host.Data.OpenDatabase();
        return (ann, (await db.SshKeys.SingleAsync()).Uuid, (await db.ApiTokens.SingleAsync()).Id, (await db.RepositoryAccessKeys.SingleAsync()).Id);
    }

    [GeneratedRegex(@"\{(\w+)(:[^}]*)?\}")]
    private static partial Regex RouteParameter();

    [Fact]
    public async Task Every_page_endpoint_that_is_not_a_GET_refuses_a_request_without_the_token_with_400_and_changes_nothing()
    {
        var (ann, keyUuid, tokenId, accessKeyId) = await ArrangeAsync();
        var all = Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        // Only git's smart HTTP endpoints opt out: they take an Authorization header, never the session cookie.
        Assert.Equal(["/{owner}/{name}.git/git-receive-pack", "/{owner}/{name}.git/git-upload-pack", "/{owner}/{name}.git/info/refs"],
            all.Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Antiforgery.IAntiforgeryMetadata>() is { RequiresValidation: false })
                .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/')).Order(StringComparer.Ordinal));
        var endpoints = all.Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Antiforgery.IAntiforgeryMetadata>() is not { RequiresValidation: false })
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["POST"])
                .Select(method => (Method: method, Pattern: "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .Where(e => AntiforgeryGate.Applies(e.Method, e.Pattern))
            .Distinct().ToList();
        // The route table holds the forms this test knows of (and any added later).
        foreach (var known in new[] { "/signout", "/signin", "/signup", TokenPages.Path + "/{id:long}/delete", SshKeyPages.Path + "/{uuid:guid}/delete" })
            Assert.Contains(endpoints, e => e.Pattern.TrimEnd('/') == known);
        Assert.Contains(endpoints, e => e.Pattern.EndsWith("/access-keys/{id:long}/delete", StringComparison.Ordinal));

        var before = await StateAsync();
        foreach (var (method, pattern) in endpoints)
        {
            var path = RouteParameter().Replace(pattern, m => m.Groups[1].Value switch
            {
                "owner" => "ann",
                "repo" => "site",
                "uuid" => keyUuid.ToString("D"),
                "name" => "ben", // /admin/users/{name}/...
                "change" => "disable",
                "id" => (pattern.Contains("access-keys", StringComparison.Ordinal) ? accessKeyId : tokenId).ToString(System.Globalization.CultureInfo.InvariantCulture),
                var other => throw new InvalidOperationException($"No value for route parameter '{other}' of {pattern}: add one here."),
            });
            // The form's fields with plausible values, only the token missing.
            using var request = new HttpRequestMessage(new HttpMethod(method), path)
            {
                Content = new FormUrlEncodedContent([KeyValuePair.Create("name", "x"), KeyValuePair.Create("confirmation", "ann/site"),
                    KeyValuePair.Create("user", "ben"), KeyValuePair.Create("label", "renamed")]),
            };
            var response = await ann.Client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {path}: {(int)response.StatusCode}");
            Assert.Contains(Html.E(AntiforgeryGate.Message), await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(before, await StateAsync());
        // Still signed in: the sign-out without a token did nothing.
        Assert.Equal(HttpStatusCode.OK, (await ann.GetAsync(SshKeyPages.Path)).Status);
    }

    [Fact]
    public async Task Deleting_a_token_a_key_an_access_key_or_signing_out_without_the_token_is_refused_and_then_works_with_it()
    {
        var (ann, keyUuid, tokenId, accessKeyId) = await ArrangeAsync();
        var forms = new[]
        {
            $"{TokenPages.Path}/{tokenId}/delete",
            $"{SshKeyPages.Path}/{keyUuid:D}/delete",
            $"/ann/site/settings/access-keys/{accessKeyId}/delete",
            "/signout",
        };
        var before = await StateAsync();
        foreach (var path in forms)
        {
            var refused = await ann.Client.PostAsync(path, new FormUrlEncodedContent([]));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }
        Assert.Equal(before, await StateAsync());
        Assert.Equal(HttpStatusCode.OK, (await ann.GetAsync(TokenPages.Path)).Status);

        // With the page's token each one does what it says.
        Assert.Equal(HttpStatusCode.Redirect, (await ann.PostFormAsync(TokenPages.Path, forms[0])).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await ann.PostFormAsync(SshKeyPages.Path, forms[1])).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await ann.PostFormAsync("/ann/site/settings/access-keys", forms[2])).StatusCode);
        var after = await StateAsync();
        Assert.Equal(("", "", ""), (after.Tokens, after.Keys, after.AccessKeys));
        Assert.Equal(HttpStatusCode.Redirect, (await ann.PostFormAsync(SshKeyPages.Path, forms[3])).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await ann.GetAsync(SshKeyPages.Path)).Status);
    }
}
