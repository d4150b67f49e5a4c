using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>A server of its own: the test stops it.</summary>
public sealed class StoppableServer : WharfServer;

/// <summary>SIGTERM (systemd's stop) while a push runs: the push completes, new connections are refused, the exit is clean.</summary>
public sealed class GracefulShutdownTests(StoppableServer server) : IClassFixture<StoppableServer>
{
    [Fact]
    public async Task APushInFlightDuringShutdownCompletesAndNewConnectionsAreRefused()
    {
        var repository = await server.CreateRepositoryAsync(server.Alice, "shutdown");
        var bare = Path.Combine(server.DataDirectory, "repositories", repository + ".git");
        var started = Path.Combine(server.Root, "hook-started");
        var release = Path.Combine(server.Root, "hook-release");
        // The push holds in pre-receive until the test lets it go: "in flight" without guessing at timing.
        var hook = Path.Combine(bare, "hooks", "pre-receive");
        await File.WriteAllTextAsync(hook, $"#!/bin/sh\ncat >/dev/null\ntouch '{started}'\nwhile [ ! -e '{release}' ]; do sleep 0.05; done\n");
        Expect.Succeeded(await ProcessRunner.RunAsync("chmod", ["+x", hook]), server, "chmod +x pre-receive");

        var work = server.NewDirectory("shutdown");
        Expect.Succeeded(await server.GitAsync(server.Alice, work, ["init", "-q", "."]), server, "git init");
        await Workspace.WriteFileAsync(work, "README.md", "# shutdown\n");
        await Workspace.CommitAllAsync(server, server.Alice, work, "First commit");
        var head = await Workspace.RevParseAsync(server, server.Alice, work, "HEAD");

        var push = server.GitAsync(server.Alice, work, ["push", server.SshUrl(repository), "HEAD:refs/heads/main"]);
        await WaitUntilAsync(() => File.Exists(started) || push.IsCompleted, "the pre-receive hook to start");
        if (push.IsCompleted) Assert.Fail("the push ended before the hook held it:\n" + (await push).Describe());

        await server.TerminateAsync();
        await WaitUntilAsync(() => server.StderrLines().Any(l => l.Contains("SSH server no longer accepts connections", StringComparison.Ordinal)),
            "the server to stop accepting");

        var refused = await server.SshAsync(server.Bob.Key, ["-T"]);
        Expect.ExitCode(255, refused, server, "ssh -T while the server shuts down");
        Expect.StderrContains("Connection refused", refused, server, "ssh -T while the server shuts down");

        await File.WriteAllTextAsync(release, "");
        var pushed = await push;
        Expect.Succeeded(pushed, server, "the push that was running when SIGTERM came");
        Expect.StderrContains("* [new branch]      HEAD -> main", pushed, server, "the push that was running when SIGTERM came");

        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await server.Process.WaitForExitAsync(exit.Token);
        Assert.Equal(0, server.Process.ExitCode);
        var stored = await ProcessRunner.RunAsync(Tools.Git, ["--git-dir", bare, "rev-parse", "refs/heads/main"]);
        Assert.Equal(head + "\n", stored.Stdout);
        Assert.Contains(server.StderrLines(), l => l.Contains("SSH server stopped (0 connections were still open", StringComparison.Ordinal));
    }

    // Waits for something the test caused; the bound only turns a hang into a failure.
    private async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            if (limit.IsCancellationRequested) Assert.Fail($"gave up waiting for {what}\n{server.ServerLog()}");
            await Task.Delay(50, CancellationToken.None);
        }
    }
}
