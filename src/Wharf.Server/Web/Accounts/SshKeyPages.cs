using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Wharf.Core.Audit;
using Wharf.Core.Errors;
using Wharf.Core.Keys;
using Wharf.Core.Users;
using Wharf.Ssh.Keys;
using static Wharf.Server.Web.Html;

namespace Wharf.Server.Web.Accounts;

/// <summary>
/// <c>/account/ssh-keys</c>: the signed-in person's keys, the "Add key" form, relabel and delete (with a
/// confirmation page). Everything goes through <see cref="SshKeyService"/>, so the page shows the very
/// messages the API and the CLI give. The static <c>/static/ssh-keys.js</c> refuses a private key before it is sent.
/// </summary>
public static class SshKeyPages
{
    public const string Path = "/account/ssh-keys";
    public static string Script => StaticAssets.SshKeys;
    public const string AuditPath = AuditPages.Path;

    /// <summary>Where <c>ssh-keys.js</c> writes, after the <c>#key-text</c> textarea of a form <c>#add-key</c>: the type as typed, the server's preview, the private-key refusal.</summary>
    internal const string ScriptOutputs =
        "<p id=\"key-type\" class=\"note\" aria-live=\"polite\"></p><p id=\"key-preview\" class=\"note\" aria-live=\"polite\"></p>" +
        "<p id=\"key-refusal\" class=\"error\" role=\"alert\" hidden></p>";

    public static IEndpointRouteBuilder MapSshKeyPages(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup(Path).RequireAuthorization(AccountEndpoints.Policy);

        pages.MapGet("/", async (HttpContext http, ClaimsPrincipal me, IUserStore users, SshKeyService keys, CancellationToken ct) =>
        {
            var user = await CurrentAsync(me, users, ct);
            return await KeysPageAsync(http, user, keys, null, "", "", ct);
        });

        pages.MapPost("/", async ([FromForm] string? label, [FromForm] string? key, [FromForm] string? expires, HttpContext http, ClaimsPrincipal me,
            IUserStore users, SshKeyService keys, CancellationToken ct) =>
        {
            var user = await CurrentAsync(me, users, ct);
            try { await keys.AddAsync(user, key, label, KeyExpiry.Parse(expires, "expiry date"), Actor(user, http), ct); }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument or ErrorCategory.AlreadyExists)
            {
                return await KeysPageAsync(http, user, keys, e.Message, label ?? "", key ?? "", ct, StatusCodes.Status400BadRequest, expires ?? "");
            }
            // Post/redirect/get: reloading the page must not add the key twice.
            return Results.Redirect(Path);
        });

        pages.MapPost("/preview", ([FromForm] string? key, SshKeyService keys) => Preview(key, keys));

