using System.Net;
using System.Text;
using Wharf.Core.Git;
using Wharf.Server.Tests.Support;
using Wharf.Server.Web.Repositories;

namespace Wharf.Server.Tests;

/// <summary>Commits put straight into a server's bare repository, as a push would leave them.</summary>
internal static class Commits
{
    /// <summary>Pushes one commit per branch (each with a file named after it) from a scratch repository into <paramref name="bare"/>.</summary>
    public static void PushBranches(string scratch, string bare, params string[] branches)
    {
        var work = Path.Combine(scratch, "work-" + Guid.NewGuid().ToString("N")[..8]);
        Git.Ok(scratch, "init", "-q", work);
        foreach (var branch in branches)
        {
            Git.Ok(work, "checkout", "-q", "-B", branch);
            File.WriteAllText(Path.Combine(work, branch.Replace('/', '-') + ".txt"), branch + "\n");
            Git.Ok(work, "add", "-A");
            Git.Ok(work, "-c", "user.name=Alice", "-c", "user.email=alice@example.org", "commit", "-q", "-m", "on " + branch);
            Git.Ok(work, "push", "-q", bare, $"{branch}:{branch}");
        }
    }

    /// <summary>
    /// Writes a commit object byte for byte with <c>git hash-object -t commit -w</c>, as someone making a hostile
    /// commit would, points <c>main</c> at it in a scratch repository and pushes that to <paramref name="bare"/>.
    /// </summary>
    public static string PushRaw(string scratch, string bare, byte[] authorLine, string subject)
    {
        var work = Path.Combine(scratch, "raw-" + Guid.NewGuid().ToString("N")[..8]);
        Git.Ok(scratch, "init", "-q", work);
        var tree = Git.OkWithInput(work, [], "mktree");
        byte[] commit = [.. Encoding.ASCII.GetBytes($"tree {tree}\n"), .. authorLine,
            .. Encoding.ASCII.GetBytes($"\ncommitter A <a@example.org> 1700000000 +0000\n\n{subject}\n")];
        var id = Git.OkWithInput(work, commit, "hash-object", "-t", "commit", "-w", "--stdin");
        Git.Ok(work, "update-ref", "refs/heads/main", id);
        Git.Ok(work, "push", "-q", bare, "main:main");
        return id;
    }

    public static string Head(string bare) => File.ReadAllText(Path.Combine(bare, "HEAD"));
}

/// <summary><c>Repositories:DefaultBranch</c> and <c>wharf admin repo default-branch</c>.</summary>
public sealed class DefaultBranchCommandTests : IDisposable
{
    private readonly TestData _data = new();
    public void Dispose() => _data.Dispose();

