using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// The default branch with the real git over Wharf's SSH server: whatever branch a new repository's first push
/// creates, a clone checks it out, <c>git archive --remote</c> finds HEAD, and a mirror push leaves both sides
/// advertising the same refs.
/// </summary>
public sealed class DefaultBranchTests(WharfServer server) : IClassFixture<WharfServer>
{
    private TestUser Alice => server.Alice;

    /// <summary>A local repository on <paramref name="branch"/> with one commit that adds README.md.</summary>
    private async Task<string> LocalAsync(string parent, string branch, string text)
    {
        var work = Path.Combine(parent, "work");
        Expect.Succeeded(await server.GitAsync(Alice, parent, ["init", "-q", "-b", branch, "work"]), server, $"git init -b {branch}");
        await Workspace.WriteFileAsync(work, "README.md", text);
        await Workspace.CommitAllAsync(server, Alice, work, "First commit on " + branch);
        return work;
    }

    /// <summary>git's own warnings start "warning: " (ssh's "Warning: Permanently added ..." is not one of them).</summary>
    private static void NoWarning(ProcessResult run, WharfServer server, string what) =>
        Expect.That(!run.Stderr.Contains("warning:", StringComparison.Ordinal), $"{what} prints no warning", run, server);

    [Theory]
    [InlineData("main")]
    [InlineData("trunk")]
    [InlineData("master")]
    [InlineData("dev")]
    public async Task WhateverBranchTheFirstPushCreatesACloneChecksItOut(string branch)
    {
        var repository = await server.CreateRepositoryAsync(Alice, "first-" + branch);
        var parent = server.NewDirectory("first-" + branch);
        var work = await LocalAsync(parent, branch, $"# on {branch}\n");
        Expect.Succeeded(await server.GitAsync(Alice, work, ["push", server.Url(repository), branch]), server, $"git push of {branch} into a new repository");

        var clone = await server.GitAsync(Alice, parent, ["clone", server.Url(repository), "clone"]);
        Expect.Succeeded(clone, server, "git clone after the first push");
        NoWarning(clone, server, "git clone");
        var checkout = Path.Combine(parent, "clone");
        Assert.Equal($"# on {branch}\n", await File.ReadAllTextAsync(Path.Combine(checkout, "README.md")));
        Assert.Equal(branch, await Workspace.CurrentBranchAsync(server, Alice, checkout));

        var symref = await server.GitAsync(Alice, parent, ["ls-remote", "--symref", server.Url(repository), "HEAD"]);
        Expect.Succeeded(symref, server, "git ls-remote --symref HEAD");
        Expect.That(symref.Stdout.Contains($"ref: refs/heads/{branch}\tHEAD\n", StringComparison.Ordinal), $"HEAD names refs/heads/{branch}", symref, server);

        var tar = Path.Combine(parent, "head.tar");
        var archive = await server.GitAsync(Alice, parent, ["archive", "--remote=" + server.Url(repository), "--format=tar", "--output=" + tar, "HEAD"]);
        Expect.Succeeded(archive, server, "git archive --remote HEAD");
        NoWarning(archive, server, "git archive --remote HEAD");
        var bytes = await File.ReadAllTextAsync(tar);
        Expect.That(bytes.Contains("README.md", StringComparison.Ordinal) && bytes.Contains($"# on {branch}\n", StringComparison.Ordinal),
            "the archive of HEAD holds README.md", archive, server);
    }

    [Fact]
    public async Task TheConfiguredBranchStaysTheDefaultWhenTheFirstPushHasItAmongOthers()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "several");
        var parent = server.NewDirectory("several");
        var work = await LocalAsync(parent, "main", "# main\n");
        Expect.Succeeded(await server.GitAsync(Alice, work, ["branch", "aaa"]), server, "git branch aaa");
        Expect.Succeeded(await server.GitAsync(Alice, work, ["push", server.Url(repository), "aaa", "main"]), server, "git push aaa main");

        var symref = await server.GitAsync(Alice, parent, ["ls-remote", "--symref", server.Url(repository), "HEAD"]);
        Expect.That(symref.Stdout.Contains("ref: refs/heads/main\tHEAD\n", StringComparison.Ordinal), "HEAD names refs/heads/main", symref, server);
    }

    [Fact]
    public async Task ALaterPushDoesNotMoveTheDefaultBranch()
    {
        var repository = await server.CreateRepositoryAsync(Alice, "later");
        var parent = server.NewDirectory("later");
        var work = await LocalAsync(parent, "dev", "# dev\n");
        Expect.Succeeded(await server.GitAsync(Alice, work, ["push", server.Url(repository), "dev"]), server, "git push dev");
        Expect.Succeeded(await server.GitAsync(Alice, work, ["push", server.Url(repository), "dev:main"]), server, "git push dev:main");

        var symref = await server.GitAsync(Alice, parent, ["ls-remote", "--symref", server.Url(repository), "HEAD"]);
        Expect.That(symref.Stdout.Contains("ref: refs/heads/dev\tHEAD\n", StringComparison.Ordinal), "HEAD still names refs/heads/dev", symref, server);
    }

    [Theory]
    [InlineData("main", "dev")]
    [InlineData("trunk")]
    public async Task AMirrorPushLeavesBothSidesAdvertisingTheSameRefs(params string[] branches)
    {
        var repository = await server.CreateRepositoryAsync(Alice, "mirror");
        var parent = server.NewDirectory("mirror");
        var work = await LocalAsync(parent, branches[0], "# mirror\n");
        Expect.Succeeded(await server.GitAsync(Alice, work, ["tag", "v1"]), server, "git tag v1");
        foreach (var other in branches[1..])
        {
            Expect.Succeeded(await server.GitAsync(Alice, work, ["checkout", "-q", "-b", other]), server, $"git checkout -b {other}");
            await Workspace.WriteFileAsync(work, other + ".txt", other + "\n");
            await Workspace.CommitAllAsync(server, Alice, work, "On " + other);
            Expect.Succeeded(await server.GitAsync(Alice, work, ["checkout", "-q", branches[0]]), server, $"git checkout {branches[0]}");
        }
        Expect.Succeeded(await server.GitAsync(Alice, work, ["push", "--mirror", server.Url(repository)]), server, "git push --mirror");

        var local = await server.GitAsync(Alice, work, ["ls-remote", "."]);
        var remote = await server.GitAsync(Alice, work, ["ls-remote", server.Url(repository)]);
        Expect.Succeeded(remote, server, "git ls-remote of the mirror");
        Assert.Equal(local.Stdout, remote.Stdout);
    }
}
