using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Wharf.Core.Access;
using Wharf.Core.AccessKeys;
using Wharf.Core.Errors;
using Wharf.Core.Keys;
using Wharf.Server.Web.Accounts;
using static Wharf.Server.Web.Html;

namespace Wharf.Server.Web.Repositories;

/// <summary>
/// <c>/OWNER/NAME/settings/access-keys</c> (Admin level): keys that reach this repository without being
/// anyone's account (a build server's, a deployment's), read-only unless Read-write is ticked. Adding goes
/// through <see cref="AccessKeyService"/>, so the page gives the API's messages (key refusals from the same
/// table as account keys); the form reuses <c>/static/ssh-keys.js</c> (private keys never leave the page,
/// the server's preview while typing). Removing asks for confirmation on its own page.
/// </summary>
internal static class AccessKeyPages
{
    public const string Page = "/access-keys";

    public static void Map(RouteGroupBuilder settings)
    {
        settings.MapGet(Page, async (string owner, string repo, HttpContext http, AccessKeyService keys, CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Admin, ct);
            return await KeysPageAsync(http, view, keys, null, "", "", false, ct);
        });

        // An unchecked checkbox sends nothing: read-only unless "write" comes.
        settings.MapPost(Page, async (string owner, string repo, [FromForm] string? label, [FromForm] string? key, [FromForm] string? write,
            HttpContext http, AccessKeyService keys, CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Admin, ct);
            var canWrite = write is not null;
            try { await keys.AddAsync(view.Repository, view.Level, key, label, canWrite, ct); }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument or ErrorCategory.AlreadyExists)
            {
                return await KeysPageAsync(http, view, keys, e.Message, label ?? "", key ?? "", canWrite, ct, StatusCodes.Status400BadRequest);
            }
            return Results.Redirect(PathOf(view));
        });

        // ssh-keys.js asks FORM-ACTION/preview: the same parser and policy as Add access key, nothing stored.
        settings.MapPost(Page + "/preview", async (string owner, string repo, [FromForm] string? key, HttpContext http,
            SshKeyService reader, CancellationToken ct) =>
        {
            await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Admin, ct);
            return SshKeyPages.Preview(key, reader);
        });

        settings.MapPost(Page + "/{id:long}/label", async (string owner, string repo, long id, [FromForm] string? label, HttpContext http,
            AccessKeyService keys, CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Admin, ct);
            // The form always sends its field: an empty one is a request for an empty label, which is refused.
            try { await keys.UpdateAsync(view.Repository, view.Level, id.ToString(CultureInfo.InvariantCulture), label ?? "", canWrite: null, ct); }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument or ErrorCategory.AlreadyExists)
            {
                return await KeysPageAsync(http, view, keys, e.Message, "", "", false, ct, StatusCodes.Status400BadRequest);
            }
            return Results.Redirect(PathOf(view));
        });

        settings.MapGet(Page + "/{id:long}/delete", async (string owner, string repo, long id, HttpContext http, AccessKeyService keys,
            CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Admin, ct);
            var key = await keys.GetAsync(view.Repository, view.Level, id.ToString(CultureInfo.InvariantCulture), ct);
            return Html.Page(http, "Remove access key",
                $"<p>Remove the access key <strong>{E(key.Label)}</strong> (<code>{E(key.Fingerprint)}</code>) from {E(view.Repository.FullName)}? " +
                "It stops reaching this repository over SSH at once. To use it again, add it again.</p>" +
                $"<form method=\"post\" action=\"{E(PathOf(view))}/{key.Id}/delete\">{Antiforgery(http)}" +
                $"<button type=\"submit\">Remove access key</button> <a href=\"{E(PathOf(view))}\">Cancel</a></form>", view.User.Name);
        });

        settings.MapPost(Page + "/{id:long}/delete", async (string owner, string repo, long id, HttpContext http, AccessKeyService keys,
            CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Admin, ct);
            await keys.RemoveAsync(view.Repository, view.Level, id.ToString(CultureInfo.InvariantCulture), ct);
            return Results.Redirect(PathOf(view));
        });
    }

    private static string PathOf(RepositoryView view) => view.Path + RepositoryPages.Settings + Page;

    private static async Task<IResult> KeysPageAsync(HttpContext http, RepositoryView view, AccessKeyService keys, string? error,
        string label, string keyText, bool canWrite, CancellationToken ct, int status = 200)
    {
        var list = await keys.ListAsync(view.Repository, view.Level, ct);
        var action = E(PathOf(view));
        var body = new StringBuilder(RepositoryPages.SettingsNav(view, Page))
            .Append("<p class=\"note\">An access key reaches this repository (and the others it was added to) and nothing else. ")
            .Append("It cannot also be someone's personal SSH key.</p>");
        if (list.Count == 0) body.Append("<p id=\"no-access-keys\">No access keys yet.</p>");
        else
        {
            body.Append("<table id=\"access-keys\"><thead><tr><th>Label</th><th>Type</th><th>Fingerprint</th><th>Access</th>" +
                "<th>Added</th><th>Last used</th><th></th></tr></thead><tbody>");
            foreach (var k in list)
                body.Append(CultureInfo.InvariantCulture, $"<tr class=\"access-key\" data-id=\"{k.Id}\"><td><span class=\"key-label\">{E(k.Label)}</span>")
                    .Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{action}/{k.Id}/label\">{Antiforgery(http)}")
                    .Append(CultureInfo.InvariantCulture, $"<label for=\"label-{k.Id}\">New label for {E(k.Label)}</label>")
                    .Append(CultureInfo.InvariantCulture, $"<input id=\"label-{k.Id}\" name=\"label\" value=\"{E(k.Label)}\" maxlength=\"{SshKeyService.MaxLabelLength}\">")
                    .Append("<button type=\"submit\">Save label</button></form></td>")
                    .Append(CultureInfo.InvariantCulture, $"<td>{E(k.KeyType)}, {k.Bits} bits</td><td><code class=\"fingerprint\">{E(k.Fingerprint)}</code></td>")
                    .Append(CultureInfo.InvariantCulture, $"<td class=\"key-access\">{(k.CanWrite ? "Read-write" : "Read-only")}</td>")
                    .Append(CultureInfo.InvariantCulture, $"<td>{SshKeyPages.When(k.CreatedAt, "")}</td><td>{SshKeyPages.When(k.LastUsedAt, "never")}</td>")
                    .Append(CultureInfo.InvariantCulture, $"<td><a href=\"{action}/{k.Id}/delete\">Remove</a></td></tr>");
            body.Append("</tbody></table>");
        }
        body.Append("<h2>Add access key</h2>")
            .Append(Error(error, "add-error"))
            .Append(CultureInfo.InvariantCulture, $"<form id=\"add-key\" method=\"post\" action=\"{action}\">{Antiforgery(http)}")
            .Append(CultureInfo.InvariantCulture, $"<label for=\"key-label\">Label</label><input id=\"key-label\" name=\"label\" value=\"{E(label)}\" maxlength=\"{SshKeyService.MaxLabelLength}\">")
            .Append("<p class=\"note\">Optional; defaults to the key's comment. Say what uses it, such as \"build server\".</p>")
            .Append(CultureInfo.InvariantCulture, $"<label for=\"key-text\">Key</label><textarea id=\"key-text\" name=\"key\" rows=\"6\" spellcheck=\"false\">{E(keyText)}</textarea>")
            .Append("<p class=\"note\">The public key, such as the contents of <code>id_ed25519.pub</code>. Never the private key.</p>")
            .Append(SshKeyPages.ScriptOutputs)
            .Append(CultureInfo.InvariantCulture, $"<label class=\"choice\"><input type=\"checkbox\" id=\"key-write\" name=\"write\" value=\"on\"{(canWrite ? " checked" : "")}>Read-write</label>")
            .Append("<p class=\"note\">Leave unticked for a key that only clones and pulls. Ticked, the key may also push.</p>")
            .Append("<button type=\"submit\">Add access key</button></form>");
        return Html.Page(http, $"Access keys · {view.Repository.FullName}", body.ToString(), view.User.Name, StaticScripts.SshKeys, status);
    }
}
