using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Wharf.Core.Access;
using Wharf.Core.AccessKeys;
using Wharf.Core.Errors;
using Wharf.Core.Keys;
using Wharf.Server.Web.Accounts;

namespace Wharf.Server.Web.Repositories;

/// <summary>
/// <c>/OWNER/NAME/settings/access-keys</c> (Admin level): keys that reach this repository without being
/// anyone's account (a build server's, a deployment's), read-only unless Read-write is ticked. Adding goes
/// through <see cref="AccessKeyService"/>, so the page gives the API's messages (key refusals from the same
/// table as account keys); the form reuses <c>/static/ssh-keys.js</c> (private keys never leave the page,
/// the server's preview while typing). Removing asks for confirmation (a popover naming the key) first.
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
            AccessKeyInfo added;
            try { added = await keys.AddAsync(view.Repository, view.Level, key, label, canWrite, ct, AuditPages.ActorOf(view.User.Name, http)); }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument or ErrorCategory.AlreadyExists)
            {
                return await KeysPageAsync(http, view, keys, e.Message, label ?? "", key ?? "", canWrite, ct, StatusCodes.Status400BadRequest);
            }
            return WebPage.RedirectWithFlash(http, PathOf(view), $"Access key '{added.Label}' added.");
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
            AccessKeyInfo renamed;
            try { renamed = await keys.UpdateAsync(view.Repository, view.Level, id.ToString(CultureInfo.InvariantCulture), label ?? "", canWrite: null, ct); }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument or ErrorCategory.AlreadyExists)
            {
                return await KeysPageAsync(http, view, keys, null, "", "", false, ct, StatusCodes.Status400BadRequest, e.Message, id);
            }
            return WebPage.RedirectWithFlash(http, PathOf(view), $"Access key renamed to '{renamed.Label}'.");
        });

        settings.MapPost(Page + "/{id:long}/delete", async (string owner, string repo, long id, HttpContext http, AccessKeyService keys,
            CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Admin, ct);
            var key = await keys.GetAsync(view.Repository, view.Level, id.ToString(CultureInfo.InvariantCulture), ct);
            await keys.RemoveAsync(view.Repository, view.Level, id.ToString(CultureInfo.InvariantCulture), ct, AuditPages.ActorOf(view.User.Name, http));
            return WebPage.RedirectWithFlash(http, PathOf(view), $"Access key '{key.Label}' removed.");
        });
    }

    private static string PathOf(RepositoryView view) => view.Path + RepositoryPages.Settings + Page;

    private static async Task<IResult> KeysPageAsync(HttpContext http, RepositoryView view, AccessKeyService keys, string? error,
        string label, string keyText, bool canWrite, CancellationToken ct, int status = 200, string? renameError = null, long renameId = 0) =>
        WebPage.Render<AccessKeysView>(http, new
        {
            View = view, Keys = await keys.ListAsync(view.Repository, view.Level, ct), Error = error, Label = label, KeyText = keyText,
            CanWrite = canWrite, RenameError = renameError, RenameId = renameId,
        }, status);
}
