using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>One user's repositories are closed to another: refused with a clear message, nothing changed.</summary>
public sealed class AccessControlTests(WharfServer server) : IClassFixture<WharfServer>
{
    private TestUser Alice => server.Alice;

    private TestUser Bob => server.Bob;

    /// <summary>The one line Wharf prints for a repository the user may not see, whether or not it exists.</summary>
    public static string NoSuchRepository(string repository) =>
        $"wharf: Repository '{repository}' does not exist, or you do not have access to it.";

    private void ExpectRefusal(ProcessResult run, string what, string expectedLine)
    {
        Expect.Failed(run, server, what);
        var said = Workspace.ServerMessages(run.Stderr);
        Expect.That(
            said.Contains(expectedLine),
            $"{what}: stderr must have the line {Expect.Visible(expectedLine)}; the server said: [{string.Join(" | ", said)}]",
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

        ExpectRefusal(run, "alice cloning bob's repository", NoSuchRepository(repository));
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
        ExpectRefusal(newBranch, "alice pushing a new branch to bob's repository", NoSuchRepository(repository));

        var overwrite = await server.GitAsync(Alice, checkout, ["push", "--force", server.Url(repository), $"HEAD:refs/heads/{branch}"]);
        ExpectRefusal(overwrite, "alice force-pushing over bob's branch", NoSuchRepository(repository));

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

        ExpectRefusal(run, "alice pushing to bob's empty repository", NoSuchRepository(repository));
        Assert.Equal("", await RefsAsSeenByAsync(Bob, repository));
    }

    [Fact]
    public async Task CloningARepositoryThatDoesNotExistIsRefused()
    {
        var parent = server.NewDirectory("missing");

        var run = await server.GitAsync(Alice, parent, ["clone", server.Url("alice/no-such-repository"), "checkout"]);

        ExpectRefusal(run, "cloning alice/no-such-repository", NoSuchRepository("alice/no-such-repository"));
        Expect.That(!Directory.Exists(Path.Combine(parent, "checkout")), "a refused clone must leave no checkout", run, server);
    }

    [Fact]
    public async Task RefusalDoesNotTellWhetherAnotherUsersRepositoryExists()
    {
        var existing = await server.CreateRepositoryAsync(Bob, "hidden");
        var missing = existing + "-never-made";

        var toExisting = await server.SshAsync(Alice.Key, ["-T"], $"git-upload-pack '{existing}.git'");
        var toMissing = await server.SshAsync(Alice.Key, ["-T"], $"git-upload-pack '{missing}.git'");

        Expect.Failed(toExisting, server, "git-upload-pack on bob's repository as alice");
        Expect.Failed(toMissing, server, "git-upload-pack on a missing repository");
        Expect.StderrContains(NoSuchRepository(missing), toMissing, server, "git-upload-pack on a missing repository");
        Expect.That(
            toExisting.ExitCode == toMissing.ExitCode &&
            toExisting.Stdout == toMissing.Stdout &&
            toExisting.Stderr.Replace(existing, "REPO", StringComparison.Ordinal) == toMissing.Stderr.Replace(missing, "REPO", StringComparison.Ordinal),
            $"bob's repository and a missing one must be refused alike; for the missing one:\n{toMissing.Describe()}\nand for bob's:",
            toExisting,
            server);
    }

    [Fact]
    public async Task DotDotInTheRepositoryPathCannotReachAnotherUsersRepository()
    {
        var repository = await server.CreateRepositoryAsync(Bob, "behind-dots");
        await Workspace.SeedAsync(server, Bob, repository);
        var parent = server.NewDirectory("dots");

        var run = await server.GitAsync(Alice, parent, ["clone", server.Url($"alice/../{repository}"), "checkout"]);

        Expect.Failed(run, server, $"alice cloning alice/../{repository}");
        Expect.StderrContains("'.' and '..' are not allowed.", run, server, "a path with .. must be refused as such");
        Expect.That(!Directory.Exists(Path.Combine(parent, "checkout")), "a refused clone must leave no checkout", run, server);
    }

    [Fact]
    public async Task OptionLikeRepositoryPathNeverReachesGitAsAnOption()
    {
        // Were '-h' handed to git-upload-pack as an argument, git would print its usage and exit 129.
        var run = await server.SshAsync(Alice.Key, ["-T"], "git-upload-pack '-h'");

        Expect.ExitCode(1, run, server, "git-upload-pack '-h'");
        Expect.StderrContains("options are not accepted.", run, server, "git-upload-pack '-h'");
        Expect.That(
            !(run.Stdout + run.Stderr).Contains("usage: git", StringComparison.Ordinal),
            "the option reached git-upload-pack",
            run,
            server);
    }
}
