using System.Security.Claims;
using Wharf.Core;
using Wharf.Core.Access;
using Wharf.Core.AccessKeys;
using Wharf.Core.Errors;
using Wharf.Core.Keys;
using Wharf.Core.Repositories;
using Wharf.Core.Users;
using Wharf.Server.Hosting;

namespace Wharf.Server.Web.Api;

/// <summary>
/// <c>/2.0/repositories/...</c> in Bitbucket Cloud's shape: repositories, user permissions and deploy
/// (access) keys. Every request opens the repository through <see cref="RepositoryAccess"/>, so a private
/// repository the caller cannot read answers exactly as one that does not exist.
/// </summary>
public static class RepositoryEndpoints
{
    public static IEndpointRouteBuilder MapRepositoryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/2.0/repositories").RequireAuthorization().WithApiErrors().WithTokenScopes(repository: true);

        api.MapGet("/{workspace}", async (string workspace, int? page, int? pagelen, HttpContext http, ClaimsPrincipal me, IUserStore users,
            UserService userService, IRepositoryStore store, RepositoryAccess access, WebAddress address, CancellationToken ct) =>
        {
            var caller = await SshKeyEndpoints.CallerAsync(me, users, ct);
            var owner = await userService.GetByNameOrUuidAsync(workspace, ct);
            var subject = Subject(caller);
            var visible = new List<RepositoryDto>();
            foreach (var r in await store.ListByOwnerAsync(owner.Id, ct))
                if (await access.LevelAsync(subject, r, ct) >= AccessLevel.Read) visible.Add(Dto(r, http.Request, address));
            return TypedResults.Ok(ApiPaging.Page(visible, page, pagelen, http.Request));
        });

        var repo = api.MapGroup("/{workspace}/{repoSlug}");

        repo.MapGet("/", async (string workspace, string repoSlug, HttpContext http, ClaimsPrincipal me, IUserStore users, RepositoryAccess access,
            WebAddress address, CancellationToken ct) =>
        {
            var (r, _) = await OpenAsync(workspace, repoSlug, AccessLevel.Read, me, users, access, ct);
            return TypedResults.Ok(Dto(r, http.Request, address));
        });

        repo.MapPost("/", async (string workspace, string repoSlug, HttpContext http, ClaimsPrincipal me,
            IUserStore users, UserService userService, RepositoryService service, WebAddress address, CancellationToken ct) =>
        {
            // The body is optional, as in Bitbucket: none at all means a private git repository.
            var body = http.Request.ContentLength is 0 || (http.Request.ContentLength is null && !http.Request.HasJsonContentType())
                ? null
                : await ApiJson.ReadAsync<CreateRepositoryRequest>(http.Request, CreateRepositoryRequest.Example, ct);
            var caller = await SshKeyEndpoints.CallerAsync(me, users, ct);
            var owner = await userService.GetByNameOrUuidAsync(workspace, ct);
            if (owner.Id != caller.Id && !caller.IsAdmin)
                throw WharfException.PermissionDenied("You can create repositories only in your own workspace.", RepositoryErrors.NotAllowed);
            Names.ValidateRepositoryName(repoSlug);
            if (!ScmNames.TryParse(body?.Scm, out var scm)) throw RepositoryErrors.Scm(body?.Scm);
            var created = await service.CreateAsync(new RepositoryName(owner.Name, repoSlug), ct, scm, body?.IsPrivate ?? true,
                Accounts.AuditPages.ActorOf(caller.Name, http));
            // Bitbucket answers a create with 200 and the repository; scripts check for it.
            return TypedResults.Ok(Dto(created, http.Request, address));
        }).DocumentJsonBody<CreateRepositoryRequest>();

        // Bitbucket's repository update (Admin level); here it changes the default branch, to one the repository has, and
        // "Require signed commits". Every value is checked before anything changes, so a refused request changes nothing.
        repo.MapPut("/", async (string workspace, string repoSlug, HttpContext http, ClaimsPrincipal me, IUserStore users, RepositoryAccess access,
            RepositoryService service, WebAddress address, CancellationToken ct) =>
        {
            var (r, level) = await OpenAsync(workspace, repoSlug, AccessLevel.Admin, me, users, access, ct);
            var body = await ApiJson.ReadAsync<UpdateRepositoryRequest>(http.Request, UpdateRepositoryRequest.Example, ct);
            var signed = body.SignedCommits();
            if (signed is true && r.Scm == Scm.Hg) throw RepositoryErrors.SignedCommitsOfHg(r.FullName);
            if (body.Mainbranch is { } branch) await service.SetDefaultBranchAsync(r, level, branch.Name, ct);
            if (signed is { } required && r.Scm != Scm.Hg)
            {
                await service.SetRequireSignedCommitsAsync(r, level, required, ct, Accounts.AuditPages.ActorOf(me.Identity?.Name ?? "api", http));
                r = r with { RequireSignedCommits = required };
            }
            return TypedResults.Ok(Dto(r, http.Request, address));
        }).DocumentJsonBody<UpdateRepositoryRequest>();

