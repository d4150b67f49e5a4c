using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Server.Tests.Support;

namespace Wharf.Server.Tests;

/// <summary>
/// <c>Http:PublicUrl</c> behind a proxy: the HTTPS clone URL, the LFS batch answer's addresses and git-lfs-authenticate's
/// address all name it, not the address the server listens on; bad <c>Http:*</c> settings stop serve.
/// </summary>
public sealed class HttpPublicUrlTests : IAsyncLifetime
{
    private const string PublicUrl = "https://git.example.org:8443";
    private readonly ServeHost _host = new();
    private string _alice = "";

    public async Task InitializeAsync()
    {
        _alice = await _host.UserWithTokenAsync("alice");
        Assert.Equal(0, (await _host.Data.RunAsync("admin", "repo", "create", "alice/site")).ExitCode);
        await File.WriteAllTextAsync(Path.Combine(_host.Data.Paths.DataDirectory, "wharf.json"), $$"""{ "Http": { "PublicUrl": "{{PublicUrl}}/" } }""");
        await _host.StartAsync();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task TheCloneUrlTheLfsBatchAnswerAndGitLfsAuthenticateNameThePublicUrl()
    {
        var (status, repository) = await _host.SendAsync(HttpMethod.Get, "/2.0/repositories/alice/site", _alice);
        Assert.Equal(HttpStatusCode.OK, status);
        var https = repository.GetProperty("links").GetProperty("clone").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "https");
        Assert.Equal($"{PublicUrl}/alice/site.git", https.GetProperty("href").GetString());

        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + _alice)));
        var oid = new string('a', 64);
        using var batch = new HttpRequestMessage(HttpMethod.Post, "/alice/site.git/info/lfs/objects/batch")
        {
            Content = new StringContent($$"""{"operation":"upload","objects":[{"oid":"{{oid}}","size":3}]}""", Encoding.UTF8, "application/vnd.git-lfs+json"),
        };
        batch.Headers.Authorization = basic;
        using var answer = await _host.Http.SendAsync(batch);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var actions = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("objects")[0].GetProperty("actions");
        Assert.Equal(($"{PublicUrl}/alice/site.git/info/lfs/objects/{oid}", $"{PublicUrl}/alice/site.git/info/lfs/verify"),
            (actions.GetProperty("upload").GetProperty("href").GetString(), actions.GetProperty("verify").GetProperty("href").GetString()));

        long aliceId;
        await using (var db = _host.Data.OpenDatabase())
            aliceId = (await db.Users.AsNoTracking().SingleAsync(u => u.Name == "alice")).Id;
        var output = new MemoryStream();
        var error = new MemoryStream();
        int exit = await _host.Services.GetRequiredService<Ssh.RepositorySessions>().RunAsync(new Ssh.WharfPrincipal(aliceId, "alice", 1),
            "git-lfs-authenticate alice/site.git download", null, "127.0.0.1", Stream.Null, output, error, CancellationToken.None);
        Assert.Equal((0, ""), (exit, Encoding.UTF8.GetString(error.ToArray())));
        Assert.Equal($"{PublicUrl}/alice/site.git/info/lfs", JsonDocument.Parse(output.ToArray()).RootElement.GetProperty("href").GetString());
    }
}

public sealed class HttpSettingsTests : IDisposable
{
    private readonly TestData _data = new();

    public void Dispose() => _data.Dispose();

    private async Task<TestData.Result> ServeWithAsync(string json)
    {
        _data.Paths.EnsureCreated();
        await File.WriteAllTextAsync(Path.Combine(_data.Paths.DataDirectory, "wharf.json"), json);
        // Bounded: a server that accepted the setting would run until stopped.
        return await _data.RunAsync("serve", "--http", "127.0.0.1:0", "--ssh", "127.0.0.1:0").WaitAsync(TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task APublicUrlWithAPathIsRefusedBeforeAnythingListens()
    {
        var r = await ServeWithAsync("""{ "Http": { "PublicUrl": "https://git.example.org/wharf" } }""");
        Assert.Equal((2, "", "wharf: Invalid setting 'Http:PublicUrl': 'https://git.example.org/wharf' is not an http or https URL without a path (for example https://git.example.org or https://git.example.org:8443).\n"),
            (r.ExitCode, r.Out, r.Error));
    }

    [Fact]
    public async Task AMissingCertificateFileIsRefusedBeforeAnythingListens()
    {
        var missing = Path.Combine(_data.Root, "nowhere.pem");
        var r = await ServeWithAsync($$"""{ "Http": { "Certificate": {{JsonSerializer.Serialize(missing)}} } }""");
        Assert.Equal((2, "", $"wharf: Invalid setting 'Http:Certificate': the file '{missing}' does not exist.\n"), (r.ExitCode, r.Out, r.Error));
    }

    [Fact]
    public async Task ACertificateWithoutItsPrivateKeyIsRefused()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=localhost", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(_data.Root, "cert.pem");
        await File.WriteAllTextAsync(path, certificate.ExportCertificatePem());
        var r = await ServeWithAsync($$"""{ "Http": { "Certificate": {{JsonSerializer.Serialize(path)}} } }""");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith($"wharf: Invalid setting 'Http:Certificate': cannot read a certificate with its private key from '{path}': ", r.Error, StringComparison.Ordinal);
    }
}

/// <summary>A token's "last used" time is written at most once a minute, however many requests use it.</summary>
public sealed class TokenLastUsedTests : IAsyncLifetime
{
    private readonly ServeHost _host = new();
    private string _alice = "";

    public async Task InitializeAsync()
    {
        _alice = await _host.UserWithTokenAsync("alice");
        await _host.StartAsync();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<DateTimeOffset?> SetAndUseAsync(DateTimeOffset? lastUsed)
    {
        await using (var db = _host.Data.OpenDatabase())
            await db.ApiTokens.ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, lastUsed));
        var (status, _) = await _host.SendAsync(HttpMethod.Get, "/2.0/user", _alice);
        Assert.Equal(HttpStatusCode.OK, status);
        await using (var db = _host.Data.OpenDatabase())
            return (await db.ApiTokens.AsNoTracking().SingleAsync()).LastUsedAt;
    }

    [Fact]
    public async Task LastUsedIsWrittenWhenItIsAMinuteOldOrUnsetAndNotOnEveryRequest()
    {
        // Whole seconds: PostgreSQL keeps microseconds, so a time with finer ticks would not read back equal.
        var clock = _host.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var now = clock.AddTicks(-(clock.Ticks % TimeSpan.TicksPerSecond));
        var recent = now.AddSeconds(-30);
        Assert.Equal(recent, await SetAndUseAsync(recent));
        Assert.True(await SetAndUseAsync(now.AddMinutes(-2)) >= now);
        Assert.True(await SetAndUseAsync(null) >= now);
    }
}