    private async Task CreateAsync()
    {
        Assert.Equal(0, (await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org")).ExitCode);
        var r = await _data.RunAsync("admin", "repo", "create", "alice/site");
        Assert.True(r.ExitCode == 0, r.Error);
    }

    private void WriteSettings(string json)
    {
        _data.Paths.EnsureCreated();
        File.WriteAllText(Path.Combine(_data.Paths.DataDirectory, "wharf.json"), json);
    }

    [Fact]
    public async Task ANewGitRepositoryStartsOnMain()
    {
        await CreateAsync();
        Assert.Equal("ref: refs/heads/main\n", Commits.Head(_data.Paths.Repository("alice", "site")));
    }

    [Fact]
    public async Task TheConfiguredDefaultBranchIsWhereANewRepositoryStarts()
    {
        WriteSettings("""{ "Repositories": { "DefaultBranch": "trunk" } }""");
        await CreateAsync();
        Assert.Equal("ref: refs/heads/trunk\n", Commits.Head(_data.Paths.Repository("alice", "site")));
    }

    [Theory]
    [InlineData("a..b")]
    [InlineData("-main")]
    [InlineData("has space")]
    [InlineData("x.lock")]
    public async Task AnInvalidDefaultBranchSettingStopsServeAndTheAdminCommandsWithExitCode2(string branch)
    {
        WriteSettings($$"""{ "Repositories": { "DefaultBranch": "{{branch}}" } }""");
        var message = $"wharf: Invalid setting 'Repositories:DefaultBranch': '{branch}' is not a valid git branch name.\n";

        var serve = await _data.RunAsync("serve", "--http", "127.0.0.1:0", "--ssh", "127.0.0.1:0");
        Assert.Equal((2, "", message), (serve.ExitCode, serve.Out, serve.Error));
        var create = await _data.RunAsync("admin", "repo", "create", "alice/site");
        Assert.Equal((2, "", message), (create.ExitCode, create.Out, create.Error));
        Assert.False(Directory.Exists(_data.Paths.Repository("alice", "site")));
    }

    [Fact]
    public async Task AdminRepoDefaultBranchChangesHeadToABranchThatExistsAndRefusesOneThatDoesNot()
    {
        await CreateAsync();
        var bare = _data.Paths.Repository("alice", "site");
        Commits.PushBranches(_data.Root, bare, "main", "dev");

        var r = await _data.RunAsync("admin", "repo", "default-branch", "alice/site", "dev");
        Assert.Equal((0, "alice/site's default branch is now dev\n", ""), (r.ExitCode, r.Out, r.Error));
        Assert.Equal("ref: refs/heads/dev\n", Commits.Head(bare));

        r = await _data.RunAsync("admin", "repo", "default-branch", "alice/site", "nope");
        Assert.Equal((2, "", "wharf: alice/site has no branch 'nope': push it first, then make it the default branch.\n"), (r.ExitCode, r.Out, r.Error));
        r = await _data.RunAsync("admin", "repo", "default-branch", "alice/site", "a..b");
        Assert.Equal((2, "", "wharf: 'a..b' is not a valid branch name.\n"), (r.ExitCode, r.Out, r.Error));
        Assert.Equal("ref: refs/heads/dev\n", Commits.Head(bare));
    }
}

/// <summary>GitBinary's reads fail loudly: an unreadable repository is not an empty one.</summary>
public sealed class GitBinaryFailureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wharf-gitbinary-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task RefsOfSomethingThatIsNotARepositoryThrowWithGitsMessage()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => new GitBinary().RefsAsync(Path.Combine(_dir, "missing.git"), CancellationToken.None));
        Assert.StartsWith($"git for-each-ref in {Path.Combine(_dir, "missing.git")} failed with exit code 128: fatal: not a git repository", e.Message);
    }
}

/// <summary><c>mainbranch</c> on the API's repository object, and PUT to change it.</summary>
public sealed class DefaultBranchApiTests : IAsyncLifetime
{
    private readonly ServeHost _host = new();
    private string _alice = "", _bob = "";