        repo.MapDelete("/", async (string workspace, string repoSlug, HttpContext http, ClaimsPrincipal me, IUserStore users, RepositoryAccess access,
            RepositoryService service, CancellationToken ct) =>
        {
            var (r, level) = await OpenAsync(workspace, repoSlug, AccessLevel.Admin, me, users, access, ct);
            // The API call names the repository in its URL; that is the confirmation the pages ask to be typed.
            await service.DeleteAsync(r, level, r.FullName, ct, Accounts.AuditPages.ActorOf(me.Identity?.Name ?? "api", http));
            return TypedResults.NoContent();
        });

        var permissions = repo.MapGroup("/permissions-config/users");

        permissions.MapGet("/", async (string workspace, string repoSlug, int? page, int? pagelen, HttpContext http, ClaimsPrincipal me,
            IUserStore users, RepositoryAccess access, RepositoryService service, CancellationToken ct) =>
        {
            var (r, level) = await OpenAsync(workspace, repoSlug, AccessLevel.Admin, me, users, access, ct);
            var grants = (await service.ListGrantsAsync(r, level, ct)).Select(g => PermissionDto.From(g, r)).ToList();
            return TypedResults.Ok(ApiPaging.Page(grants, page, pagelen, http.Request));
        });

        permissions.MapGet("/{user}", async (string workspace, string repoSlug, string user, ClaimsPrincipal me, IUserStore users,
            UserService userService, RepositoryAccess access, RepositoryService service, CancellationToken ct) =>
        {
            var (r, level) = await OpenAsync(workspace, repoSlug, AccessLevel.Admin, me, users, access, ct);
            var grantee = await userService.GetByNameOrUuidAsync(user, ct);
            var grant = (await service.ListGrantsAsync(r, level, ct)).FirstOrDefault(g => g.UserId == grantee.Id)
                ?? throw RepositoryErrors.NoGrant(grantee.Name, r.FullName);
            return TypedResults.Ok(PermissionDto.From(grant, r));
        });

        permissions.MapPut("/{user}", async (string workspace, string repoSlug, string user, HttpContext http, ClaimsPrincipal me,
            IUserStore users, RepositoryAccess access, RepositoryService service, CancellationToken ct) =>
        {
            var (r, level) = await OpenAsync(workspace, repoSlug, AccessLevel.Admin, me, users, access, ct);
            var body = await ApiJson.ReadAsync<PermissionRequest>(http.Request, PermissionRequest.Example, ct);
            var (grant, created) = await service.SetGrantAsync(r, level, user, body.Permission, ct, Accounts.AuditPages.ActorOf(me.Identity?.Name ?? "api", http));
            var dto = PermissionDto.From(grant, r);
            // Bitbucket: 201 when the user had no explicit permission before, 200 when it changed.
            return created ? Results.Created($"/2.0/repositories/{r.FullName}/permissions-config/users/{grant.UserName}", dto) : Results.Ok(dto);
        }).DocumentJsonBody<PermissionRequest>();

        permissions.MapDelete("/{user}", async (string workspace, string repoSlug, string user, HttpContext http, ClaimsPrincipal me, IUserStore users,
            RepositoryAccess access, RepositoryService service, CancellationToken ct) =>
        {
            var (r, level) = await OpenAsync(workspace, repoSlug, AccessLevel.Admin, me, users, access, ct);
            await service.RemoveGrantAsync(r, level, user, ct, Accounts.AuditPages.ActorOf(me.Identity?.Name ?? "api", http));
            return TypedResults.NoContent();
        });

        var keys = repo.MapGroup("/deploy-keys");

