using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests.Clients;

/// <summary>
/// Dropbear 2022.83's `dbclient` with a key in dropbear's own format (`dropbearkey`). It sends
/// first_kex_packet_follows with a guessed key exchange, picks zlib@openssh.com compression first and uses a
/// small 24 KiB receive window, so a clone of a few MiB needs many window adjustments.
/// </summary>
public sealed class DropbearClientTests(WharfServer server) : IClassFixture<WharfServer>
{
    private TestUser Alice => server.Alice;

    private static string Dbclient => ClientMatrix.Require("dbclient", "dropbear-bin");

    private string Port => server.SshPort.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>dropbearkey -t ed25519 -f KEY; `dropbearkey -y` prints the OpenSSH public key line, added to USER.</summary>
    private async Task<string> NewDropbearKeyAsync(TestUser user)
    {
        var dropbearkey = ClientMatrix.Require("dropbearkey", "dropbear-bin");
        var id = Guid.NewGuid().ToString("N")[..8];
        var key = Path.Combine(server.KeysDirectory, $"dropbear_{id}");
        Expect.Succeeded(await ProcessRunner.RunAsync(dropbearkey, ["-t", "ed25519", "-f", key]), null, "dropbearkey -t ed25519");
        var shown = await ProcessRunner.RunAsync(dropbearkey, ["-y", "-f", key]);
        Expect.Succeeded(shown, null, "dropbearkey -y");
        var publicKey = shown.Stdout.Split('\n').SingleOrDefault(line => line.StartsWith("ssh-ed25519 ", StringComparison.Ordinal));
        Expect.That(publicKey is not null, "dropbearkey -y printed no ssh-ed25519 public key line", shown, null);
        await ClientMatrix.AddKeyAsync(server, user, $"dropbear-{id}", publicKey!);
        return key;
    }

    [Fact]
    public async Task DbclientDashTGreetsAndExitsZero()
    {
        var key = await NewDropbearKeyAsync(Alice);
        var hostKey = await ClientMatrix.HostKeyFingerprintAsync(server);

        // -y: accept the unknown host key, and print its fingerprint, which must be the server's.
        var run = await ProcessRunner.RunAsync(
            Dbclient,
            ["-y", "-T", "-i", key, "-p", Port, $"git@{server.Host}"],
            server.Home,
            new Dictionary<string, string?> { ["HOME"] = server.Home });

        Expect.ExitCode(0, run, server, "dbclient -T");
        ClientMatrix.ExpectGreeting(server, "alice", run, "dbclient -T");
        Expect.StderrContains($"(ssh-ed25519 fingerprint {hostKey})", run, server, "dbclient -y shows the host key it accepted");
    }

    [Fact]
    public async Task GitCloneAndPushThroughDbclient()
    {
        var key = await NewDropbearKeyAsync(Alice);
        var hostKey = await ClientMatrix.HostKeyFingerprintAsync(server);
        // What a dropbear user writes: the port in the command, the scp-like URL. git finds that dbclient is
        // not OpenSSH (its `-G` probe fails) and passes only the host and the command.
        var transport = new Dictionary<string, string?>
        {
            ["GIT_SSH_COMMAND"] = string.Join(' ', new[] { Dbclient, "-y", "-i", key, "-p", Port }.Select(ProcessRunner.Quote)),
        };

        var trip = await ClientMatrix.CloneAndPushAsync(server, Alice, "dbclient", transport, server.Url);

        Expect.StderrContains($"(ssh-ed25519 fingerprint {hostKey})", trip.SecondClone, server, "dbclient -y shows the host key it accepted");
    }
}
