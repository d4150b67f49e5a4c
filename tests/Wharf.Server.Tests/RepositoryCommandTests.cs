namespace Wharf.Server.Tests;

public sealed class RepositoryCommandTests : IDisposable
{
    private readonly TestData _data = new();
    public void Dispose() => _data.Dispose();

    private async Task CreateAliceAsync() =>
        Assert.Equal(0, (await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org")).ExitCode);

    [Fact]
    public async Task RepoCreateMakesABareRepositoryUnderTheDataDirectory()
    {
        await CreateAliceAsync();
        var r = await _data.RunAsync("admin", "repo", "create", "alice/site");
        var path = Path.Combine(_data.Paths.DataDirectory, "repositories", "alice", "site.git");
        Assert.Equal((0, $"Created Git repository alice/site at {path}\n", ""), (r.ExitCode, r.Out, r.Error));
        Assert.Equal("true", Git.Run(path, "rev-parse", "--is-bare-repository"));
        Assert.Equal(1, await _data.CountAsync(db => db.Repositories));
        // Nothing is left behind in the staging folder.
        Assert.Empty(Directory.EnumerateFileSystemEntries(_data.Paths.RepositoriesStaging));
    }

    [Fact]
    public async Task AGitSuffixIsToleratedAndDropped()
    {
        await CreateAliceAsync();
        var r = await _data.RunAsync("admin", "repo", "create", "alice/site.git");
        Assert.Equal(0, r.ExitCode);
        Assert.True(Directory.Exists(_data.Paths.Repository("alice", "site")));
    }

    [Fact]
    public async Task SecondCreateOfTheSameRepositoryIsRefusedWithExitCode4()
    {
        await CreateAliceAsync();
        await _data.RunAsync("admin", "repo", "create", "alice/site");
        var r = await _data.RunAsync("admin", "repo", "create", "alice/Site");
        Assert.Equal((4, "wharf: Repository 'alice/Site' already exists.\n"), (r.ExitCode, r.Error));
        Assert.Equal(1, await _data.CountAsync(db => db.Repositories));
    }

    [Fact]
    public async Task RepoForUnknownOwnerIsRefusedWithExitCode3AndNoDirectory()
    {
        await CreateAliceAsync();
        var r = await _data.RunAsync("admin", "repo", "create", "bob/site");
        Assert.Equal((3, "wharf: User 'bob' does not exist.\n"), (r.ExitCode, r.Error));
        Assert.False(Directory.Exists(Path.Combine(_data.Paths.Repositories, "bob")));
    }

    [Theory]
    [InlineData("site")]
    [InlineData("alice/")]
    [InlineData("/site")]
    [InlineData("alice/../etc")]
    [InlineData("alice/..")]
    [InlineData("../alice/site")]
    [InlineData("alice/site/x")]
    [InlineData("alice/-site")]
    [InlineData("alice/.site")]
    [InlineData("alice/a b")]
    [InlineData("alice/a;b")]
    [InlineData("alice/$(id)")]
    [InlineData("alice/site.git.git")]
    public async Task BadRepositoryNamesAreRefusedWithExitCode2AndNothingCreated(string name)
    {
        await CreateAliceAsync();
        var r = await _data.RunAsync("admin", "repo", "create", "--", name);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"wharf: Invalid repository '{name}': expected OWNER/NAME, where each part uses letters, digits, '-', '_' or '.' and starts with a letter or digit.\n", r.Error);
        Assert.False(Directory.Exists(_data.Paths.Repositories));
        Assert.Equal(0, await _data.CountAsync(db => db.Repositories));
    }

    [Fact]
    public async Task AnOrphanDirectoryIsNotAdoptedOrOverwritten()
    {
        await CreateAliceAsync();
        var path = _data.Paths.Repository("alice", "site");
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "keep"), "precious");

        var r = await _data.RunAsync("admin", "repo", "create", "alice/site");
        Assert.Equal((4, $"wharf: Repository 'alice/site' has no record but its directory exists at {path}; move that directory away first.\n"), (r.ExitCode, r.Error));
        Assert.Equal("precious", File.ReadAllText(Path.Combine(path, "keep")));
        Assert.Equal(0, await _data.CountAsync(db => db.Repositories));
    }
}
