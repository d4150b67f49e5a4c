using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Wharf.Core;
using Wharf.Core.Audit;
using Wharf.Data;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// Real git over smart HTTP against `wharf serve`'s web port: clone, fetch and push with an API token (protocol
/// version 0 and 2), anonymous clones of public repositories, 401 then 404 for private and missing ones, token
/// scopes, the web password refused, <c>x-token-auth</c>, the push audit and gzip request bodies.
/// </summary>
public sealed partial class GitOverHttpTests(WharfServer server) : IClassFixture<WharfServer>
{
    private TestUser Alice => server.Alice;

    [GeneratedRegex(@"packet:\s+[\w-]+< version 2$", RegexOptions.Multiline)]
    private static partial Regex ReceivedVersion2();

    [GeneratedRegex(@"packet:\s+[\w-]+> command=fetch$", RegexOptions.Multiline)]
    private static partial Regex SentFetch();

    private async Task<string> TokenAsync(TestUser user, string name, string? scopes = null)
    {
        var run = await server.WharfOrThrowAsync(["admin", "token", "create", user.Name, "--name", name, .. scopes is null ? Array.Empty<string>() : ["--scopes", scopes]]);
        return run.Stdout.Trim().Split('\n')[^1].Trim();
    }

    /// <summary>http://USER:TOKEN@127.0.0.1:PORT/OWNER/NAME.git (no credentials when <paramref name="user"/> is null).</summary>
    private string HttpUrl(string repository, string? user = null, string? secret = null) =>
        $"http://{(user is null ? "" : Uri.EscapeDataString(user) + ":" + Uri.EscapeDataString(secret!) + "@")}{server.HttpAddress.Authority}/{repository}.git";

    private Task<ProcessResult> GitAsync(string directory, IReadOnlyDictionary<string, string?>? environment, params string[] arguments) =>
        server.GitAsync(Alice, directory, arguments, extraEnvironment: environment);

    private async Task<string> GitOkAsync(string directory, params string[] arguments)
    {
        var run = await GitAsync(directory, null, arguments);
        Expect.Succeeded(run, server, "git " + string.Join(' ', arguments));
        return run.Stdout.Trim();
    }

    /// <summary>A local repository with one commit on <paramref name="branch"/> and a file.</summary>
    private async Task<string> LocalRepositoryAsync(string branch, string name)
    {
        var work = server.NewDirectory(name);
        await GitOkAsync(work, "init", "-q", "-b", branch);
        await Workspace.WriteFileAsync(work, "README.md", "# over http\n");
        await Workspace.WriteRandomFileAsync(work, "noise.bin", 512 * 1024, seed: 7);
        await Workspace.CommitAllAsync(server, Alice, work, "first");
        return work;
    }

    [Theory]
    [InlineData("main", "0")]
    [InlineData("trunk", "2")]
    [InlineData("trunk", "0")]
    [InlineData("main", "2")]
    public async Task Clone_fetch_and_push_over_http_with_a_token(string branch, string protocol)
    {
        var repository = await server.CreateRepositoryAsync(Alice, $"http-{branch}-v{protocol}");
        var secret = await TokenAsync(Alice, $"laptop-{branch}-{protocol}");
        var url = HttpUrl(repository, "alice", secret);
        var first = await LocalRepositoryAsync(branch, "http-first");
        var push = await GitAsync(first, null, "-c", "protocol.version=" + protocol, "push", url, branch);
        Expect.Succeeded(push, server, "git push over http");
        Expect.StderrContains($"* [new branch]      {branch} -> {branch}", push, server, "git push over http");

        var parent = server.NewDirectory("http-clone");
        var trace = new Dictionary<string, string?> { ["GIT_TRACE_PACKET"] = "1" };
        var clone = await GitAsync(parent, trace, "-c", "protocol.version=" + protocol, "clone", url, "second");
        Expect.Succeeded(clone, server, "git clone over http");
        var second = Path.Combine(parent, "second");
        // The first branch pushed became the default branch, so the clone checks it out.
        Assert.Equal(branch, await Workspace.CurrentBranchAsync(server, Alice, second));
        Assert.Equal(Workspace.Files(first), Workspace.Files(second));
        Assert.Equal(protocol == "2", ReceivedVersion2().IsMatch(clone.Stderr));
        Assert.Equal(protocol == "2", SentFetch().IsMatch(clone.Stderr));

        await Workspace.WriteFileAsync(first, "README.md", "# over http\n\nsecond\n");
        var next = await Workspace.CommitAllAsync(server, Alice, first, "second");
        Expect.Succeeded(await GitAsync(first, null, "-c", "protocol.version=" + protocol, "push", url, branch), server, "second push");
        Expect.Succeeded(await GitAsync(second, null, "-c", "protocol.version=" + protocol, "fetch", "origin"), server, "git fetch over http");
        Assert.Equal(next, await Workspace.RevParseAsync(server, Alice, second, "origin/" + branch));
    }

