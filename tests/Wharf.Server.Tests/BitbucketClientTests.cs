using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using Wharf.Server.Tests.Support;

namespace Wharf.Server.Tests;

/// <summary>
/// The API through a real Bitbucket client: the <c>bitbucket</c> npm package (2.12, pinned in
/// BitbucketClient/package-lock.json) run by node against <c>wharf serve</c>. The client reads the
/// Content-Type of every response, empty and error ones included, and reads Bitbucket's error body; the
/// script (BitbucketClient/drive.js) prints one line per call.
/// </summary>
public sealed class BitbucketClientTests : IAsyncLifetime
{
    private readonly ServeHost _host = new();

    public Task InitializeAsync() => _host.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task UsersKeysRepositoriesPermissionsAndDeployKeysWorkThroughTheBitbucketNpmClient()
    {
        var folder = ClientFolder();
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "bitbucket")),
            $"The bitbucket npm client is not installed: run `npm ci --no-audit --no-fund` in {folder} (scripts/test.sh does this).");
        var alice = await _host.UserWithTokenAsync("alice");
        var bob = await _host.UserWithTokenAsync("bob");

        var (exit, output, error) = await RunNodeAsync(folder, new Dictionary<string, string>
        {
            ["WHARF_API"] = _host.Http.BaseAddress!.ToString().TrimEnd('/') + "/2.0",
            ["ALICE_TOKEN"] = alice,
            ["BOB_TOKEN"] = bob,
            ["KEY1"] = TestKeys.Ed25519("alice@laptop"),
            ["KEY2"] = TestKeys.Ed25519("alice@desk"),
            ["DEPLOY_KEY"] = TestKeys.Ed25519("ci@build"),
        });

        // Before: every 204 (deleteSshKey, deleteUserPermission, deleteDeployKey, delete) and the unknown route
        // failed inside the client with "Cannot read properties of null (reading 'includes')" (no Content-Type),
        // users.get was a 404, and a PUT with another key was a 200 that kept the old key.
        Assert.Equal(
            """
            user.get: 200 user alice
            users.get: 200 user bob is_admin=undefined
            users.get unknown: 404 not-found
            users.createSshKey: 201 ssh_key laptop
            users.listSshKeys: 200 size=1 laptop
            users.getSshKey: 200 laptop true
            users.updateSshKey: 200 desk
            users.updateSshKey other key: 400 key-immutable
            users.getSshKey of bob: 403 forbidden
            users.deleteSshKey: 204 ""
            repositories.create: 200 repository alice/site git private=true
            repositories.get: 200 alice/site
            repositories.list: 200 alice/site
            repositories.get by bob: 404 repository-not-found
            repositories.updateUserPermission: 201 repository_user_permission bob write
            repositories.listUserPermissions: 200 bob=write
            repositories.getUserPermission: 200 write
            repositories.get by bob with write: 200 alice/site
            repositories.deleteUserPermission: 204 ""
            repositories.createDeployKey: 200 deploy_key CI read_only=true
            repositories.listDeployKeys: 200 size=1 CI
            repositories.getDeployKey: 200 CI
            repositories.updateDeployKey: 200 CI build
            repositories.updateDeployKey other key: 400 key-immutable
            repositories.deleteDeployKey: 204 ""
            unknown route: 404 not-found
            repositories.delete: 204 ""
            repositories.get deleted: 404 repository-not-found

            """, output);
        Assert.Equal((0, ""), (exit, error));
    }

    [Fact]
    public async Task Empty_answers_and_errors_from_outside_the_endpoints_have_a_content_type_and_the_bitbucket_error_body()
    {
        var alice = await _host.UserWithTokenAsync("alice");
        async Task<(HttpStatusCode Status, string? ContentType, string Body)> SendAsync(HttpMethod method, string path, object? body = null)
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", alice);
            if (body is not null) request.Content = JsonContent.Create(body);
            using var response = await _host.Http.SendAsync(request);
            return (response.StatusCode, response.Content.Headers.ContentType?.ToString(), await response.Content.ReadAsStringAsync());
        }

        var added = await _host.SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", alice, new { key = TestKeys.Ed25519() });
        var id = Uri.EscapeDataString(added.Body.GetProperty("uuid").GetString()!);
        // Before: 204 and 404 had no Content-Type at all, and the 404 and 405 no body.
        Assert.Equal((HttpStatusCode.NoContent, "text/plain; charset=utf-8", ""), await SendAsync(HttpMethod.Delete, $"/2.0/users/alice/ssh-keys/{id}"));
        Assert.Equal((HttpStatusCode.NotFound, "application/json; charset=utf-8",
                """{"type":"error","error":{"message":"There is no API route GET /2.0/no-such-route.","detail":null,"code":"not-found"}}"""),
            await SendAsync(HttpMethod.Get, "/2.0/no-such-route"));
        Assert.Equal((HttpStatusCode.MethodNotAllowed, "application/json; charset=utf-8",
                """{"type":"error","error":{"message":"/2.0/user does not take POST.","detail":null,"code":"method-not-allowed"}}"""),
            await SendAsync(HttpMethod.Post, "/2.0/user", new { }));
        var badQuery = await SendAsync(HttpMethod.Get, "/2.0/users/alice/ssh-keys?page=first");
        Assert.Equal((HttpStatusCode.BadRequest, "application/json; charset=utf-8"), (badQuery.Status, badQuery.ContentType));
        Assert.Contains("\"code\":\"invalid-argument\"", badQuery.Body);
        // Pages outside /2.0 keep their own answers.
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "/no/such/page/here")).Status);
    }

    private static async Task<(int Exit, string Out, string Error)> RunNodeAsync(string folder, IReadOnlyDictionary<string, string> environment)
    {
        var psi = new ProcessStartInfo("node", "drive.js")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        Process node;
        try { node = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("node is not on PATH; BitbucketClientTests needs node and npm (scripts/test.sh checks for them).", e);
        }
        using var _ = node;
        var output = node.StandardOutput.ReadToEndAsync();
        var error = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try { await node.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            throw new TimeoutException("node drive.js did not finish within 2 minutes; output so far: " + await output);
        }
        return (node.ExitCode, (await output).ReplaceLineEndings("\n"), await error);
    }

    /// <summary>BitbucketClient beside this source file: the build may sit elsewhere, the script and its node_modules do not.</summary>
    private static string ClientFolder([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "BitbucketClient");
}
