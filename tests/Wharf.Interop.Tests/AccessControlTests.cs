using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>One user's repositories are closed to another: refused with a clear message, nothing changed.</summary>
public sealed class AccessControlTests(WharfServer server) : IClassFixture<WharfServer>
{
    private TestUser Alice => server.Alice;

    private TestUser Bob => server.Bob;

    private void ExpectClearRefusal(ProcessResult run, string what)
    {
        Expect.Failed(run, server, what);
        var said = Workspace.ServerMessages(run.Stderr);
        Expect.That(
            said.Any(line => Workspace.RefusalWords().IsMatch(line)),
            $"{what}: the server must say why on stderr (a line with 'denied', 'not found', 'permission', ...), " +
            $"besides git's own boilerplate; it said: [{string.Join(" | ", said)}]",
            run,
            server);
    }

    private async Task<string> RefsAsSeenByAsync(TestUser user, string repository)
    {
        var run = await server.GitAsync(user, server.WorkDirectory, ["ls-remote", server.Url(repository)]);
        Expect.Succeeded(run, server, $"git ls-remote {repository} as {user.Name}");
        return run.Stdout;
    }

    [Fact]
    public async Task CloningAnotherUsersRepositoryIsRefused()
    {
        var repository = await server.CreateRepositoryAsync(Bob, "private");
        await Workspace.SeedAsync(server, Bob, repository);
        var parent = server.NewDirectory("steal");

        var run = await server.GitAsync(Alice, parent, ["clone", server.Url(repository), "checkout"]);

        ExpectClearRefusal(run, "alice cloning bob's repository");
        Expect.That(!Directory.Exists(Path.Combine(parent, "checkout")), "a refused clone must leave no checkout", run, server);
    }

    [Fact]
    public async Task PushingToAnotherUsersRepositoryIsRefusedAndItsRefsStayUnchanged()
    {
        var repository = await server.CreateRepositoryAsync(Bob, "guarded");
        var (_, branch) = await Workspace.SeedAsync(server, Bob, repository);
        var before = await RefsAsSeenByAsync(Bob, repository);

        var checkout = server.NewDirectory("intruder");
        Expect.Succeeded(await server.GitAsync(Alice, checkout, ["init", "-q"]), server, "git init");
        await Workspace.WriteFileAsync(checkout, "README.md", "alice was here\n");
        await Workspace.CommitAllAsync(server, Alice, checkout, "Not yours");

        var newBranch = await server.GitAsync(Alice, checkout, ["push", server.Url(repository), "HEAD:refs/heads/intruder"]);
        ExpectClearRefusal(newBranch, "alice pushing a new branch to bob's repository");

        var overwrite = await server.GitAsync(Alice, checkout, ["push", "--force", server.Url(repository), $"HEAD:refs/heads/{branch}"]);
        ExpectClearRefusal(overwrite, "alice force-pushing over bob's branch");

        var after = await RefsAsSeenByAsync(Bob, repository);
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task PushingToAnotherUsersEmptyRepositoryIsRefusedAndItStaysEmpty()
    {
        var repository = await server.CreateRepositoryAsync(Bob, "empty");
        var checkout = server.NewDirectory("intruder-empty");
        Expect.Succeeded(await server.GitAsync(Alice, checkout, ["init", "-q"]), server, "git init");
        await Workspace.WriteFileAsync(checkout, "README.md", "first!\n");
        await Workspace.CommitAllAsync(server, Alice, checkout, "Squatting");

        var run = await server.GitAsync(Alice, checkout, ["push", server.Url(repository), "HEAD:refs/heads/main"]);

        ExpectClearRefusal(run, "alice pushing to bob's empty repository");
        Assert.Equal("", await RefsAsSeenByAsync(Bob, repository));
    }

    [Fact]
    public async Task CloningARepositoryThatDoesNotExistIsRefused()
    {
        var parent = server.NewDirectory("missing");

        var run = await server.GitAsync(Alice, parent, ["clone", server.Url("alice/no-such-repository"), "checkout"]);

        ExpectClearRefusal(run, "cloning alice/no-such-repository");
        Expect.That(!Directory.Exists(Path.Combine(parent, "checkout")), "a refused clone must leave no checkout", run, server);
    }

    [Fact]
    public async Task DotDotInTheRepositoryPathCannotReachAnotherUsersRepository()
    {
        var repository = await server.CreateRepositoryAsync(Bob, "behind-dots");
        await Workspace.SeedAsync(server, Bob, repository);
        var parent = server.NewDirectory("dots");

        var run = await server.GitAsync(Alice, parent, ["clone", server.Url($"alice/../{repository}"), "checkout"]);

        Expect.Failed(run, server, $"alice cloning alice/../{repository}");
        Expect.That(!Directory.Exists(Path.Combine(parent, "checkout")), "a refused clone must leave no checkout", run, server);
    }

    [Fact]
    public async Task OptionLikeRepositoryPathNeverReachesGitAsAnOption()
    {
        // Were '-h' handed to git-upload-pack as an argument, git would print its usage and exit 129.
        var run = await server.SshAsync(Alice.Key, ["-T"], "git-upload-pack '-h'");

        Expect.Failed(run, server, "git-upload-pack '-h'");
        Expect.That(
            !(run.Stdout + run.Stderr).Contains("usage: git", StringComparison.Ordinal),
            "the option reached git-upload-pack",
            run,
            server);
    }
}