        pages.MapPost("/{uuid:guid}/label", async (Guid uuid, [FromForm] string? label, HttpContext http, ClaimsPrincipal me,
            IUserStore users, SshKeyService keys, CancellationToken ct) =>
        {
            var user = await CurrentAsync(me, users, ct);
            var existing = await keys.GetAsync(user, uuid, ct);
            // The form always sends its field: an empty one is a request for an empty label, which is refused.
            try { await keys.RelabelAsync(user, existing, label ?? "", Actor(user, http), ct); }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument or ErrorCategory.AlreadyExists)
            {
                return await KeysPageAsync(http, user, keys, e.Message, "", "", ct, StatusCodes.Status400BadRequest);
            }
            return Results.Redirect(Path);
        });

        pages.MapGet("/{uuid:guid}/delete", async (Guid uuid, HttpContext http, ClaimsPrincipal me, IUserStore users,
            SshKeyService keys, CancellationToken ct) =>
        {
            var user = await CurrentAsync(me, users, ct);
            var key = await keys.GetAsync(user, uuid, ct);
            return Page(http, "Delete SSH key",
                $"<p>Delete the key <strong>{E(key.Label)}</strong> (<code>{E(key.Fingerprint)}</code>)? " +
                "It stops working over SSH at once. This cannot be undone; to use the key again, add it again.</p>" +
                $"<form method=\"post\" action=\"{Path}/{key.Uuid:D}/delete\">{Antiforgery(http)}" +
                $"<button type=\"submit\">Delete key</button> <a href=\"{Path}\">Cancel</a></form>", user.Name);
        });

        pages.MapPost("/{uuid:guid}/delete", async (Guid uuid, HttpContext http, ClaimsPrincipal me, IUserStore users,
            SshKeyService keys, CancellationToken ct) =>
        {
            var user = await CurrentAsync(me, users, ct);
            await keys.RemoveAsync(user, await keys.GetAsync(user, uuid, ct), Actor(user, http), ct);
            return Results.Redirect(Path);
        }).WithMetadata(new Microsoft.AspNetCore.Antiforgery.RequireAntiforgeryTokenAttribute());
        return app;
    }

    /// <summary>
    /// What an Add key form would store, before it is stored: the same parser and policy, nothing written.
    /// Serves <c>ssh-keys.js</c> on every form that takes a key (account keys, repository access keys).
    /// </summary>
    internal static IResult Preview(string? key, SshKeyService keys)
    {
        try
        {
            var parsed = keys.Check(key);
            return Results.Ok(new KeyPreview(true, null, parsed.Key.KeyType, parsed.Key.Bits, parsed.Key.FingerprintSha256, parsed.OptionsDropped));
        }
        catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument)
        {
            return Results.Ok(new KeyPreview(false, e.Message, null, null, null, false));
        }
    }

    internal static async Task<User> CurrentAsync(ClaimsPrincipal me, IUserStore users, CancellationToken ct)
    {
        var id = long.Parse(me.FindFirstValue(ClaimTypes.NameIdentifier)!, CultureInfo.InvariantCulture);
        return await users.FindByIdAsync(id, ct) ?? throw WharfException.PermissionDenied("Your account no longer exists.");
    }

    private static Actor Actor(User user, HttpContext http) =>
        new(user.Name, http.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : null);

    internal static string When(DateTimeOffset? t, string none) =>
        t is { } v ? v.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : none;

    private static async Task<IResult> KeysPageAsync(HttpContext http, User user, SshKeyService keys, string? error,
        string label, string keyText, CancellationToken ct, int status = 200, string expires = "")
    {
        var list = await keys.ListAsync(user, ct);
        var body = new StringBuilder();
        if (list.Count == 0) body.Append("<p id=\"no-keys\">No SSH keys yet. Add one below to use git over SSH.</p>");
        else
        {
            body.Append("<table id=\"keys\"><thead><tr><th>Label</th><th>Type</th><th>Fingerprint</th><th>Comment</th>" +
                "<th>Added</th><th>Last used</th><th>Expires</th><th></th></tr></thead><tbody>");
            foreach (var k in list)
            {
                var id = k.Uuid.ToString("D");
                body.Append(CultureInfo.InvariantCulture, $"<tr class=\"key\" data-uuid=\"{id}\">")
                    .Append(CultureInfo.InvariantCulture, $"<td><span class=\"key-label\">{E(k.Label)}</span>")
                    .Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{Path}/{id}/label\">{Antiforgery(http)}")
                    .Append(CultureInfo.InvariantCulture, $"<label for=\"label-{id}\">New label for {E(k.Label)}</label>")
                    .Append(CultureInfo.InvariantCulture, $"<input id=\"label-{id}\" name=\"label\" value=\"{E(k.Label)}\" maxlength=\"{SshKeyService.MaxLabelLength}\">")
                    .Append("<button type=\"submit\">Save label</button></form></td>")
                    .Append(CultureInfo.InvariantCulture, $"<td>{E(k.KeyType)}, {k.Bits} bits</td>")
                    .Append(CultureInfo.InvariantCulture, $"<td><code class=\"fingerprint\">{E(k.Fingerprint)}</code>")
                    .Append(CultureInfo.InvariantCulture, $"<details><summary>MD5</summary><code>{E(SshPublicKey.ParseOpenSsh(k.PublicKey).FingerprintMd5)}</code></details></td>")
                    .Append(CultureInfo.InvariantCulture, $"<td>{E(k.Comment ?? "")}</td><td>{When(k.CreatedAt, "")}</td>")
                    .Append(CultureInfo.InvariantCulture, $"<td>{When(k.LastUsedAt, "never")}</td><td>{When(k.ExpiresAt, "never")}</td>")
                    .Append(CultureInfo.InvariantCulture, $"<td><a href=\"{Path}/{id}/delete\">Delete</a></td></tr>");
            }
            body.Append("</tbody></table>");
        }
        body.Append(CultureInfo.InvariantCulture, $"<p><a id=\"audit-link\" href=\"{AuditPath}\">Audit log</a>: when keys were added, relabelled, deleted or refused as expired, by whom and from where. <a id=\"tokens-link\" href=\"{TokenPages.Path}\">API tokens</a> for the REST API.</p>");
        body.Append(AccountEndpoints.SessionControls(http));
        body.Append("<p class=\"note\">A key cannot be changed once added; only its label can. To replace a key, delete it and add the new one.</p>")
            .Append("<h2>Add key</h2>")
            .Append(Error(error, "add-error"))
            .Append(CultureInfo.InvariantCulture, $"<form id=\"add-key\" method=\"post\" action=\"{Path}\">{Antiforgery(http)}")
            .Append(CultureInfo.InvariantCulture, $"<label for=\"key-label\">Label</label><input id=\"key-label\" name=\"label\" value=\"{E(label)}\" maxlength=\"{SshKeyService.MaxLabelLength}\">")
            .Append("<p class=\"note\">Optional; defaults to the key's comment.</p>")
            .Append(CultureInfo.InvariantCulture, $"<label for=\"key-text\">Key</label><textarea id=\"key-text\" name=\"key\" rows=\"6\" spellcheck=\"false\">{E(keyText)}</textarea>")
            .Append("<p class=\"note\">Paste your public key: the contents of <code>~/.ssh/id_ed25519.pub</code>, PuTTYgen's public key box or saved public key file. Never the private key.</p>")
            .Append(CultureInfo.InvariantCulture, $"<label for=\"key-expires\">Expires</label><input id=\"key-expires\" name=\"expires\" type=\"date\" value=\"{E(expires)}\">")
            .Append("<p class=\"note\">Optional. From the start of this day (UTC) the key no longer logs in; Wharf emails you a reminder before then.</p>")
            .Append(ScriptOutputs)
            .Append("<button type=\"submit\">Add key</button></form>");
        return Page(http, "SSH keys", body.ToString(), user.Name, Script, status);
    }
}

/// <summary>The answer of <c>POST /account/ssh-keys/preview</c>: what was understood, or the exact refusal.</summary>
public sealed record KeyPreview(bool Ok, string? Message, string? KeyType, int? Bits, string? Fingerprint, bool OptionsDropped);
