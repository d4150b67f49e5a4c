using System.Globalization;
using System.Net;
using System.Security.Claims;
using Wharf.Core.Audit;
using Wharf.Core.Errors;
using Wharf.Core.Keys;
using Wharf.Core.Users;

namespace Wharf.Server.Web.Api;

/// <summary>
/// <c>/2.0/user</c>, <c>/2.0/users/{user}</c> and <c>/2.0/users/{user}/ssh-keys</c> in Bitbucket Cloud's shape, so existing scripts
/// work. Every route needs a token (group policy); users manage their own keys, administrators anyone's.
/// </summary>
public static class SshKeyEndpoints
{
    // Bitbucket's defaults: 10 per page, at most 100.
    public const int DefaultPageLength = 10;
    public const int MaxPageLength = 100;

    public static IEndpointRouteBuilder MapSshKeyApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/2.0").RequireAuthorization().WithApiErrors().WithTokenScopes(repository: false);

        api.MapGet("/user", async (ClaimsPrincipal me, IUserStore users, CancellationToken ct) =>
            TypedResults.Ok(UserDto.From(await CallerAsync(me, users, ct))));

        // Bitbucket's users.get: any signed-in caller may look an account up by name or {uuid}; whether it is an
        // administrator is told only to itself and to administrators.
        api.MapGet("/users/{user}", async (string user, ClaimsPrincipal me, IUserStore users, UserService userService, CancellationToken ct) =>
        {
            var caller = await CallerAsync(me, users, ct);
            var found = await userService.GetByNameOrUuidAsync(user, ct);
            return TypedResults.Ok(found.Id == caller.Id || caller.IsAdmin ? UserDto.From(found) : UserDto.Public(found));
        });

        var keys = api.MapGroup("/users/{user}/ssh-keys");

        keys.MapGet("/", async (string user, int? page, int? pagelen, HttpContext http, ClaimsPrincipal me, IUserStore users,
            UserService userService, SshKeyService service, CancellationToken ct) =>
        {
            var owner = await OwnerAsync(user, me, users, userService, ct);
            var size = pagelen ?? DefaultPageLength;
            var number = page ?? 1;
            if (size is < 1 or > MaxPageLength || number < 1)
                throw WharfException.InvalidArgument($"page must be 1 or more and pagelen 1 to {MaxPageLength}.", "invalid-page");
            var all = await service.ListAsync(owner, ct);
            var values = all.Skip((number - 1) * size).Take(size).Select(SshKeyDto.From).ToList();
            string? next = null;
            if (number * size < all.Count)
            {
                var r = http.Request;
                next = $"{r.Scheme}://{r.Host}{r.PathBase}{r.Path}?page={number + 1}&pagelen={size}";
            }
            return TypedResults.Ok(new PageDto<SshKeyDto>(values, number, size, all.Count, next));
        });

        keys.MapPost("/", async (string user, HttpContext http, ClaimsPrincipal me, IUserStore users,
            UserService userService, SshKeyService service, CancellationToken ct) =>
        {
            var owner = await OwnerAsync(user, me, users, userService, ct);
            var body = await ApiJson.ReadAsync<AddKeyRequest>(http.Request, AddKeyRequest.Example, ct);
            var usage = body.UsageType is null ? KeyUsage.Authentication : KeyUsages.Parse(body.UsageType);
            var added = await service.AddAsync(owner, body.Key, body.Label, KeyExpiry.Parse(body.ExpiresOn, "expires_on"), Actor(me, http), ct, usage);
            var dto = SshKeyDto.From(added.Key);
            return TypedResults.Created($"/2.0/users/{Uri.EscapeDataString(user)}/ssh-keys/{Uri.EscapeDataString(dto.Uuid)}", dto);
        }).DocumentJsonBody<AddKeyRequest>();

        keys.MapGet("/{keyId}", async (string user, string keyId, ClaimsPrincipal me, IUserStore users, UserService userService,
            SshKeyService service, CancellationToken ct) =>
        {
            var owner = await OwnerAsync(user, me, users, userService, ct);
            return TypedResults.Ok(SshKeyDto.From(await KeyAsync(service, owner, keyId, ct)));
        });

        keys.MapPut("/{keyId}", async (string user, string keyId, HttpContext http, ClaimsPrincipal me,
            IUserStore users, UserService userService, SshKeyService service, CancellationToken ct) =>
        {
            var owner = await OwnerAsync(user, me, users, userService, ct);
            var key = await KeyAsync(service, owner, keyId, ct);
            var body = await ApiJson.ReadAsync<UpdateKeyRequest>(http.Request, UpdateKeyRequest.Example, ct);
            // Only the label changes. A "key" other than the stored one is refused rather than ignored: the caller
            // would believe the key replaced. No "label" keeps the label.
            SshKeyService.RefuseKeyChange(key.Fingerprint, body.Key);
            // Everything is read before anything changes: a bad usage or date changes nothing.
            KeyUsage? usage = body.UsageType is null ? null : KeyUsages.Parse(body.UsageType);
            var compromised = KeyExpiry.Parse(body.CompromisedSince, "compromised_since");
            if (body.Label is not null) SshKeyService.ValidateNewLabel(body.Label);
            if (compromised is not null) service.CheckCompromiseDate(key, compromised);
            key = await service.RelabelAsync(owner, key, body.Label, Actor(me, http), ct);
            key = await service.ChangeUsageAsync(owner, key, usage, Actor(me, http), ct);
            if (compromised is not null)
                key = await service.ReportCompromisedAsync(owner, key, compromised, Actor(me, http), ct);
            return TypedResults.Ok(SshKeyDto.From(key));
        }).DocumentJsonBody<UpdateKeyRequest>();

        keys.MapDelete("/{keyId}", async (string user, string keyId, HttpContext http, ClaimsPrincipal me, IUserStore users,
            UserService userService, SshKeyService service, CancellationToken ct) =>
        {
            var owner = await OwnerAsync(user, me, users, userService, ct);
            await service.RemoveAsync(owner, await KeyAsync(service, owner, keyId, ct), Actor(me, http), ct);
            return TypedResults.NoContent();
        });
        return app;
    }

    internal static async Task<User> CallerAsync(ClaimsPrincipal me, IUserStore users, CancellationToken ct)
    {
        var id = long.Parse(me.FindFirstValue(ClaimTypes.NameIdentifier)!, CultureInfo.InvariantCulture);
        return await users.FindByIdAsync(id, ct) ?? throw WharfException.PermissionDenied("Your account no longer exists.");
    }

    /// <summary>The account whose keys are addressed; the caller must be it or an administrator.</summary>
    private static async Task<User> OwnerAsync(string user, ClaimsPrincipal me, IUserStore users, UserService userService, CancellationToken ct)
    {
        var caller = await CallerAsync(me, users, ct);
        var owner = await userService.GetByNameOrUuidAsync(user, ct);
        if (owner.Id != caller.Id && !caller.IsAdmin)
            throw WharfException.PermissionDenied("You can manage only your own SSH keys.", "forbidden");
        return owner;
    }

    private static Task<SshKey> KeyAsync(SshKeyService service, User owner, string keyId, CancellationToken ct) =>
        ApiIds.TryParse(keyId, out var uuid)
            ? service.GetAsync(owner, uuid, ct)
            : throw KeyErrors.KeyNotFound("with id " + Display.Quote(keyId));

    private static Actor Actor(ClaimsPrincipal me, HttpContext http) =>
        new(me.Identity!.Name!, Accounts.AccountEndpoints.ClientAddress(http));
}