        keys.MapGet("/", async (string workspace, string repoSlug, int? page, int? pagelen, HttpContext http, ClaimsPrincipal me,
            IUserStore users, RepositoryAccess access, AccessKeyService service, CancellationToken ct) =>
        {
            var (r, level) = await OpenAsync(workspace, repoSlug, AccessLevel.Admin, me, users, access, ct);
            var all = (await service.ListAsync(r, level, ct)).Select(k => DeployKeyDto.From(k, r)).ToList();
            return TypedResults.Ok(ApiPaging.Page(all, page, pagelen, http.Request));
        });

        keys.MapPost("/", async (string workspace, string repoSlug, HttpContext http, ClaimsPrincipal me, IUserStore users,
            RepositoryAccess access, AccessKeyService service, CancellationToken ct) =>
        {
            var (r, level) = await OpenAsync(workspace, repoSlug, AccessLevel.Admin, me, users, access, ct);
            var body = await ApiJson.ReadAsync<AddDeployKeyRequest>(http.Request, AddDeployKeyRequest.Example, ct);
            // Read-only unless asked otherwise: a build server's key should not be able to push by accident.
            var added = await service.AddAsync(r, level, body.Key, body.Label, canWrite: body.ReadOnly == false, ct,
                Accounts.AuditPages.ActorOf(me.Identity?.Name ?? "api", http));
            return TypedResults.Ok(DeployKeyDto.From(added, r));
        }).DocumentJsonBody<AddDeployKeyRequest>();

        keys.MapGet("/{keyId}", async (string workspace, string repoSlug, string keyId, ClaimsPrincipal me, IUserStore users,
            RepositoryAccess access, AccessKeyService service, CancellationToken ct) =>
        {
            var (r, level) = await OpenAsync(workspace, repoSlug, AccessLevel.Admin, me, users, access, ct);
            return TypedResults.Ok(DeployKeyDto.From(await service.GetAsync(r, level, keyId, ct), r));
        });

        keys.MapPut("/{keyId}", async (string workspace, string repoSlug, string keyId, HttpContext http, ClaimsPrincipal me,
            IUserStore users, RepositoryAccess access, AccessKeyService service, CancellationToken ct) =>
        {
            var (r, level) = await OpenAsync(workspace, repoSlug, AccessLevel.Admin, me, users, access, ct);
            var body = await ApiJson.ReadAsync<UpdateDeployKeyRequest>(http.Request, UpdateDeployKeyRequest.Example, ct);
            // The key itself never changes (delete and add again); the label and read_only may. A "key" other than
            // the stored one is refused rather than ignored.
            SshKeyService.RefuseKeyChange((await service.GetAsync(r, level, keyId, ct)).Fingerprint, body.Key);
            var updated = await service.UpdateAsync(r, level, keyId, body.Label, body.ReadOnly is { } ro ? !ro : null, ct);
            return TypedResults.Ok(DeployKeyDto.From(updated, r));
        }).DocumentJsonBody<UpdateDeployKeyRequest>();

        keys.MapDelete("/{keyId}", async (string workspace, string repoSlug, string keyId, HttpContext http, ClaimsPrincipal me, IUserStore users,
            RepositoryAccess access, AccessKeyService service, CancellationToken ct) =>
        {
            var (r, level) = await OpenAsync(workspace, repoSlug, AccessLevel.Admin, me, users, access, ct);
            await service.RemoveAsync(r, level, keyId, ct, Accounts.AuditPages.ActorOf(me.Identity?.Name ?? "api", http));
            return TypedResults.NoContent();
        });

        SourceEndpoints.Map(repo);
        return app;
    }

    private static AccessSubject Subject(User caller) => AccessSubject.ForUser(caller.Id, caller.IsAdmin);

    private static RepositoryDto Dto(RepositoryInfo r, HttpRequest request, WebAddress address) =>
        RepositoryDto.From(r, ApiPaging.BaseUrl(request), CloneUrls.Ssh(r, address, request), CloneUrls.Https(r, address, request));

    internal static async Task<(RepositoryInfo Repository, AccessLevel Level)> OpenAsync(string workspace, string slug, AccessLevel needed,
        ClaimsPrincipal me, IUserStore users, RepositoryAccess access, CancellationToken ct)
    {
        var caller = await SshKeyEndpoints.CallerAsync(me, users, ct);
        // A name that cannot exist gets the same answer as one that does not.
        if (!RepositoryName.TryParse($"{workspace}/{slug}", out var name)) throw RepositoryErrors.NotFoundOrDenied($"{workspace}/{slug}");
        return await access.OpenAsync(Subject(caller), name, needed, ct);
    }
}
