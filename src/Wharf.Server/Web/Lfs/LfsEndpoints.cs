using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Wharf.Core.Access;
using Wharf.Core.Errors;
using Wharf.Core.Lfs;
using Wharf.Core.Repositories;
using Wharf.Server.Web.Accounts;

namespace Wharf.Server.Web.Lfs;

/// <summary>
/// The Git LFS HTTP API under <c>/OWNER/NAME.git/info/lfs</c> (git-lfs docs/api/batch.md, basic-transfers.md, locking.md):
/// the batch endpoint, the basic transfer's upload, download and verify actions, and the locks API. Every request is
/// authenticated (<see cref="LfsAuthentication"/>) and judged by <see cref="RepositoryAccess"/> when it arrives; a
/// repository the caller cannot read answers 404 exactly like one that does not exist.
/// </summary>
public static partial class LfsEndpoints
{
    public const string MediaType = "application/vnd.git-lfs+json";
    public const string Prefix = "/{owner}/{repo}.git/info/lfs";

    /// <summary>Whether a path belongs to this API (its POSTs carry credentials in a header, never the session cookie).</summary>
    public static bool IsLfsPath(PathString path) => path.Value?.Contains(".git/info/lfs/", StringComparison.Ordinal) == true;

    public static IEndpointRouteBuilder MapLfs(this IEndpointRouteBuilder app)
    {
        var lfs = app.MapGroup(Prefix);
        lfs.MapPost("/objects/batch", BatchAsync);
        lfs.MapPut("/objects/{oid}", UploadAsync);
        lfs.MapGet("/objects/{oid}", DownloadAsync);
        lfs.MapPost("/verify", VerifyAsync);
        lfs.MapPost("/locks", CreateLockAsync);
        lfs.MapGet("/locks", ListLocksAsync);
        lfs.MapPost("/locks/verify", VerifyLocksAsync);
        lfs.MapPost("/locks/{id}/unlock", UnlockAsync);
        return app;
    }

    /// <summary>A refusal in the LFS API's shape: <c>{"message": ...}</c> with the LFS media type.</summary>
    private sealed class Refusal(int status, string message) : Exception(message)
    {
        public int Status { get; } = status;
    }

    // Read by git-lfs, never put into a page: quotes and apostrophes in messages are written as they are.
    private static readonly JsonSerializerOptions Output = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static IResult Json(int status, JsonNode body) =>
        Results.Text(body.ToJsonString(Output), MediaType, System.Text.Encoding.UTF8, status);

    private static IResult Message(int status, string message) => Json(status, new JsonObject { ["message"] = message });

    /// <summary>Runs one endpoint: refusals become their status with a message; 401 asks for Basic credentials, as git does.</summary>
    private static async Task<IResult> GuardAsync(HttpContext http, Func<Task<IResult>> handler)
    {
        try
        {
            return await handler();
        }
        catch (Refusal r)
        {
            if (r.Status == StatusCodes.Status401Unauthorized) http.Response.Headers.WWWAuthenticate = "Basic realm=\"Wharf\", charset=\"UTF-8\"";
            return Message(r.Status, r.Message);
        }
        catch (WharfException e)
        {
            return Message(e.Category switch
            {
                ErrorCategory.NotFound => 404,
                ErrorCategory.PermissionDenied => 403,
                ErrorCategory.Unavailable => 503,
                _ => 422,
            }, e.Message);
        }
    }

    public const string CredentialsNeeded = "Authentication required: use your Wharf user name and an API token, or the header git-lfs-authenticate gives.";

