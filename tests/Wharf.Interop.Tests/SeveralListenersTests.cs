using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>`wharf serve --ssh "127.0.0.1:0;[::1]:0"`: one server on two addresses, as port 22 and 443 in production.</summary>
public sealed class TwoListenersServer : WharfServer
{
    protected override string SshListen => "127.0.0.1:0;[::1]:0";
}

public sealed class SeveralListenersTests(TwoListenersServer server) : IClassFixture<TwoListenersServer>
{
    [Fact]
    public async Task BothListenersServeLoginsAndGitAndTheFirstIsTheClonePort()
    {
        Assert.Equal(2, server.SshPorts.Count);
        Assert.Equal(server.SshPort, server.SshPorts[0]);
        Expect.That(server.ServerLog().Contains($"SSH listening on [::1]:{server.SshPorts[1]}", StringComparison.Ordinal),
            "serve did not announce its second listener", new ProcessResult("", 0, "", "", false), server);

        var first = await server.SshAsync(server.Alice.Key, ["-T"], port: server.SshPorts[0]);
        Expect.ExitCode(0, first, server, "ssh -T to the first listener (127.0.0.1)");
        Expect.StdoutIs(SshSessionTests.Greeting(server, server.Alice), first, server, "ssh -T to the first listener");

        // The second, on ::1: ssh's host is 127.0.0.1 in SshAsync, so git's URL names [::1] itself.
        var repository = await server.CreateRepositoryAsync(server.Alice, "second-listener");
        var parent = server.NewDirectory("second-listener");
        var url = $"ssh://git@[::1]:{server.SshPorts[1]}/{repository}.git";
        var clone = await server.GitAsync(server.Alice, parent, ["clone", url, "checkout"], port: server.SshPorts[1]);
        Expect.Succeeded(clone, server, "git clone through the second listener ([::1])");
        Expect.StderrContains("warning: You appear to have cloned an empty repository.", clone, server, "git clone through the second listener");
        Expect.That(server.StderrLines().Any(l => l.Contains($"SSH login of alice with key {server.Alice.Key.Fingerprint} from ::1 as git", StringComparison.Ordinal)),
            "no login from ::1 logged", clone, server);

        // The host keys page gives known_hosts lines for the primary's port only.
        using var http = new HttpClient();
        var page = await http.GetStringAsync(server.HttpBaseUrl + "/host-keys");
        Expect.That(page.Contains($"]:{server.SshPorts[0]} ssh-ed25519 ", StringComparison.Ordinal) && !page.Contains($"]:{server.SshPorts[1]} ", StringComparison.Ordinal),
            $"/host-keys should name the primary port {server.SshPorts[0]} only:\n{page}", clone, server);
    }
}
