using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Wharf.Core.Audit;
using static Wharf.Server.Web.Html;

namespace Wharf.Server.Tests;

/// <summary>
/// Relabelling account keys and repository access keys on every front end (API, web pages, CLI): the key itself
/// never changes, no label keeps the label, an empty label or one another key already has is refused with a
/// message and changes nothing.
/// </summary>
public sealed class KeyRelabelTests : WebPageTestBase
{
    private const string Keys = "/account/ssh-keys";
    private const string AccessKeys = "/alice/site/settings/access-keys";
    private const string Empty = "The label cannot be empty: give the key a label.";
    private static string Taken(string label) => $"Another key on this account is already labelled '{label}'; labels must differ so that each names one key.";
    private static string AccessTaken(string label) =>
        $"Another access key of alice/site is already labelled '{label}'; labels must differ so that each names one key.";
    private const string Immutable =
        "A key cannot be changed once added, only its label: send no \"key\" (or the key as it is), or delete this key and add the new one.";

    private async Task<string> TokenAsync(string user) =>
        (await Host.Data.RunAsync("admin", "token", "create", user)).Out.TrimEnd('\n').Split('\n')[^1];

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string token, object? body)
    {
        using var http = new HttpClient { BaseAddress = Host.BaseAddress };
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static void AssertError((HttpStatusCode Status, JsonElement Body) answer, HttpStatusCode status, string code, string message) =>
        Assert.Equal((status, code, message),
            (answer.Status, answer.Body.GetProperty("error").GetProperty("code").GetString(), answer.Body.GetProperty("error").GetProperty("message").GetString()));

    private async Task<string[]> LabelsAsync()
    {
        await using var db = Host.Data.OpenDatabase();
        return await db.SshKeys.OrderBy(k => k.Id).Select(k => k.Label).ToArrayAsync();
    }

    private async Task<string[]> AccessLabelsAsync()
    {
        await using var db = Host.Data.OpenDatabase();
        return await db.RepositoryAccessKeys.OrderBy(k => k.Id).Select(k => k.Label).ToArrayAsync();
    }

    /// <summary>alice with two keys, "one" (comment alice@laptop) and "two"; returns their API ids.</summary>
    private async Task<(string Token, string One, string Two, string OneKey)> AliceWithTwoKeysAsync()
    {
        using var alice = await SignUpAsync("alice");
        var token = await TokenAsync("alice");
        var oneKey = TestKeys.Ed25519("alice@laptop");
        var one = await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", token, new { key = oneKey, label = "one" });
        var two = await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", token, new { key = TestKeys.Ed25519("alice@desk"), label = "two" });
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (one.Status, two.Status));
        return (token, Uri.EscapeDataString(one.Body.GetProperty("uuid").GetString()!), Uri.EscapeDataString(two.Body.GetProperty("uuid").GetString()!), oneKey);
    }

    [Fact]
    public async Task Api_put_with_another_key_is_refused_and_changes_nothing_while_the_same_key_is_accepted()
    {
        var (token, one, _, oneKey) = await AliceWithTwoKeysAsync();
        var path = $"/2.0/users/alice/ssh-keys/{one}";

        // Before: 200, the label changed and the old key silently kept.
        AssertError(await SendAsync(HttpMethod.Put, path, token, new { key = TestKeys.Ed25519("other"), label = "renamed" }),
            HttpStatusCode.BadRequest, "key-immutable", Immutable);
        AssertError(await SendAsync(HttpMethod.Put, path, token, new { key = "not a key", label = "renamed" }),
            HttpStatusCode.BadRequest, "key-immutable", Immutable);
        Assert.Equal(["one", "two"], await LabelsAsync());

        // A client that sends back the object it read, key included, only relabels.
        var same = await SendAsync(HttpMethod.Put, path, token, new { key = oneKey, label = "laptop" });
        Assert.Equal((HttpStatusCode.OK, "laptop"), (same.Status, same.Body.GetProperty("label").GetString()));
        Assert.Equal(["laptop", "two"], await LabelsAsync());
    }

    [Fact]
    public async Task Api_put_without_a_label_keeps_the_label()
    {
        var (token, one, _, _) = await AliceWithTwoKeysAsync();
        // Before: the key was renamed to its comment, "alice@laptop".
        var kept = await SendAsync(HttpMethod.Put, $"/2.0/users/alice/ssh-keys/{one}", token, new { });
        Assert.Equal((HttpStatusCode.OK, "one"), (kept.Status, kept.Body.GetProperty("label").GetString()));
        Assert.Equal(["one", "two"], await LabelsAsync());
        Assert.Equal(0, await Host.Data.CountAsync(db => db.AuditLog.Where(a => a.Action == AuditActions.LabelChanged)));
    }

    [Fact]
    public async Task Api_put_with_an_empty_or_taken_label_is_refused()
    {
        var (token, _, two, _) = await AliceWithTwoKeysAsync();
        var path = $"/2.0/users/alice/ssh-keys/{two}";
        AssertError(await SendAsync(HttpMethod.Put, path, token, new { label = "" }), HttpStatusCode.BadRequest, "label-empty", Empty);
        AssertError(await SendAsync(HttpMethod.Put, path, token, new { label = "   " }), HttpStatusCode.BadRequest, "label-empty", Empty);
        AssertError(await SendAsync(HttpMethod.Put, path, token, new { label = "one" }), HttpStatusCode.Conflict, "label-duplicate", Taken("one"));
        AssertError(await SendAsync(HttpMethod.Put, path, token, new { label = " one " }), HttpStatusCode.Conflict, "label-duplicate", Taken("one"));
        Assert.Equal(["one", "two"], await LabelsAsync());
        // Its own label again is no change, not a clash with itself.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, path, token, new { label = "two" })).Status);
        Assert.Equal(0, await Host.Data.CountAsync(db => db.AuditLog.Where(a => a.Action == AuditActions.LabelChanged)));
    }

    [Fact]
    public async Task The_web_label_form_refuses_an_empty_or_taken_label_with_a_message()
    {
        using var alice = await SignUpAsync("alice");
        foreach (var (label, comment) in new[] { ("one", "alice@laptop"), ("two", "alice@desk") })
            Assert.Equal(HttpStatusCode.Redirect, (await alice.PostFormAsync(Keys, Keys, ("label", label), ("key", TestKeys.Ed25519(comment)))).StatusCode);
        await using (var db = Host.Data.OpenDatabase())
        {
            var two = (await db.SshKeys.SingleAsync(k => k.Label == "two")).Uuid;
            // Before: an empty field renamed the key to its comment, and "one" made two keys labelled "one".
            foreach (var (label, message) in new[] { ("", Empty), ("one", Taken("one")) })
            {
                var refused = await alice.PostFormAsync(Keys, $"{Keys}/{two:D}/label", ("label", label));
                Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
                // Beside the label field of that key, not above the Add key form.
                Assert.Contains($"<p class=\"field-error\" id=\"label-{two:D}-error\">{E(message)}</p>", await refused.Content.ReadAsStringAsync());
            }
            Assert.Equal(["one", "two"], await LabelsAsync());
            Assert.Equal(HttpStatusCode.Redirect, (await alice.PostFormAsync(Keys, $"{Keys}/{two:D}/label", ("label", "desk"))).StatusCode);
        }
        Assert.Equal(["one", "desk"], await LabelsAsync());
    }

    [Fact]
    public async Task Admin_key_label_refuses_an_empty_or_taken_label_with_a_message()
    {
        using var alice = await SignUpAsync("alice");
        await Host.Data.PipeAsync(TestKeys.Ed25519("alice@laptop"), "admin", "key", "add", "alice", "--label", "one");
        await Host.Data.PipeAsync(TestKeys.Ed25519("alice@desk"), "admin", "key", "add", "alice", "--label", "two");
        var empty = await Host.Data.RunAsync("admin", "key", "label", "alice", "--label", "two", "--to", "");
        Assert.Equal((2, "", $"wharf: {Empty}\n"), (empty.ExitCode, empty.Out, empty.Error));
        var taken = await Host.Data.RunAsync("admin", "key", "label", "alice", "--label", "two", "--to", "one");
        Assert.Equal((4, "", $"wharf: {Taken("one")}\n"), (taken.ExitCode, taken.Out, taken.Error));
        Assert.Equal(["one", "two"], await LabelsAsync());
    }

    /// <summary>alice/site with two access keys, "CI" and "deploy"; returns the API token and their ids.</summary>
    private async Task<(WebSession Alice, string Token, long Ci, long Deploy, string CiKey)> SiteWithTwoAccessKeysAsync()
    {
        var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        var token = await TokenAsync("alice");
        var ciKey = TestKeys.Ed25519("ci@build");
        var ci = await SendAsync(HttpMethod.Post, "/2.0/repositories/alice/site/deploy-keys", token, new { key = ciKey, label = "CI" });
        var deploy = await SendAsync(HttpMethod.Post, "/2.0/repositories/alice/site/deploy-keys", token, new { key = TestKeys.Ed25519("deploy@prod"), label = "deploy" });
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (ci.Status, deploy.Status));
        return (alice, token, ci.Body.GetProperty("id").GetInt64(), deploy.Body.GetProperty("id").GetInt64(), ciKey);
    }

    [Fact]
    public async Task Deploy_key_put_refuses_another_key_an_empty_label_and_a_taken_label_and_keeps_the_label_without_one()
    {
        var (_, token, ci, deploy, ciKey) = await SiteWithTwoAccessKeysAsync();
        var path = $"/2.0/repositories/alice/site/deploy-keys/{deploy}";
        AssertError(await SendAsync(HttpMethod.Put, path, token, new { key = TestKeys.Ed25519("other"), label = "swapped" }),
            HttpStatusCode.BadRequest, "key-immutable", Immutable);
        // Before: an empty label became the key's comment, "deploy@prod".
        AssertError(await SendAsync(HttpMethod.Put, path, token, new { label = "" }), HttpStatusCode.BadRequest, "label-empty", Empty);
        AssertError(await SendAsync(HttpMethod.Put, path, token, new { label = "CI" }), HttpStatusCode.Conflict, "access-key-label-duplicate", AccessTaken("CI"));
        var kept = await SendAsync(HttpMethod.Put, path, token, new { read_only = false });
        Assert.Equal((HttpStatusCode.OK, "deploy", false), (kept.Status, kept.Body.GetProperty("label").GetString(), kept.Body.GetProperty("read_only").GetBoolean()));
        Assert.Equal(["CI", "deploy"], await AccessLabelsAsync());
        // Bitbucket's update sends the key back with the new label.
        var same = await SendAsync(HttpMethod.Put, $"/2.0/repositories/alice/site/deploy-keys/{ci}", token, new { key = ciKey, label = "CI build" });
        Assert.Equal((HttpStatusCode.OK, "CI build"), (same.Status, same.Body.GetProperty("label").GetString()));
        Assert.Equal(["CI build", "deploy"], await AccessLabelsAsync());
    }

    [Fact]
    public async Task The_access_key_page_relabels_and_refuses_an_empty_or_taken_label_with_a_message()
    {
        var (alice, _, _, deploy, _) = await SiteWithTwoAccessKeysAsync();
        var page = Tags((await alice.GetAsync(AccessKeys)).Html);
        Assert.Contains($"<form method=\"post\" action=\"{AccessKeys}/{deploy}/label\" class=\"inline-form\">", page);
        Assert.Contains($"<label for=\"label-{deploy}\" class=\"visually-hidden\">New label for deploy</label><input id=\"label-{deploy}\" name=\"label\" value=\"deploy\"", page);
        foreach (var (label, message) in new[] { ("", Empty), ("CI", AccessTaken("CI")) })
        {
            var refused = await alice.PostFormAsync(AccessKeys, $"{AccessKeys}/{deploy}/label", ("label", label));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            // Beside the label field of that key, tied to it.
            var html = await refused.Content.ReadAsStringAsync();
            Assert.Contains($"<p class=\"field-error\" id=\"label-{deploy}-error\">{E(message)}</p>", html);
            Assert.Contains($"aria-invalid=\"true\" aria-describedby=\"label-{deploy}-error\"", html);
        }
        Assert.Equal(["CI", "deploy"], await AccessLabelsAsync());
        var renamed = await alice.PostFormAsync(AccessKeys, $"{AccessKeys}/{deploy}/label", ("label", " production "));
        Assert.Equal((HttpStatusCode.Redirect, AccessKeys), (renamed.StatusCode, renamed.Headers.Location?.OriginalString));
        Assert.Equal(["CI", "production"], await AccessLabelsAsync());
    }
}