    /// <summary>
    /// The repository and what the caller may do with it now: the access policy's level, capped by the operation of a
    /// git-lfs-authenticate token (a token names one repository; for any other it is as if the repository did not exist).
    /// </summary>
    private static async Task<(RepositoryInfo Repository, AccessLevel Level, LfsCaller Caller)> OpenAsync(
        HttpContext http, string owner, string repo, AccessLevel needed, CancellationToken cancellationToken)
    {
        var caller = await LfsAuthentication.AuthenticateAsync(http) ?? throw new Refusal(401, CredentialsNeeded);
        var name = $"{owner}/{repo}";
        if (!RepositoryName.TryParse(name, out var parsed)) throw RepositoryErrors.NotFoundOrDenied(name);
        var services = http.RequestServices;
        var repository = await services.GetRequiredService<IRepositoryStore>().FindAsync(parsed.Owner, parsed.Name, cancellationToken);
        if (repository is null || repository.Scm != Scm.Git || (caller.RepositoryId is { } only && only != repository.Id))
            throw RepositoryErrors.NotFoundOrDenied(name);
        var level = await services.GetRequiredService<RepositoryAccess>().LevelAsync(caller.Subject, repository, cancellationToken);
        if (level < AccessLevel.Read) throw RepositoryErrors.NotFoundOrDenied(name);
        if (caller.Ceiling is { } ceiling && ceiling < level) level = ceiling;
        if (level < needed) throw RepositoryErrors.Forbidden(repository.FullName, needed.ToApi());
        return (repository, level, caller);
    }