    [Fact]
    public async Task An_anonymous_clone_of_a_public_repository_works_and_its_push_asks_for_credentials()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "http-public", hg: false, isPublic: true);
        var work = await LocalRepositoryAsync("main", "http-public");
        Expect.Succeeded(await GitAsync(work, null, "push", HttpUrl(repository, "alice", await TokenAsync(Alice, "public-push")), "main"), server, "push");

        var parent = server.NewDirectory("http-anonymous");
        Expect.Succeeded(await GitAsync(parent, null, "clone", HttpUrl(repository), "copy"), server, "anonymous clone of a public repository");
        Assert.True(File.Exists(Path.Combine(parent, "copy", "README.md")));

        var copy = Path.Combine(parent, "copy");
        await Workspace.WriteFileAsync(copy, "README.md", "changed\n");
        await Workspace.CommitAllAsync(server, Alice, copy, "anonymous change");
        var push = await GitAsync(copy, null, "push", "origin", "main");
        Expect.Failed(push, server, "anonymous push");
        // 401 with the Basic challenge: git asks for a user name (here, with prompts off, it says it could not).
        Expect.StderrContains($"fatal: could not read Username for 'http://{server.HttpAddress.Authority}': terminal prompts disabled", push, server, "anonymous push");
    }

    [Fact]
    public async Task Private_and_missing_repositories_answer_401_without_credentials_and_404_alike_with_them()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "http-private");
        var bobToken = await TokenAsync(server.Bob, "bob-laptop");
        using var http = new HttpClient();
        foreach (var name in new[] { repository, "alice/no-such-repository" })
        {
            using var anonymous = await http.GetAsync(new Uri(server.HttpAddress, $"/{name}.git/info/refs?service=git-upload-pack"));
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("Basic realm=\"Wharf\", charset=\"UTF-8\"", anonymous.Headers.WwwAuthenticate.ToString());

            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.HttpAddress, $"/{name}.git/info/refs?service=git-upload-pack"));
            request.Headers.Authorization = Basic("bob", bobToken);
            using var bob = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotFound, bob.StatusCode);
            Assert.Equal($"Repository '{name}' does not exist, or you do not have access to it.\n", await bob.Content.ReadAsStringAsync());
        }

        var parent = server.NewDirectory("http-private");
        var clone = await GitAsync(parent, null, "clone", HttpUrl(repository), "copy");
        Expect.Failed(clone, server, "anonymous clone of a private repository");
        Expect.StderrContains("terminal prompts disabled", clone, server, "anonymous clone of a private repository");
        var bobClone = await GitAsync(parent, null, "clone", HttpUrl(repository, "bob", bobToken), "copy");
        Expect.Failed(bobClone, server, "bob's clone of alice's private repository");
        Expect.StderrContains($"remote: Repository '{repository}' does not exist, or you do not have access to it.", bobClone, server, "bob's clone");
    }

    [Fact]
    public async Task A_read_only_token_clones_but_its_push_is_refused_naming_the_missing_scope()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "http-read-only");
        var work = await LocalRepositoryAsync("main", "http-read-only");
        Expect.Succeeded(await GitAsync(work, null, "push", HttpUrl(repository, "alice", await TokenAsync(Alice, "full")), "main"), server, "push");
        var before = await Workspace.RevParseAsync(server, Alice, work, "HEAD");

        var readOnly = await TokenAsync(Alice, "ci-read", "repository:read");
        var parent = server.NewDirectory("http-read-only-clone");
        Expect.Succeeded(await GitAsync(parent, null, "clone", HttpUrl(repository, "alice", readOnly), "copy"), server, "clone with a read-only token");
        var copy = Path.Combine(parent, "copy");
        await Workspace.WriteFileAsync(copy, "README.md", "not allowed\n");
        await Workspace.CommitAllAsync(server, Alice, copy, "refused");
        var push = await GitAsync(copy, null, "push", "origin", "main");
        Expect.Failed(push, server, "push with a read-only token");
        Expect.StderrContains("remote: This API token does not have the 'repository:write' scope this request needs; create a token with that scope.",
            push, server, "push with a read-only token");
        Expect.StderrContains("The requested URL returned error: 403", push, server, "push with a read-only token");
        var ls = await GitOkAsync(parent, "ls-remote", HttpUrl(repository, "alice", readOnly), "refs/heads/main");
        Assert.StartsWith(before, ls, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_web_password_is_refused_like_a_wrong_token()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "http-password");
        const string password = "correct horse battery staple 42";
        await server.WharfOrThrowAsync(["admin", "user", "password", "alice"], password + "\n");
        var parent = server.NewDirectory("http-password");
        foreach (var secret in new[] { password, "wharf_not-a-token" })
        {
            var clone = await GitAsync(parent, null, "clone", HttpUrl(repository, "alice", secret), "copy");
            Expect.Failed(clone, server, "clone with " + (secret == password ? "the web password" : "a wrong token"));
            Expect.StderrContains("remote: Wrong user name or API token (a web password is not accepted; create an API token).", clone, server, "clone");
            Expect.StderrContains($"fatal: Authentication failed for 'http://{server.HttpAddress.Authority}/{repository}.git/'", clone, server, "clone");
        }
        // Logged with the user name and address, never the secret.
        var log = server.ServerLog(int.MaxValue);
        Assert.Contains($"Refused HTTP credentials for alice from 127.0.0.1 on /{repository}.git/info/refs", log, StringComparison.Ordinal);
        Assert.DoesNotContain(password, log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task X_token_auth_takes_the_token_alone_and_the_push_is_audited_with_the_token_name()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "http-audit");
        var secret = await TokenAsync(Alice, "deploy-bot");
        var work = await LocalRepositoryAsync("main", "http-audit");
        var push = await GitAsync(work, null, "push", HttpUrl(repository, "x-token-auth", secret), "main");
        Expect.Succeeded(push, server, "push with x-token-auth");
        var head = await Workspace.RevParseAsync(server, Alice, work, "HEAD");

        await using var db = WharfDatabase.OpenSqlite(new WharfPaths(server.DataDirectory));
        var pushEntry = Assert.Single(await db.AuditLog.AsNoTracking().Where(a => a.Repository == repository && a.Action == AuditActions.Push).ToListAsync());
        Assert.Equal(("alice", "deploy-bot", "", "127.0.0.1", $"main new {head[..7]}"),
            (pushEntry.Actor, pushEntry.KeyLabel, pushEntry.KeyFingerprint, pushEntry.SourceAddress, pushEntry.Detail));
        // Bob's name with Alice's token is refused: the user name must be the owner's or x-token-auth.
        var wrong = await GitAsync(work, null, "ls-remote", HttpUrl(repository, "bob", secret));
        Expect.Failed(wrong, server, "alice's token with bob's name");
        Expect.StderrContains("fatal: Authentication failed", wrong, server, "alice's token with bob's name");
    }

    [Fact]
    public async Task A_large_fetch_request_from_git_is_sent_gzipped_and_served()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "http-gzip");
        var secret = await TokenAsync(Alice, "gzip");
        var work = await LocalRepositoryAsync("main", "http-gzip");
        // 60 branches on 60 commits: a clone wants each, so its request is over the 1 KiB above which git gzips it.
        for (var i = 0; i < 60; i++)
        {
            await GitOkAsync(work, "commit", "-q", "--allow-empty", "-m", $"c{i}");
            await GitOkAsync(work, "branch", $"b{i}");
        }
        Expect.Succeeded(await GitAsync(work, null, "push", HttpUrl(repository, "alice", secret), "--all"), server, "push of 61 branches");
        var parent = server.NewDirectory("http-gzip-clone");
        var clone = await GitAsync(parent, new Dictionary<string, string?> { ["GIT_TRACE_CURL"] = "1", ["GIT_TRACE_CURL_NO_DATA"] = "1" },
            "-c", "protocol.version=0", "clone", "--mirror", HttpUrl(repository, "alice", secret), "copy");
        Expect.Succeeded(clone, server, "clone whose request is gzipped");
        Expect.StderrContains("Content-Encoding: gzip", clone, server, "clone whose request is gzipped");
        var refs = await GitOkAsync(Path.Combine(parent, "copy"), "for-each-ref", "--format=%(refname)", "refs/heads");
        Assert.Equal(61, refs.Split('\n').Length);
    }

    [Fact]
    public async Task A_gzip_body_posted_directly_is_inflated_and_answered_with_the_result_type()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "http-gzip-direct");
        var secret = await TokenAsync(Alice, "gzip-direct");
        var work = await LocalRepositoryAsync("trunk", "http-gzip-direct");
        Expect.Succeeded(await GitAsync(work, null, "push", HttpUrl(repository, "alice", secret), "trunk"), server, "push");
        var head = await Workspace.RevParseAsync(server, Alice, work, "HEAD");

        // Protocol version 2's ls-refs: one pkt-line command and a flush packet (gitprotocol-v2(5)).
        var body = new MemoryStream();
        await using (var gzip = new GZipStream(body, CompressionLevel.Optimal, leaveOpen: true))
            await gzip.WriteAsync("0014command=ls-refs\n0000"u8.ToArray());
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.HttpAddress, $"/{repository}.git/git-upload-pack"))
        {
            Content = new ByteArrayContent(body.ToArray()),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-git-upload-pack-request");
        request.Content.Headers.ContentEncoding.Add("gzip");
        request.Headers.Add("Git-Protocol", "version=2");
        request.Headers.Authorization = Basic("alice", secret);
        using var http = new HttpClient();
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-git-upload-pack-result", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl is { NoCache: true, MustRevalidate: true }, response.Headers.CacheControl?.ToString());
        // HEAD first, then the branch, each "<oid> <name>\n" in a pkt-line, and a flush packet.
        Assert.Equal($"0032{head} HEAD\n003e{head} refs/heads/trunk\n0000", await response.Content.ReadAsStringAsync());

        using var refs = await http.GetAsync(new Uri(server.HttpAddress, $"/{repository}.git/info/refs"));
        Assert.Equal(HttpStatusCode.Forbidden, refs.StatusCode);
        Assert.StartsWith("Wharf serves git's smart HTTP protocol only", await refs.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static AuthenticationHeaderValue Basic(string user, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + secret)));
}