    public async Task InitializeAsync()
    {
        _alice = await _host.UserWithTokenAsync("alice");
        _bob = await _host.UserWithTokenAsync("bob");
        await _host.StartAsync();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private string Bare => _host.Data.Paths.Repository("alice", "site");

    private static object Body(string name) => new { mainbranch = new { type = "branch", name } };

    private static string? MainBranch(System.Text.Json.JsonElement repository) =>
        repository.GetProperty("mainbranch") is { ValueKind: System.Text.Json.JsonValueKind.Object } b
            ? $"{b.GetProperty("type").GetString()}:{b.GetProperty("name").GetString()}"
            : null;

    [Fact]
    public async Task TheRepositoryObjectNamesItsMainBranch()
    {
        var (status, created) = await _host.SendAsync(HttpMethod.Post, "/2.0/repositories/alice/site", _alice);
        Assert.Equal((HttpStatusCode.OK, "branch:main"), (status, MainBranch(created)));
        Commits.PushBranches(_host.Data.Root, Bare, "main");
        var (_, got) = await _host.SendAsync(HttpMethod.Get, "/2.0/repositories/alice/site", _alice);
        Assert.Equal("branch:main", MainBranch(got));
        var (_, list) = await _host.SendAsync(HttpMethod.Get, "/2.0/repositories/alice", _alice);
        Assert.Equal("branch:main", MainBranch(list.GetProperty("values")[0]));
    }

    [Fact]
    public async Task PutChangesTheMainBranchToOneThatExists()
    {
        await _host.SendAsync(HttpMethod.Post, "/2.0/repositories/alice/site", _alice);
        Commits.PushBranches(_host.Data.Root, Bare, "main", "dev");

        var (status, body) = await _host.SendAsync(HttpMethod.Put, "/2.0/repositories/alice/site", _alice, Body("dev"));
        Assert.Equal((HttpStatusCode.OK, "branch:dev"), (status, MainBranch(body)));
        Assert.Equal("ref: refs/heads/dev\n", Commits.Head(Bare));
        Assert.Equal("branch:dev", MainBranch((await _host.SendAsync(HttpMethod.Get, "/2.0/repositories/alice/site", _alice)).Body));
    }

    public static TheoryData<string, string, string> Refusals => new()
    {
        { "nope", "branch-not-found", "alice/site has no branch 'nope': push it first, then make it the default branch." },
        { "a..b", "branch-name-invalid", "'a..b' is not a valid branch name." },
        { "", "branch-name-invalid", "'' is not a valid branch name." },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task PutRefusesABranchThatDoesNotExistAndChangesNothing(string branch, string code, string message)
    {
        await _host.SendAsync(HttpMethod.Post, "/2.0/repositories/alice/site", _alice);
        Commits.PushBranches(_host.Data.Root, Bare, "main", "dev");

        var (status, error) = await _host.SendAsync(HttpMethod.Put, "/2.0/repositories/alice/site", _alice, Body(branch));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        ServeHost.AssertError(error, code, message);
        Assert.Equal("ref: refs/heads/main\n", Commits.Head(Bare));
    }

    [Fact]
    public async Task PutNeedsAdminAccessAndAMercurialRepositoryIsRefused()
    {
        await _host.SendAsync(HttpMethod.Post, "/2.0/repositories/alice/site", _alice);
        Commits.PushBranches(_host.Data.Root, Bare, "main", "dev");
        var (status, error) = await _host.SendAsync(HttpMethod.Put, "/2.0/repositories/alice/site", _bob, Body("dev"));
        Assert.Equal(HttpStatusCode.NotFound, status);
        ServeHost.AssertError(error, "repository-not-found", "Repository 'alice/site' does not exist, or you do not have access to it.");
        Assert.Equal("ref: refs/heads/main\n", Commits.Head(Bare));

        var (_, hg) = await _host.SendAsync(HttpMethod.Post, "/2.0/repositories/alice/notes", _alice, new { scm = "hg" });
        Assert.Null(MainBranch(hg));
        (status, error) = await _host.SendAsync(HttpMethod.Put, "/2.0/repositories/alice/notes", _alice, Body("default"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        ServeHost.AssertError(error, "default-branch-hg", "alice/notes is a Mercurial repository: Mercurial's default branch is always the one named 'default'.");
    }
}

/// <summary>The default branch on the repository page and its settings page; hostile dates and names on the repository page.</summary>
public sealed class DefaultBranchPageTests : WebPageTestBase
{
    private string Bare(string name = "site") => Host.Data.Paths.Repository("alice", name);

    [Fact]
    public async Task TheRepositoryPageShowsTheDefaultBranch()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        Assert.Contains("<dt>Default branch</dt><dd id=\"default-branch\">main (nothing pushed yet: the first branch pushed becomes the default branch if this one is not pushed)</dd>",
            Tags((await alice.GetAsync("/alice/site")).Html));
        Commits.PushBranches(Host.Data.Root, Bare(), "main");
        Assert.Contains("<dt>Default branch</dt><dd id=\"default-branch\">main</dd>", Tags((await alice.GetAsync("/alice/site")).Html));
    }

    [Fact]
    public async Task TheSettingsFormChangesTheDefaultBranchAndRefusesOneThatDoesNotExist()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        Commits.PushBranches(Host.Data.Root, Bare(), "main", "dev");
        const string page = "/alice/site/settings/branch";
        var form = (await alice.GetAsync(page)).Html;
        Assert.Contains("<option value=\"dev\">dev</option><option value=\"main\" selected>main</option>", Tags(form));

        var response = await alice.PostFormAsync(page, page, ("branch", "dev"));
        Assert.Equal((HttpStatusCode.Redirect, page), (response.StatusCode, response.Headers.Location?.OriginalString));
        Assert.Equal("ref: refs/heads/dev\n", Commits.Head(Bare()));
        Assert.Contains("<dd id=\"default-branch\">dev</dd>", (await alice.GetAsync("/alice/site")).Html);

        response = await alice.PostFormAsync(page, page, ("branch", "nope"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("<p class=\"form-error\" role=\"alert\" id=\"branch-error\">alice/site has no branch &#x27;nope&#x27;: push it first, then make it the default branch.</p>",
            await response.Content.ReadAsStringAsync());
        Assert.Equal("ref: refs/heads/dev\n", Commits.Head(Bare()));

        // Without the antiforgery token nothing changes.
        response = await alice.Client.PostAsync(page, new FormUrlEncodedContent(new Dictionary<string, string> { ["branch"] = "main" }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("ref: refs/heads/dev\n", Commits.Head(Bare()));
    }

    [Fact]
    public async Task OnlyAnAdministratorOfTheRepositoryReachesTheSettingsForm()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site", isPrivate: false);
        Commits.PushBranches(Host.Data.Root, Bare(), "main", "dev");
        using var bob = await SignUpAsync("bob");
        var (status, _) = await bob.GetAsync("/alice/site/settings/branch");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("ref: refs/heads/main\n", Commits.Head(Bare()));
    }

    [Fact]
    public async Task ACommitWithAnOffsetGitAcceptsButDotNetCannotHoldShowsItsRawDate()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        // git stores offsets up to +99:59; .NET's DateTimeOffset stops at 14 hours. The author's name is Latin-1, not UTF-8.
        Commits.PushRaw(Host.Data.Root, Bare(), [.. "author Ren"u8, 0xE9, .. " <r@example.org> 1700000000 +9959"u8], "odd date");

        var (status, html) = await alice.GetAsync("/alice/site");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<td data-label=\"Message\">odd date</td><td data-label=\"Author\">Ren&#xFFFD;</td><td data-label=\"Date\"><span class=\"raw-date\">1700000000 &#x2B;9959</span></td></tr>", Tags(html));
    }

    [Fact]
    public async Task AMercurialChangesetWithAnImpossibleOffsetShowsItsRawDate()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "notes", scm: "hg");
        // hg commit refuses such an offset; a changeset made through Mercurial's own API (or converted from elsewhere) has it.
        HgShell(Host.Data.Paths.Repository("alice", "notes", Core.Repositories.Scm.Hg),
            "from mercurial import context",
            "def fil(repo, memctx, path): return context.memfilectx(repo, memctx, path, b'x\\n')",
            "",
            "lock = repo.lock()",
            "print(context.memctx(repo, (None, None), b'odd date', [b'README'], fil, user=b'Rene <r@example.org>', date=(1700000000, 999999)).commit())",
            "lock.release()");

        var (status, html) = await alice.GetAsync("/alice/notes");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<td data-label=\"Message\">odd date</td><td data-label=\"Author\">Rene</td><td data-label=\"Date\"><span class=\"raw-date\">1700000000 999999</span></td></tr>", Tags(html));
    }

