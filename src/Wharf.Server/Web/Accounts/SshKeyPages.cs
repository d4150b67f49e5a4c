using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Wharf.Core.Audit;
using Wharf.Core.Errors;
using Wharf.Core.Keys;
using Wharf.Core.Users;
using Wharf.Server.Hosting;
using Wharf.Server.Ssh;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Server;

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
    /// <summary>The SSH key set-up guide.</summary>
    public const string GuidePath = Path + "/guide";
    /// <summary>The id of the guide's section that watches for a new key's first login.</summary>
    public const string WatchId = "key-watch";
    /// <summary>A key expiring within this time is flagged on the keys page.</summary>
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(30);

    public static IEndpointRouteBuilder MapSshKeyPages(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup(Path).RequireAuthorization(AccountEndpoints.Policy).WithPageErrors();

        pages.MapGet("/", async (HttpContext http, ClaimsPrincipal me, IUserStore users, SshKeyService keys, CancellationToken ct) =>
        {
            var user = await CurrentAsync(me, users, ct);
            return await KeysPageAsync(http, user, keys, new AddKeyForm(), null, ct);
        });

        pages.MapGet("/guide", async (Guid? key, HttpContext http, ClaimsPrincipal me, IUserStore users, SshKeyService keys, CancellationToken ct) =>
        {
            var user = await CurrentAsync(me, users, ct);
            return await GuidePageAsync(http, user, keys, key, new AddKeyForm(), ct);
        });

        pages.MapPost("/", async ([FromForm] string? label, [FromForm] string? key, [FromForm] string? expires, [FromForm] string? from,
            [FromForm] string? usage, [FromForm] string? challenge, [FromForm] string? proof,
            HttpContext http, ClaimsPrincipal me, IUserStore users, SshKeyService keys, CancellationToken ct) =>
        {
            var user = await CurrentAsync(me, users, ct);
            var fromGuide = from == "guide";
            AddedKey added;
            try
            {
                var chosen = string.IsNullOrEmpty(usage) ? KeyUsage.Authentication : KeyUsages.Parse(usage);
                DateTimeOffset? challengeExpires = string.IsNullOrWhiteSpace(proof) ? null : CheckChallenge(http, user, challenge);
                added = await keys.AddAsync(user, key, label, KeyExpiry.Parse(expires, "expiry date"), Actor(user, http), ct, chosen, challenge, proof,
                    challengeExpires);
            }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument or ErrorCategory.AlreadyExists)
            {
                // A refused proof gets a new challenge; anything else keeps the one the person may already have signed.
                var form = AddKeyForm.Refused(e, label ?? "", key ?? "", expires ?? "", usage ?? KeyUsages.AuthenticationName,
                    e.Code == KeyErrors.ProofBad || !ChallengeIsValid(http, user, challenge) ? "" : challenge!, proof ?? "");
                return fromGuide
                    ? await GuidePageAsync(http, user, keys, null, form, ct, StatusCodes.Status400BadRequest)
                    : await KeysPageAsync(http, user, keys, form, null, ct, StatusCodes.Status400BadRequest);
            }
            // Post/redirect/get: reloading the page must not add the key twice. From the guide, back to the guide,
            // which then watches for the key's first login.
            var message = $"Key {Display.Quote(added.Key.Label, SshKeyService.MaxLabelLength)} added" +
                (added.Key.PossessionProvenAt is not null ? ", possession proven." : ".");
            return WebPage.RedirectWithFlash(http, fromGuide ? $"{GuidePath}?key={added.Key.Uuid:D}#{WatchId}" : Path, message);
        });

        pages.MapPost("/preview", async ([FromForm] string? key, HttpContext http, ClaimsPrincipal me, IUserStore users, SshKeyService keys, CancellationToken ct) =>
            await PreviewOwnAsync(key, await CurrentAsync(me, users, ct), keys, ct));

        pages.MapGet("/{uuid:guid}/status", async (Guid uuid, HttpContext http, ClaimsPrincipal me, IUserStore users, SshKeyService keys,
            KeyUsageBuffer usage, CancellationToken ct) =>
        {
            http.Response.Headers.CacheControl = "no-store";
            var user = await CurrentAsync(me, users, ct);
            SshKey found;
            try { found = await keys.GetAsync(user, uuid, ct); }
            catch (WharfException e) when (e.Category is ErrorCategory.NotFound)
            {
                return Results.Json(new { error = new { code = e.Code, message = e.Message } }, statusCode: StatusCodes.Status404NotFound);
            }
            return Results.Ok(KeyStatus.Of(found, usage.LastLogin(found.Id)));
        });

        pages.MapPost("/{uuid:guid}/label", async (Guid uuid, [FromForm] string? label, HttpContext http, ClaimsPrincipal me,
            IUserStore users, SshKeyService keys, CancellationToken ct) =>
        {
            var user = await CurrentAsync(me, users, ct);
            var existing = await keys.GetAsync(user, uuid, ct);
            SshKey renamed;
            // The form always sends its field: an empty one is a request for an empty label, which is refused.
            try { renamed = await keys.RelabelAsync(user, existing, label ?? "", Actor(user, http), ct); }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument or ErrorCategory.AlreadyExists)
            {
                return await KeysPageAsync(http, user, keys, new AddKeyForm(), new RenameForm(uuid, label ?? "", e.Message), ct, StatusCodes.Status400BadRequest);
            }
            return WebPage.RedirectWithFlash(http, Path, $"Label changed to {Display.Quote(renamed.Label, SshKeyService.MaxLabelLength)}.");
        });

        pages.MapPost("/{uuid:guid}/usage", async (Guid uuid, [FromForm] string? usage, HttpContext http, ClaimsPrincipal me,
            IUserStore users, SshKeyService keys, CancellationToken ct) =>
        {
            var user = await CurrentAsync(me, users, ct);
            var key = await keys.GetAsync(user, uuid, ct);
            key = await keys.ChangeUsageAsync(user, key, KeyUsages.Parse(usage), Actor(user, http), ct);
            return WebPage.RedirectWithFlash(http, Path, $"Key {Display.Quote(key.Label, SshKeyService.MaxLabelLength)} is now for {key.Usage.ForPeople()}.");
        });

        pages.MapPost("/{uuid:guid}/compromised", async (Guid uuid, [FromForm] string? since, HttpContext http, ClaimsPrincipal me,
            IUserStore users, SshKeyService keys, CancellationToken ct) =>
        {
            var user = await CurrentAsync(me, users, ct);
            var key = await keys.GetAsync(user, uuid, ct);
            key = await keys.ReportCompromisedAsync(user, key, KeyExpiry.Parse(since, "compromise date"), Actor(user, http), ct);
            return WebPage.RedirectWithFlash(http, Path,
                $"Key {Display.Quote(key.Label, SshKeyService.MaxLabelLength)} reported compromised since {key.CompromisedSince!.Value.UtcDateTime:yyyy-MM-dd}: it no longer logs in or signs.");
        });

        // The confirmation is now a dialog on the keys page; an old link to the confirmation page lands on the key.
        pages.MapGet("/{uuid:guid}/delete", async (Guid uuid, HttpContext http, ClaimsPrincipal me, IUserStore users,
            SshKeyService keys, CancellationToken ct) =>
        {
            var user = await CurrentAsync(me, users, ct);
            var key = await keys.GetAsync(user, uuid, ct);
            return Results.Redirect($"{Path}#{RowId(key.Uuid)}");
        });

        pages.MapPost("/{uuid:guid}/delete", async (Guid uuid, HttpContext http, ClaimsPrincipal me, IUserStore users,
            SshKeyService keys, CancellationToken ct) =>
        {
            var user = await CurrentAsync(me, users, ct);
            var key = await keys.GetAsync(user, uuid, ct);
            await keys.RemoveAsync(user, key, Actor(user, http), ct);
            return WebPage.RedirectWithFlash(http, Path, $"Key {Display.Quote(key.Label, SshKeyService.MaxLabelLength)} deleted.");
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
        new(user.Name, AccountEndpoints.ClientAddress(http));

    /// <summary>The id of a key's row on the keys page (the old confirmation page's address redirects there).</summary>
    public static string RowId(Guid uuid) => "key-" + uuid.ToString("D");

    /// <summary>The preview of the account keys form: as <see cref="Preview"/>, and a key already on this account is named before it is sent.</summary>
    private static async Task<IResult> PreviewOwnAsync(string? key, User user, SshKeyService keys, CancellationToken ct)
    {
        var preview = Preview(key, keys);
        if (preview is not Ok<KeyPreview> { Value: { Ok: true, Fingerprint: { } fingerprint } }) return preview;
        var own = (await keys.ListAsync(user, ct)).FirstOrDefault(k => k.Fingerprint == fingerprint);
        return own is null ? preview : Results.Ok(new KeyPreview(false, KeyErrors.AlreadyYours(own.Label).Message, null, null, null, false));
    }

    /// <summary>How long a proof-of-possession challenge shown on the form stays valid.</summary>
    public static readonly TimeSpan ChallengeLifetime = KeyProof.DefaultChallengeLifetime;
    private const string ChallengePrefix = "wharf-key-proof:";

    private static IDataProtector ChallengeProtector(IServiceProvider services) =>
        services.GetRequiredService<IDataProtectionProvider>().CreateProtector("Wharf.SshKeyPages.Proof.v2");

    /// <summary>
    /// A challenge bound to the account and to its expiry (by the server's clock): protected data the server can recognise
    /// without storing it. Once a proof over it is accepted it is spent (<see cref="KeyProof.Spent"/>) and refused from then on.
    /// </summary>
    internal static string NewChallenge(HttpContext http, User user) =>
        NewChallenge(http.RequestServices, user.Uuid, http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow() + ChallengeLifetime);

    internal static string NewChallenge(IServiceProvider services, Guid account, DateTimeOffset expiresAt) =>
        ChallengePrefix + ChallengeProtector(services).Protect(string.Join(':', account.ToString("N"),
            Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
            expiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));

    /// <summary>
    /// The challenge's expiry, when it is one this server gave <paramref name="user"/> and it has not expired; else throws
    /// <see cref="KeyErrors.ProofBad"/> saying which. Whether it was already used is decided when the key is stored.
    /// </summary>
    internal static DateTimeOffset CheckChallenge(HttpContext http, User user, string? challenge)
    {
        string[] parts;
        try
        {
            parts = challenge is not null && challenge.StartsWith(ChallengePrefix, StringComparison.Ordinal)
                ? ChallengeProtector(http.RequestServices).Unprotect(challenge[ChallengePrefix.Length..]).Split(':')
                : [];
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            parts = [];
        }
        if (parts.Length != 3 || parts[0] != user.Uuid.ToString("N") || !long.TryParse(parts[2], CultureInfo.InvariantCulture, out var seconds))
            throw KeyErrors.ProofInvalid("the challenge is not one this page gave you. Sign the new challenge below.");
        var expires = DateTimeOffset.FromUnixTimeSeconds(seconds);
        if (http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow() >= expires) throw KeyErrors.ChallengeExpired(ChallengeLifetime);
        return expires;
    }

    internal static bool ChallengeIsValid(HttpContext http, User user, string? challenge)
    {
        try { CheckChallenge(http, user, challenge); return true; }
        catch (WharfException e) when (e.Code == KeyErrors.ProofBad) { return false; }
    }

    private static AddKeyForm WithChallenge(HttpContext http, User user, AddKeyForm form) =>
        form.Challenge.Length > 0 ? form : form with { Challenge = NewChallenge(http, user) };

    private static async Task<IResult> KeysPageAsync(HttpContext http, User user, SshKeyService keys, AddKeyForm form, RenameForm? rename,
        CancellationToken ct, int status = StatusCodes.Status200OK)
    {
        form = WithChallenge(http, user, form);
        var list = await keys.ListAsync(user, ct);
        return WebPage.Render<SshKeysPage>(http, new Dictionary<string, object?>
        {
            [nameof(SshKeysPage.UserName)] = user.Name,
            [nameof(SshKeysPage.Keys)] = list,
            [nameof(SshKeysPage.Form)] = form,
            [nameof(SshKeysPage.Rename)] = rename,
            [nameof(SshKeysPage.Guide)] = list.Count == 0 ? Guide(http, user) : null,
            [nameof(SshKeysPage.Now)] = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow(),
        }, status);
    }

    private static async Task<IResult> GuidePageAsync(HttpContext http, User user, SshKeyService keys, Guid? watch, AddKeyForm form,
        CancellationToken ct, int status = StatusCodes.Status200OK)
    {
        form = WithChallenge(http, user, form);
        var list = await keys.ListAsync(user, ct);
        // The key the page watches: the one just added (named in the address), else the newest key never used yet.
        var watched = watch is { } id ? list.FirstOrDefault(k => k.Uuid == id) : list.Where(k => k.LastUsedAt is null).MaxBy(k => k.CreatedAt);
        var usage = http.RequestServices.GetRequiredService<KeyUsageBuffer>();
        return WebPage.Render<SshKeyGuidePage>(http, new Dictionary<string, object?>
        {
            [nameof(SshKeyGuidePage.UserName)] = user.Name,
            [nameof(SshKeyGuidePage.Guide)] = Guide(http, user),
            [nameof(SshKeyGuidePage.Form)] = form,
            [nameof(SshKeyGuidePage.Watched)] = watched is null ? null : new KeyWatch(watched.Uuid, watched.Label, KeyStatus.Of(watched, usage.LastLogin(watched.Id))),
            [nameof(SshKeyGuidePage.KeyCount)] = list.Count,
        }, status);
    }

    /// <summary>What the guide needs to write this server's commands: the person's email and name, the SSH host and port people connect to, the host keys.</summary>
    internal static KeyGuide Guide(HttpContext http, User user)
    {
        var address = http.RequestServices.GetRequiredService<WebAddress>();
        var options = http.RequestServices.GetRequiredService<SshServerOptions>();
        // The host as the clone URLs name it: Ssh:PublicHost, else the host the page was asked for (without an IPv6 literal's brackets).
        var host = (address.SshHost ?? http.Request.Host.Host).Trim('[', ']');
        return new KeyGuide(user.Email, user.Name, host, address.SshPort,
            [.. options.HostKeys.Select(k => new HostKeyFingerprint(HostKeyFingerprint.NameOf(k.PublicKey.KeyType), k.PublicKey.FingerprintSha256))]);
    }
}

/// <summary>The answer of <c>POST /account/ssh-keys/preview</c>: what was understood, or the exact refusal.</summary>
public sealed record KeyPreview(bool Ok, string? Message, string? KeyType, int? Bits, string? Fingerprint, bool OptionsDropped);
