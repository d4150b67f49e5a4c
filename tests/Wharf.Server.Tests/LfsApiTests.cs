using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Server.Tests.Support;

namespace Wharf.Server.Tests;

/// <summary>The Git LFS HTTP API (/OWNER/NAME.git/info/lfs) through the real host, with HttpClient: batch, basic transfer, verify, locks.</summary>
public sealed class LfsApiTests : IAsyncLifetime
{
    private const string MediaType = "application/vnd.git-lfs+json";
    private readonly ServeHost _host = new();
    private string _alice = "", _bob = "";

    public async Task InitializeAsync()
    {
        _alice = await _host.UserWithTokenAsync("alice");
        _bob = await _host.UserWithTokenAsync("bob");
        Assert.Equal(0, (await _host.Data.RunAsync("admin", "repo", "create", "alice/site")).ExitCode);
        await _host.StartAsync();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static AuthenticationHeaderValue Basic(string user, string token) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{token}")));

    private async Task<(HttpStatusCode Status, string ContentType, JsonElement Body, HttpResponseMessage Response)> SendAsync(
        HttpMethod method, string path, AuthenticationHeaderValue? auth, object? json = null, byte[]? bytes = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = auth;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaType));
        if (json is not null) request.Content = new StringContent(JsonSerializer.Serialize(json), Encoding.UTF8, MediaType);
        if (bytes is not null) request.Content = new ByteArrayContent(bytes);
        var response = await _host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length > 0 && text[0] == '{' ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", body, response);
    }

    private static (byte[] Content, string Oid) Blob(string text)
    {
        var content = Encoding.UTF8.GetBytes(text);
        return (content, Convert.ToHexStringLower(SHA256.HashData(content)));
    }

    private IEnumerable<string> StoredFiles() =>
        Directory.Exists(_host.Data.Paths.Lfs) ? Directory.EnumerateFiles(_host.Data.Paths.Lfs, "*", SearchOption.AllDirectories) : [];

    private string Base => _host.Http.BaseAddress!.ToString().TrimEnd('/') + "/alice/site.git/info/lfs";

    [Fact]
    public async Task UploadThenBatchDownloadAnswersActionsAndPerObjectErrors()
    {
        var (content, oid) = Blob("large file content\n");
        var auth = Basic("alice", _alice);
        var (upload, _, _, _) = await SendAsync(HttpMethod.Put, $"/alice/site.git/info/lfs/objects/{oid}", auth, bytes: content);
        Assert.Equal(HttpStatusCode.OK, upload);
        var missing = new string('0', 64);

        var (status, type, body, _) = await SendAsync(HttpMethod.Post, "/alice/site.git/info/lfs/objects/batch", auth,
            new { operation = "download", transfers = new[] { "basic" }, objects = new object[] { new { oid, size = content.Length }, new { oid = missing, size = 5 } } });

        Assert.Equal((HttpStatusCode.OK, MediaType), (status, type));
        Assert.Equal("basic", body.GetProperty("transfer").GetString());
        var found = body.GetProperty("objects")[0];
        Assert.Equal((oid, content.Length), (found.GetProperty("oid").GetString(), found.GetProperty("size").GetInt32()));
        var download = found.GetProperty("actions").GetProperty("download");
        Assert.Equal($"{Base}/objects/{oid}", download.GetProperty("href").GetString());
        Assert.Equal(auth.ToString(), download.GetProperty("header").GetProperty("Authorization").GetString());
        var error = body.GetProperty("objects")[1].GetProperty("error");
        Assert.Equal((404, $"LFS object {missing} does not exist in this repository."), (error.GetProperty("code").GetInt32(), error.GetProperty("message").GetString()));

        using var got = new HttpRequestMessage(HttpMethod.Get, download.GetProperty("href").GetString());
        got.Headers.Authorization = auth;
        using var response = await _host.Http.SendAsync(got);
        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());

        var (upToDate, _, again, _) = await SendAsync(HttpMethod.Post, "/alice/site.git/info/lfs/objects/batch", auth,
            new { operation = "upload", objects = new[] { new { oid, size = content.Length } } });
        Assert.Equal(HttpStatusCode.OK, upToDate);
        Assert.False(again.GetProperty("objects")[0].TryGetProperty("actions", out _), "an object the server has needs no upload");
    }

    [Fact]
    public async Task AMissingAndAForbiddenRepositoryAnswerTheSame404AndNoCredentials401()
    {
        var batch = new { operation = "download", objects = Array.Empty<object>() };
        var (forbidden, _, notYours, _) = await SendAsync(HttpMethod.Post, "/alice/site.git/info/lfs/objects/batch", Basic("bob", _bob), batch);
        var (missing, _, absent, _) = await SendAsync(HttpMethod.Post, "/alice/nothing.git/info/lfs/objects/batch", Basic("bob", _bob), batch);
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (forbidden, missing));
        Assert.Equal("Repository 'alice/site' does not exist, or you do not have access to it.", notYours.GetProperty("message").GetString());
        Assert.Equal("Repository 'alice/nothing' does not exist, or you do not have access to it.", absent.GetProperty("message").GetString());

        var (anonymous, _, body, response) = await SendAsync(HttpMethod.Post, "/alice/site.git/info/lfs/objects/batch", null, batch);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous);
        Assert.Equal("Basic realm=\"Wharf\", charset=\"UTF-8\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("Authentication required: use your Wharf user name and an API token, or the header git-lfs-authenticate gives.", body.GetProperty("message").GetString());

        var (wrong, _, _, _) = await SendAsync(HttpMethod.Post, "/alice/site.git/info/lfs/objects/batch", Basic("alice", _bob), batch);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
    }

    [Fact]
    public async Task AReadGrantDownloadsButAnUploadIs403AndStoresNothing()
    {
        Assert.Equal(0, (await _host.Data.RunAsync("admin", "repo", "grant", "alice/site", "bob", "--permission", "read")).ExitCode);
        var (content, oid) = Blob("bob's attempt\n");

        var (batch, _, body, _) = await SendAsync(HttpMethod.Post, "/alice/site.git/info/lfs/objects/batch", Basic("bob", _bob),
            new { operation = "upload", objects = new[] { new { oid, size = content.Length } } });
        var (put, _, refused, _) = await SendAsync(HttpMethod.Put, $"/alice/site.git/info/lfs/objects/{oid}", Basic("bob", _bob), bytes: content);
        var (download, _, _, _) = await SendAsync(HttpMethod.Post, "/alice/site.git/info/lfs/objects/batch", Basic("bob", _bob),
            new { operation = "download", objects = Array.Empty<object>() });

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.OK), (batch, put, download));
        Assert.Equal("You need write access to alice/site to do this.", body.GetProperty("message").GetString());
        Assert.Equal("You need write access to alice/site to do this.", refused.GetProperty("message").GetString());
        Assert.Empty(StoredFiles());
    }

    [Fact]
    public async Task AReadOnlyScopedTokenDownloadsButCannotUploadAndXTokenAuthWorks()
    {
        var created = await _host.Data.RunAsync("admin", "token", "create", "alice", "--scopes", "repository:read");
        Assert.Equal(0, created.ExitCode);
        var readOnly = created.Out.TrimEnd('\n').Split('\n')[^1];
        var (content, oid) = Blob("alice's CI may only read\n");

        var (put, _, refused, _) = await SendAsync(HttpMethod.Put, $"/alice/site.git/info/lfs/objects/{oid}", Basic("x-token-auth", readOnly), bytes: content);
        var (download, _, _, _) = await SendAsync(HttpMethod.Post, "/alice/site.git/info/lfs/objects/batch", Basic("x-token-auth", readOnly),
            new { operation = "download", objects = Array.Empty<object>() });
        var (full, _, _, _) = await SendAsync(HttpMethod.Put, $"/alice/site.git/info/lfs/objects/{oid}", Basic("x-token-auth", _alice), bytes: content);

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.OK, HttpStatusCode.OK), (put, download, full));
        Assert.Equal("You need write access to alice/site to do this.", refused.GetProperty("message").GetString());
        Assert.Single(StoredFiles());
    }

    [Fact]
    public async Task ACorruptedUploadIs422AndLeavesNothing()
    {
        var (content, oid) = Blob("what the client promised\n");
        var wrong = Encoding.UTF8.GetBytes("what the client sent it!\n");
        Assert.Equal(content.Length, wrong.Length);
        var (status, type, body, _) = await SendAsync(HttpMethod.Put, $"/alice/site.git/info/lfs/objects/{oid}", Basic("alice", _alice), bytes: wrong);

        Assert.Equal((HttpStatusCode.UnprocessableEntity, MediaType), (status, type));
        Assert.Equal($"LFS object {oid} was refused: the bytes received have the SHA-256 {Convert.ToHexStringLower(SHA256.HashData(wrong))}; nothing was stored.",
            body.GetProperty("message").GetString());
        var (shorter, _, cut, _) = await SendAsync(HttpMethod.Put, $"/alice/site.git/info/lfs/objects/{oid}", Basic("alice", _alice), bytes: content[..5]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, shorter);
        Assert.Equal($"LFS object {oid} was refused: the bytes received have the SHA-256 {Convert.ToHexStringLower(SHA256.HashData(content[..5]))}; nothing was stored.",
            cut.GetProperty("message").GetString());
        var (verify, _, _, _) = await SendAsync(HttpMethod.Post, "/alice/site.git/info/lfs/verify", Basic("alice", _alice), new { oid, size = content.Length });
        Assert.Equal(HttpStatusCode.NotFound, verify);
        Assert.Empty(StoredFiles());
    }

    [Fact]
    public async Task LocksFollowTheOwnerAndForceRules()
    {
        Assert.Equal(0, (await _host.Data.RunAsync("admin", "repo", "grant", "alice/site", "bob", "--permission", "write")).ExitCode);
        var alice = Basic("alice", _alice);
        var bob = Basic("bob", _bob);

        var (created, _, body, _) = await SendAsync(HttpMethod.Post, "/alice/site.git/info/lfs/locks", alice, new { path = "art/logo.psd", @ref = new { name = "refs/heads/main" } });
        Assert.Equal(HttpStatusCode.Created, created);
        var id = body.GetProperty("lock").GetProperty("id").GetString()!;
        Assert.Equal(("art/logo.psd", "alice"), (body.GetProperty("lock").GetProperty("path").GetString(), body.GetProperty("lock").GetProperty("owner").GetProperty("name").GetString()));

        var (conflict, _, held, _) = await SendAsync(HttpMethod.Post, "/alice/site.git/info/lfs/locks", bob, new { path = "art/logo.psd" });
        Assert.Equal(HttpStatusCode.Conflict, conflict);
        Assert.Equal((id, "art/logo.psd is already locked by alice."), (held.GetProperty("lock").GetProperty("id").GetString(), held.GetProperty("message").GetString()));

        var (listed, _, list, _) = await SendAsync(HttpMethod.Get, "/alice/site.git/info/lfs/locks?path=art/logo.psd", bob);
        Assert.Equal(HttpStatusCode.OK, listed);
        Assert.Equal(id, list.GetProperty("locks")[0].GetProperty("id").GetString());

        var (verified, _, mine, _) = await SendAsync(HttpMethod.Post, "/alice/site.git/info/lfs/locks/verify", bob, new { @ref = new { name = "refs/heads/main" } });
        Assert.Equal(HttpStatusCode.OK, verified);
        Assert.Equal((0, 1), (mine.GetProperty("ours").GetArrayLength(), mine.GetProperty("theirs").GetArrayLength()));

        var (notOwner, _, refused, _) = await SendAsync(HttpMethod.Post, $"/alice/site.git/info/lfs/locks/{id}/unlock", bob, new { force = false });
        Assert.Equal(HttpStatusCode.Forbidden, notOwner);
        Assert.Equal("art/logo.psd is locked by alice: only they can unlock it, or an administrator of the repository with --force.", refused.GetProperty("message").GetString());
        var (forced, _, notAdmin, _) = await SendAsync(HttpMethod.Post, $"/alice/site.git/info/lfs/locks/{id}/unlock", bob, new { force = true });
        Assert.Equal(HttpStatusCode.Forbidden, forced);
        Assert.Equal("art/logo.psd is locked by alice: forcing an unlock needs admin access to the repository.", notAdmin.GetProperty("message").GetString());
        Assert.Equal(1, await _host.Data.CountAsync(db => db.LfsLocks));

        var (unlocked, _, gone, _) = await SendAsync(HttpMethod.Post, $"/alice/site.git/info/lfs/locks/{id}/unlock", alice, new { force = false });
        Assert.Equal(HttpStatusCode.OK, unlocked);
        Assert.Equal(id, gone.GetProperty("lock").GetProperty("id").GetString());
        Assert.Equal(0, await _host.Data.CountAsync(db => db.LfsLocks));
        var (missing, _, _, _) = await SendAsync(HttpMethod.Post, $"/alice/site.git/info/lfs/locks/{id}/unlock", alice, new { });
        Assert.Equal(HttpStatusCode.NotFound, missing);
    }

    /// <summary>The audit entries of one kind for alice/site, oldest first, as (actor, label, fingerprint, detail).</summary>
    private async Task<List<(string Actor, string Label, string Fingerprint, string? Detail)>> AuditAsync(string action)
    {
        await using var db = _host.Data.OpenDatabase();
        return [.. (await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
                db.AuditLog.Where(a => a.Repository == "alice/site" && a.Action == action).OrderBy(a => a.Id)))
            .Select(a => (a.Actor, a.KeyLabel, a.KeyFingerprint, a.Detail))];
    }

    [Fact]
    public async Task UploadsLocksAndUnlocksAreAuditedWithTheTokenNameAndRefusalsAreNot()
    {
        var auth = Basic("alice", _alice);
        var (content, oid) = Blob("audited large file\n");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"/alice/site.git/info/lfs/objects/{oid}", auth, bytes: content)).Status);
        var (wrongContent, _) = Blob("not what was announced\n");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await SendAsync(HttpMethod.Put, $"/alice/site.git/info/lfs/objects/{oid}", auth, bytes: wrongContent)).Status);
        var (created, _, body, _) = await SendAsync(HttpMethod.Post, "/alice/site.git/info/lfs/locks", auth, new { path = "art/logo.psd" });
        Assert.Equal(HttpStatusCode.Created, created);
        var id = body.GetProperty("lock").GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Post, "/alice/site.git/info/lfs/locks", auth, new { path = "art/logo.psd" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, $"/alice/site.git/info/lfs/locks/{id}/unlock", auth, new { })).Status);

        Assert.Equal([("alice", "token", "", $"{oid} ({content.Length} bytes)")], await AuditAsync("lfs-upload"));
        Assert.Equal([("alice", "token", "", $"art/logo.psd (lock {id})")], await AuditAsync("lfs-lock"));
        Assert.Equal([("alice", "token", "", $"art/logo.psd (lock {id})")], await AuditAsync("lfs-unlock"));
    }

    [Fact]
    public async Task AnUploadWithTheGitLfsAuthenticateHeaderIsAuditedWithTheSshKeyThatAskedForIt()
    {
        var services = _host.Services;
        long aliceId;
        await using (var db = _host.Data.OpenDatabase())
            aliceId = Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.AsNoTracking(db.Users).Single(u => u.Name == "alice").Id;
        using var scope = services.CreateScope();
        var repository = (await scope.ServiceProvider.GetRequiredService<Wharf.Core.Repositories.IRepositoryStore>().FindAsync("alice", "site", CancellationToken.None))!;
        var identity = new Wharf.Server.Ssh.WharfPrincipal(aliceId, "alice", 1, "SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "work | laptop");
        var answer = await services.GetRequiredService<Wharf.Server.Web.Lfs.LfsTokens>().AuthenticateAsync(identity, repository, upload: true, CancellationToken.None);
        var header = JsonDocument.Parse(answer).RootElement.GetProperty("header").GetProperty("Authorization").GetString()!;
        var (content, oid) = Blob("uploaded through the hybrid protocol\n");

        var (status, _, _, _) = await SendAsync(HttpMethod.Put, $"/alice/site.git/info/lfs/objects/{oid}", AuthenticationHeaderValue.Parse(header), bytes: content);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([("alice", "work | laptop", "SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", $"{oid} ({content.Length} bytes)")], await AuditAsync("lfs-upload"));
    }
}