    [Fact]
    public async Task AnUnreadableHistoryIsShownAsAnErrorNotAsAnEmptyRepository()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        Commits.PushBranches(Host.Data.Root, Bare(), "main");
        // The commit object goes; the branch still points at it.
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Bare(), "objects"), "*", SearchOption.AllDirectories))
            File.Delete(file);

        var (status, html) = await alice.GetAsync("/alice/site");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<p id=\"history-error\" class=\"form-error\" role=\"alert\">Wharf could not read this repository's history. The server log says why.</p>", html);
        Assert.DoesNotContain("id=\"empty-repository\"", html);
    }

    private static void HgShell(string repository, params string[] lines)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("hg")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repository,
        };
        psi.Environment["HGPLAIN"] = "1";
        psi.Environment["HGRCPATH"] = "";
        psi.ArgumentList.Add("debugshell");
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardInput.Write(string.Join('\n', lines) + "\n");
        p.StandardInput.Close();
        var error = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0 && !error.Result.Contains("Traceback", StringComparison.Ordinal), $"hg debugshell failed: {error.Result}");
    }
}

/// <summary>git's raw dates: what .NET can hold becomes a time, anything else stays raw (null here).</summary>
public sealed class GitDateTests
{
    [Theory]
    [InlineData("1700000000 +0000", "2023-11-14T22:13:20+00:00")]
    [InlineData("1700000000 +0530", "2023-11-15T03:43:20+05:30")]
    [InlineData("1700000000 -1400", "2023-11-14T08:13:20-14:00")]
    [InlineData("0 +0000", "1970-01-01T00:00:00+00:00")]
    public void ADateDotNetCanHoldIsRead(string raw, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), Core.Repositories.RepositoryHistory.GitDate(raw));

    [Theory]
    [InlineData("1700000000 +9959")]
    [InlineData("1700000000 -1401")]
    [InlineData("1700000000 +0160")]
    [InlineData("99999999999999 +0000")]
    [InlineData("253402300799 +0100")]
    [InlineData("1700000000 0100")]
    [InlineData("1700000000")]
    [InlineData("")]
    public void ADateDotNetCannotHoldIsNull(string raw) => Assert.Null(Core.Repositories.RepositoryHistory.GitDate(raw));
}
