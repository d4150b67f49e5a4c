using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// A host key rotation as OpenSSH users live it (docs/OPERATIONS.md, "Rotating the SSH host keys"): a client whose
/// known_hosts holds only the old key, with UpdateHostKeys and strict host key checking, learns the announced key after
/// <c>wharf admin host-key add</c>, connects without a warning once <c>promote</c> made it the signing key, and drops the
/// old key after <c>retire</c>. The proofs it checks are hostkeys-prove-00@openssh.com signatures.
/// </summary>
public sealed class HostKeyRotationTests(WharfServer server) : IClassFixture<WharfServer>
{
    private string KnownHosts => Path.Combine(server.Root, "rotation_known_hosts");

    private string HostName => $"[{server.Host}]:{server.SshPort}";

    /// <summary>ssh -v with the client's own known_hosts, strict checking and UpdateHostKeys; first values win, so these come before the fixture's.</summary>
    private Task<ProcessResult> SshAsync() => ProcessRunner.RunAsync(Tools.Ssh,
        ["-v", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + KnownHosts, "-o", "UpdateHostKeys=yes", "-o", "GlobalKnownHostsFile=/dev/null",
            .. server.SshOptions(server.Alice.Key), "-T", $"git@{server.Host}", "whoami"],
        server.Home, new Dictionary<string, string?> { ["HOME"] = server.Home });

    private async Task<string> PublicKeyLineAsync(string fingerprint)
    {
        var listed = await server.WharfOrThrowAsync(["admin", "host-key", "list"]);
        var file = listed.Stdout.Split('\n').Select(l => l.Split('\t')).Single(f => f.Length == 5 && f[3] == fingerprint)[4];
        var shown = await ProcessRunner.RunAsync(Tools.SshKeygen, ["-y", "-f", Path.Combine(server.DataDirectory, file)]);
        Expect.Succeeded(shown, server, "ssh-keygen -y on the new host key");
        return string.Join(' ', shown.Stdout.Trim().Split(' ').Take(2));
    }

    private IReadOnlyList<string> KnownKeys() =>
        [.. File.ReadAllLines(KnownHosts).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => string.Join(' ', l.Split(' ').Skip(1).Take(2))).Order(StringComparer.Ordinal)];

    private void ExpectNoWarning(ProcessResult run, string what)
    {
        Expect.ExitCode(0, run, server, what);
        Expect.That(run.Stdout.StartsWith("logged in as alice.\n", StringComparison.Ordinal), $"{what}: the greeting", run, server);
        Expect.That(!run.Stderr.Contains("WARNING", StringComparison.Ordinal) && !run.Stderr.Contains("Host key verification failed", StringComparison.Ordinal),
            $"{what}: ssh must not warn about the host key", run, server);
    }

    [Fact]
    public async Task AClientThatKnowsOnlyTheOldKeyLearnsTheNextOneAndNeverSeesAWarning()
    {
        // The client trusts only the Ed25519 key the server signs with today.
        var scan = await ProcessRunner.RunAsync(Tools.Require("ssh-keyscan", "openssh-client"), ["-t", "ed25519", "-p", server.SshPort.ToString(System.Globalization.CultureInfo.InvariantCulture), server.Host]);
        Expect.Succeeded(scan, server, "ssh-keyscan -t ed25519");
        var oldLine = scan.Stdout.Split('\n').Single(l => l.StartsWith(HostName + " ssh-ed25519 ", StringComparison.Ordinal));
        await File.WriteAllTextAsync(KnownHosts, oldLine + "\n");
        var oldKey = oldLine[(HostName.Length + 1)..];

        // add: the next key is announced, the old one still signs.
        var added = await server.WharfOrThrowAsync(["admin", "host-key", "add", "ed25519"]);
        var next = added.Stdout.Split(' ')[4];
        var nextKey = await PublicKeyLineAsync(next);
        await server.RestartAsync();

        var learning = await SshAsync();
        ExpectNoWarning(learning, "ssh after add");
        // It learned the announced key and the RSA key too, and kept the old one, which the server still announces.
        var listed = (await server.WharfOrThrowAsync(["admin", "host-key", "list"])).Stdout.Split('\n').Select(l => l.Split('\t'));
        var rsaKey = await PublicKeyLineAsync(listed.Single(f => f.Length == 5 && f[1] == "ssh-rsa")[3]);
        Assert.Equal(new[] { oldKey, nextKey, rsaKey }.Order(StringComparer.Ordinal), KnownKeys());

        // promote: the next key signs; the client already trusts it.
        await server.WharfOrThrowAsync(["admin", "host-key", "promote", next]);
        await server.RestartAsync();
        var promoted = await SshAsync();
        ExpectNoWarning(promoted, "ssh after promote");
        Expect.StderrContains($"Server host key: ssh-ed25519 {next}", promoted, server, "the server signs with the promoted key");

        // retire: the old key is no longer announced, and the client drops it.
        var oldFingerprint = (await ProcessRunner.RunAsync(Tools.SshKeygen, ["-l", "-E", "sha256", "-f", "/dev/stdin"], server.Root, stdin: oldLine + "\n")).Stdout.Split(' ')[1];
        await server.WharfOrThrowAsync(["admin", "host-key", "retire", oldFingerprint]);
        await server.RestartAsync();
        ExpectNoWarning(await SshAsync(), "ssh after retire");
        Assert.Equal(new[] { nextKey, rsaKey }.Order(StringComparer.Ordinal), KnownKeys());
    }
}