    private static async Task<JsonObject> BodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken) as JsonObject
                ?? throw new Refusal(422, "The request body must be a JSON object.");
        }
        catch (JsonException)
        {
            throw new Refusal(422, "The request body is not valid JSON.");
        }
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static long? Number(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var n) ? n : null;

    /// <summary>The repository's LFS API as people reach it: under <c>Http:PublicUrl</c> when set, else as the request came in.</summary>
    private static string BaseUrl(HttpRequest request, RepositoryInfo repository) =>
        $"{request.HttpContext.RequestServices.GetRequiredService<Hosting.WebAddress>().PublicBase(request)}/{repository.FullName}.git/info/lfs";

    /// <summary>The header each action carries: the caller's own credentials, so git-lfs sends them to the object URL.</summary>
    private static JsonObject Action(string href, HttpRequest request, int expiresIn) => new()
    {
        ["href"] = href,
        ["header"] = new JsonObject { ["Authorization"] = request.Headers.Authorization.ToString() },
        ["expires_in"] = expiresIn,
    };

    private static Task<IResult> BatchAsync(string owner, string repo, HttpContext http, LfsObjectStore store, LfsSettings settings, CancellationToken ct) =>
        GuardAsync(http, async () =>
        {
            var body = await BodyAsync(http.Request, ct);
            var operation = Text(body["operation"]);
            if (operation is not ("upload" or "download")) throw new Refusal(422, "operation must be \"upload\" or \"download\".");
            var upload = operation == "upload";
            var (repository, _, _) = await OpenAsync(http, owner, repo, upload ? AccessLevel.Write : AccessLevel.Read, ct);
            if (body["transfers"] is JsonArray transfers && transfers.Count > 0 && !transfers.Any(t => Text(t) == "basic"))
                throw new Refusal(422, "This server supports only the basic transfer.");
            if (Text(body["hash_algo"]) is { } algorithm && algorithm != "sha256")
                throw new Refusal(409, $"Unsupported hash algorithm {Display.Quote(algorithm, 40)}: this server uses sha256.");
            if (body["objects"] is not JsonArray objects) throw new Refusal(422, "objects must be a list of {\"oid\", \"size\"}.");
            var href = BaseUrl(http.Request, repository);
            var expiresIn = (int)settings.TokenLifetime.TotalSeconds;
            var answers = new JsonArray();
            foreach (var item in objects)
            {
                var oid = Text(item?["oid"]);
                var size = Number(item?["size"]);
                var answer = new JsonObject { ["oid"] = oid, ["size"] = size };
                answers.Add(answer);
                if (!LfsObjectStore.IsValidOid(oid) || size is not >= 0)
                {
                    answer["error"] = new JsonObject { ["code"] = 422, ["message"] = !LfsObjectStore.IsValidOid(oid) ? LfsErrors.InvalidOid(oid).Message : LfsErrors.InvalidSize(item?["size"]?.ToJsonString()).Message };
                    continue;
                }
                var stored = store.Size(repository.Uuid, oid!);
                if (upload)
                {
                    if (size > settings.MaxObjectBytes)
                    {
                        answer["error"] = new JsonObject { ["code"] = 422, ["message"] = LfsErrors.TooLarge(oid!, size.Value, settings.MaxObjectBytes).Message };
                        continue;
                    }
                    if (stored == size) continue;   // no actions: the server has it
                    answer["authenticated"] = true;
                    answer["actions"] = new JsonObject
                    {
                        ["upload"] = Action($"{href}/objects/{oid}", http.Request, expiresIn),
                        ["verify"] = Action($"{href}/verify", http.Request, expiresIn),
                    };
                }
                else if (stored is null)
                    answer["error"] = new JsonObject { ["code"] = 404, ["message"] = LfsErrors.NotFound(oid!).Message };
                else
                {
                    answer["size"] = stored;
                    answer["authenticated"] = true;
                    answer["actions"] = new JsonObject { ["download"] = Action($"{href}/objects/{oid}", http.Request, expiresIn) };
                }
            }
            return Json(200, new JsonObject { ["transfer"] = "basic", ["objects"] = answers, ["hash_algo"] = "sha256" });
        });

    private static Task<IResult> UploadAsync(string owner, string repo, string oid, HttpContext http, LfsObjectStore store, CancellationToken ct) =>
        GuardAsync(http, async () =>
        {
            var (repository, _, caller) = await OpenAsync(http, owner, repo, AccessLevel.Write, ct);
            LfsObjectStore.CheckOid(oid);
            if (http.Request.ContentLength is not { } size) throw new Refusal(411, "Send the object's size as Content-Length.");
            store.CheckSize(oid, size);
            // Checked against Lfs:MaxObjectBytes above, not against Kestrel's default body limit (30 MB).
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
            await store.StoreAsync(repository.Uuid, oid, size, http.Request.Body, ct);
            await Ssh.RepositoryAudit.RecordAsync(http.RequestServices, caller.Identity, repository, Core.Audit.AuditActions.LfsUpload,
                AccountEndpoints.ClientAddress(http), Ssh.RepositoryAudit.LfsObject(oid, size), http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
            return Results.Ok();
        });

    private static Task<IResult> DownloadAsync(string owner, string repo, string oid, HttpContext http, LfsObjectStore store, CancellationToken ct) =>
        GuardAsync(http, async () =>
        {
            var (repository, _, _) = await OpenAsync(http, owner, repo, AccessLevel.Read, ct);
            var file = store.OpenRead(repository.Uuid, LfsObjectStore.CheckOid(oid));
            return Results.Stream(file, "application/octet-stream");
        });

    private static Task<IResult> VerifyAsync(string owner, string repo, HttpContext http, LfsObjectStore store, CancellationToken ct) =>
        GuardAsync(http, async () =>
        {
            var (repository, _, _) = await OpenAsync(http, owner, repo, AccessLevel.Write, ct);
            var body = await BodyAsync(http.Request, ct);
            var oid = LfsObjectStore.CheckOid(Text(body["oid"]));
            if (store.Size(repository.Uuid, oid) != Number(body["size"])) throw LfsErrors.NotFound(oid);
            return Json(200, new JsonObject { ["message"] = "ok" });
        });

    private static JsonObject LockJson(LfsLockView l) => new()
    {
        ["id"] = l.Id,
        ["path"] = l.Path,
        ["locked_at"] = l.LockedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["owner"] = new JsonObject { ["name"] = l.OwnerName },
    };

    /// <summary>Locks belong to accounts: a repository access key may list them, never hold one.</summary>
    private static long Account(LfsCaller caller) =>
        caller.UserId ?? throw new Refusal(403, "Repository access keys cannot lock files: locks belong to accounts.");

    private static Task RecordLockAsync(HttpContext http, LfsCaller caller, RepositoryInfo repository, bool unlock, LfsLockResult result) =>
        Ssh.RepositoryAudit.RecordLockAsync(http.RequestServices, caller.Identity, repository, unlock, result, caller.UserId ?? 0,
            AccountEndpoints.ClientAddress(http), http.RequestServices.GetRequiredService<TimeProvider>());

    private static IResult LockAnswer(LfsLockResult result) =>
        result.Message is { } message && result.Status != 409 ? Message(result.Status, message)
        : result.Status == 409 ? Json(409, new JsonObject { ["lock"] = LockJson(result.Lock!), ["message"] = result.Message })
        : Json(result.Status, new JsonObject { ["lock"] = LockJson(result.Lock!) });

    private static Task<IResult> CreateLockAsync(string owner, string repo, HttpContext http, LfsLocks locks, CancellationToken ct) =>
        GuardAsync(http, async () =>
        {
            var (repository, level, caller) = await OpenAsync(http, owner, repo, AccessLevel.Write, ct);
            var body = await BodyAsync(http.Request, ct);
            var result = await locks.CreateAsync(repository.Id, Account(caller), level, Text(body["path"]), ct);
            await RecordLockAsync(http, caller, repository, unlock: false, result);
            return LockAnswer(result);
        });

    private static Task<IResult> UnlockAsync(string owner, string repo, string id, HttpContext http, LfsLocks locks, CancellationToken ct) =>
        GuardAsync(http, async () =>
        {
            var (repository, level, caller) = await OpenAsync(http, owner, repo, AccessLevel.Write, ct);
            var body = http.Request.ContentLength is 0 ? new JsonObject() : await BodyAsync(http.Request, ct);
            var force = body["force"] is JsonValue f && f.TryGetValue<bool>(out var yes) && yes;
            var result = await locks.DeleteAsync(repository.Id, Account(caller), level, id, force, ct);
            await RecordLockAsync(http, caller, repository, unlock: true, result);
            return LockAnswer(result);
        });

    private static Task<IResult> ListLocksAsync(string owner, string repo, HttpContext http, LfsLocks locks, CancellationToken ct) =>
        GuardAsync(http, async () =>
        {
            var (repository, _, _) = await OpenAsync(http, owner, repo, AccessLevel.Read, ct);
            var query = http.Request.Query;
            var result = await locks.ListAsync(repository.Id, query["path"], query["id"], query["cursor"], query["limit"], ct);
            if (result.Message is { } message) return Message(result.Status, message);
            var body = new JsonObject { ["locks"] = new JsonArray([.. result.List!.Select(l => (JsonNode)LockJson(l))]) };
            if (result.NextCursor is { } next) body["next_cursor"] = next;
            return Json(200, body);
        });

    private static Task<IResult> VerifyLocksAsync(string owner, string repo, HttpContext http, LfsLocks locks, CancellationToken ct) =>
        GuardAsync(http, async () =>
        {
            var (repository, _, caller) = await OpenAsync(http, owner, repo, AccessLevel.Write, ct);
            var me = Account(caller);
            var body = await BodyAsync(http.Request, ct);
            var limit = Number(body["limit"])?.ToString(CultureInfo.InvariantCulture);
            var result = await locks.ListAsync(repository.Id, null, null, Text(body["cursor"]), limit, ct);
            if (result.Message is { } message) return Message(result.Status, message);
            var answer = new JsonObject
            {
                ["ours"] = new JsonArray([.. result.List!.Where(l => l.OwnerId == me).Select(l => (JsonNode)LockJson(l))]),
                ["theirs"] = new JsonArray([.. result.List!.Where(l => l.OwnerId != me).Select(l => (JsonNode)LockJson(l))]),
            };
            if (result.NextCursor is { } next) answer["next_cursor"] = next;
            return Json(200, answer);
        });
}
