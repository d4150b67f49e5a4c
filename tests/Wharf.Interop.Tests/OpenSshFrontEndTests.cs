using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// Debian's real sshd on a private port, with Wharf as its AuthorizedKeysCommand and forced command
/// (issue 6 point 3). The login name is the account the tests run as: sshd can only log people in as a
/// real system user, and this one exists everywhere the tests run; OpenSsh:Users names it.
/// </summary>
public class OpenSshFrontEnd : IAsyncLifetime
{
    public WharfServer Wharf { get; } = new();
    public int Port { get; private set; }
    public string LoginUser { get; } = Environment.UserName;
    private Process? _sshd;
    private string Directory => Path.Combine(Wharf.Root, "sshd");

    /// <summary>More members of DATA/wharf.json after the OpenSsh section (JSON, starting with a comma).</summary>
    protected virtual string MoreWharfSettings => "";

    /// <summary>
    /// More sshd_config lines, put before AuthorizedKeysCommand: OpenSSH 9.2's sshd drops an AuthorizedPrincipalsCommand
    /// that follows it (<c>sshd -T</c> then shows "authorizedprincipalscommand none"). <paramref name="dotnet"/> is the
    /// absolute path of dotnet.
    /// </summary>
    protected virtual string MoreSshdSettings(string dotnet) => "";

    public virtual async Task InitializeAsync()
    {
        if (Environment.UserName != "root")
            throw new InvalidOperationException("The OpenSSH front-end tests start sshd with its own config, which needs root: run them through scripts/test.sh as root.");
        var sshd = Tools.Require("sshd", "openssh-server");
        await Wharf.InitializeAsync();
        System.IO.Directory.CreateDirectory(Directory);
        System.IO.Directory.CreateDirectory("/run/sshd"); // sshd's privilege separation directory
        await File.WriteAllTextAsync(Path.Combine(Wharf.DataDirectory, "wharf.json"), "{\"OpenSsh\": {\"Users\": [\"" + LoginUser + "\"]}" + MoreWharfSettings + "}");
        // wharf serve reads DATA/wharf.json when it starts, and answers the two commands over its socket with those settings.
        await Wharf.RestartAsync();

        var hostKey = Path.Combine(Directory, "host_ed25519");
        var keygen = await ProcessRunner.RunAsync(Tools.SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
        if (keygen.ExitCode != 0) throw new InvalidOperationException(keygen.Describe());

        // sshd wants the command by an absolute, root-owned path: the real dotnet, not a symlink in PATH.
        var dotnet = Tools.Dotnet;
        dotnet = File.ResolveLinkTarget(dotnet, returnFinalTarget: true)?.FullName ?? dotnet;
        Port = LocalPorts.Free();
        var config = Path.Combine(Directory, "sshd_config");
        await File.WriteAllTextAsync(config, $"""
            Port {Port}
            ListenAddress 127.0.0.1
            HostKey {hostKey}
            PidFile {Path.Combine(Directory, "sshd.pid")}
            AuthorizedKeysFile none
            {MoreSshdSettings(dotnet)}
            AuthorizedKeysCommand {dotnet} {WharfServer.WharfDll} keys authorized --user %u --type %t --key %k --data {Wharf.DataDirectory}
            AuthorizedKeysCommandUser {LoginUser}
            StrictModes no
            UsePAM no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            AcceptEnv GIT_PROTOCOL
            """);
        _sshd = Process.Start(new ProcessStartInfo(sshd, ["-D", "-e", "-f", config]) { RedirectStandardError = true, UseShellExecute = false })!;
        _sshd.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (Log) Log.Add(e.Data); };
        _sshd.BeginErrorReadLine();
        for (var i = 0; i < 100 && !LocalPorts.Accepting(Port); i++) await Task.Delay(100);
        if (!LocalPorts.Accepting(Port)) throw new InvalidOperationException("sshd did not start:\n" + string.Join('\n', Log));
    }

    public List<string> Log { get; } = [];

    public virtual async Task DisposeAsync()
    {
        if (_sshd is not null) ProcessRunner.Kill(_sshd);
        await Wharf.DisposeAsync();
    }

    public Task<ProcessResult> SshAsync(SshKey key, string? command = null)
    {
        List<string> args = [.. Options(key), "-T", $"{LoginUser}@127.0.0.1"];
        if (command is not null) args.Add(command);
        return ProcessRunner.RunAsync(Tools.Ssh, args, Wharf.Home, new Dictionary<string, string?> { ["HOME"] = Wharf.Home });
    }

    /// <summary>The built-in server's client options, pointed at sshd's port.</summary>
    public IReadOnlyList<string> Options(SshKey key)
    {
        var options = Wharf.SshOptions(key).ToList();
        options[options.IndexOf("-p") + 1] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return options;
    }

    public string Url(string repository) => $"ssh://{LoginUser}@127.0.0.1:{Port}/{repository}.git";

    /// <summary>Where wharf serve answers the two commands (docs/OPERATIONS.md, "OpenSSH as the front door").</summary>
    public string SocketPath => Path.Combine(Wharf.DataDirectory, "run", "wharf.sock");

    /// <summary>
    /// Runs <paramref name="body"/> as if wharf serve were down: its socket moved aside (it keeps listening on it) and, at the
    /// path the commands look at, a socket file nothing listens on, as a crashed server leaves. Then puts the socket back.
    /// </summary>
    public async Task WithoutServeAsync(Func<Task> body)
    {
        var aside = SocketPath + ".aside";
        File.Move(SocketPath, aside);
        try
        {
            using (var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
                stale.Bind(new UnixDomainSocketEndPoint(SocketPath));
            await body();
        }
        finally
        {
            File.Delete(SocketPath);
            File.Move(aside, SocketPath);
        }
    }

}

public sealed class OpenSshFrontEndTests(OpenSshFrontEnd front) : IClassFixture<OpenSshFrontEnd>
{
    private WharfServer Wharf => front.Wharf;

    private string Because(string what) => what + "\n--- sshd ---\n" + string.Join('\n', front.Log.TakeLast(30));

    [Fact]
    public async Task SshDashTThroughSshdGreetsAsTheBuiltInServerDoes()
    {
        var run = await front.SshAsync(Wharf.Alice.Key);
        Expect.ExitCode(0, run, Wharf, Because("ssh -T through sshd"));
        // The help hint names the address sshd was reached on (SSH_CONNECTION), as no Ssh:PublicHost is set.
        var key = Wharf.Alice.Key;
        Expect.StdoutIs($"logged in as alice.\nKey 'laptop-{key.Type}': {key.PublicKeyLine.Split(' ')[0]} {key.Fingerprint}, does not expire.\n\n"
            + $"You can use git or hg to connect to Wharf. Shell access is disabled.\nRun 'ssh -p {front.Port} git@127.0.0.1 help' for the other commands.\n",
            run, Wharf, "greeting through sshd");
    }

    [Fact]
    public async Task CloneAndPushThroughSshdWithProtocolVersion2()
    {
        var repository = await Wharf.CreateRepositoryAsync(Wharf.Alice, "through-sshd");
        var parent = Wharf.NewDirectory("sshd-clone");
        var ssh = string.Join(' ', new[] { Tools.Ssh }.Concat(front.Options(Wharf.Alice.Key)).Select(ProcessRunner.Quote));
        var env = new Dictionary<string, string?> { ["GIT_SSH_COMMAND"] = ssh };

        Expect.Succeeded(await Wharf.GitAsync(Wharf.Alice, parent, ["clone", front.Url(repository), "checkout"], extraEnvironment: env), Wharf, Because("clone through sshd"));
        var checkout = Path.Combine(parent, "checkout");
        await Workspace.WriteFileAsync(checkout, "README.md", "through sshd\n");
        var commit = await Workspace.CommitAllAsync(Wharf, Wharf.Alice, checkout, "Through sshd");
        Expect.Succeeded(await Wharf.GitAsync(Wharf.Alice, checkout, ["push", "origin", "HEAD:refs/heads/main"], extraEnvironment: env), Wharf, Because("push through sshd"));

        // Protocol v2 reaches git through AcceptEnv GIT_PROTOCOL: ls-refs is a v2 command.
        var listed = await Wharf.GitAsync(Wharf.Alice, checkout, ["-c", "protocol.version=2", "ls-remote", front.Url(repository)],
            extraEnvironment: new Dictionary<string, string?> { ["GIT_SSH_COMMAND"] = ssh, ["GIT_TRACE_PACKET"] = "1" });
        Expect.Succeeded(listed, Wharf, Because("ls-remote v2 through sshd"));
        Expect.That(listed.Stdout.Contains($"{commit}\trefs/heads/main", StringComparison.Ordinal), "the pushed commit is listed", listed, Wharf);
        Expect.That(listed.Stderr.Contains("command=ls-refs", StringComparison.Ordinal), "git spoke protocol v2 through sshd", listed, Wharf);
    }

    [Fact]
    public async Task TheFirstBranchPushedThroughSshdBecomesTheDefaultBranch()
    {
        var repository = await Wharf.CreateRepositoryAsync(Wharf.Alice, "trunk-sshd");
        var parent = Wharf.NewDirectory("sshd-trunk");
        var ssh = string.Join(' ', new[] { Tools.Ssh }.Concat(front.Options(Wharf.Alice.Key)).Select(ProcessRunner.Quote));
        var env = new Dictionary<string, string?> { ["GIT_SSH_COMMAND"] = ssh };
        var work = Path.Combine(parent, "work");
        Expect.Succeeded(await Wharf.GitAsync(Wharf.Alice, parent, ["init", "-q", "-b", "trunk", "work"]), Wharf, "git init -b trunk");
        await Workspace.WriteFileAsync(work, "README.md", "trunk through sshd\n");
        await Workspace.CommitAllAsync(Wharf, Wharf.Alice, work, "On trunk");
        Expect.Succeeded(await Wharf.GitAsync(Wharf.Alice, work, ["push", front.Url(repository), "trunk"], extraEnvironment: env), Wharf, Because("push of trunk through sshd"));

        var clone = await Wharf.GitAsync(Wharf.Alice, parent, ["clone", front.Url(repository), "clone"], extraEnvironment: env);
        Expect.Succeeded(clone, Wharf, Because("clone through sshd"));
        Expect.That(!clone.Stderr.Contains("warning:", StringComparison.Ordinal), "the clone prints no warning", clone, Wharf);
        Assert.Equal("trunk through sshd\n", await File.ReadAllTextAsync(Path.Combine(parent, "clone", "README.md")));
    }

    [Fact]
    public async Task AnotherUsersRepositoryIsRefusedThroughSshdAsByTheBuiltInServer()
    {
        var repository = await Wharf.CreateRepositoryAsync(Wharf.Bob, "private-sshd");
        var run = await front.SshAsync(Wharf.Alice.Key, $"git-upload-pack '{repository}.git'");
        Expect.ExitCode(1, run, Wharf, Because("upload-pack of bob's repository through sshd"));
        Expect.StderrContains($"wharf: Repository '{repository}' does not exist, or you do not have access to it.\n", run, Wharf, "refusal through sshd");
    }

    [Fact]
    public async Task AKeyDeletedWithTheCliStopsWorkingThroughSshdAtOnce()
    {
        var carol = await Wharf.CreateUserAsync("carol", "ed25519");
        Expect.ExitCode(0, await front.SshAsync(carol.Key), Wharf, Because("carol before the delete"));

        await Wharf.WharfOrThrowAsync(["admin", "key", "remove", "carol", "--fingerprint", carol.Key.Fingerprint]);

        var after = await front.SshAsync(carol.Key);
        Expect.ExitCode(255, after, Wharf, Because("carol after the delete"));
        Expect.StderrContains("Permission denied (publickey)", after, Wharf, "sshd refuses the deleted key");
    }

    [Fact]
    public async Task AnUnknownKeyIsRefusedBySshd()
    {
        var run = await front.SshAsync(Wharf.StrangerKey);
        Expect.ExitCode(255, run, Wharf, Because("a key nobody registered"));
        Expect.StderrContains("Permission denied (publickey)", run, Wharf, "sshd refuses an unknown key");
    }

    private string[] KeysAuthorized(SshKey key) =>
        ["keys", "authorized", "--user", front.LoginUser, "--type", key.PublicKeyLine.Split(' ')[0], "--key", key.PublicKeyLine.Split(' ')[1]];

    [Fact]
    public async Task WharfKeysAuthorizedIsAnsweredByWharfServeOverItsSocket()
    {
        ProcessResult own = null!;
        await front.WithoutServeAsync(async () => own = await Wharf.WharfAsync(KeysAuthorized(Wharf.Alice.Key)));
        Expect.Succeeded(own, Wharf, "keys authorized doing its own lookup");
        Expect.That(own.Stdout.Contains(" shell --key-id ", StringComparison.Ordinal), "its own lookup prints the forced command", own, Wharf);

        // A data directory holding nothing but a link to serve's socket: the key is known there only if serve answers,
        // and the command builds nothing in it (no database, no repositories directory).
        var bare = Path.Combine(Wharf.Root, "socket-only");
        System.IO.Directory.CreateDirectory(Path.Combine(bare, "run"));
        File.CreateSymbolicLink(Path.Combine(bare, "run", "wharf.sock"), front.SocketPath);
        var asked = await ProcessRunner.RunAsync(Tools.Dotnet, [WharfServer.WharfDll, .. KeysAuthorized(Wharf.Alice.Key), "--data", bare], Wharf.Root);
        Expect.Succeeded(asked, Wharf, "keys authorized through serve's socket");
        Expect.StdoutIs(own.Stdout.Replace($"--data {Wharf.DataDirectory}", $"--data {bare}", StringComparison.Ordinal), asked, Wharf, "the same line, naming the data directory it was given");
        Assert.Equal([Path.Combine(bare, "run")], System.IO.Directory.GetFileSystemEntries(bare));

        var stranger = await ProcessRunner.RunAsync(Tools.Dotnet, [WharfServer.WharfDll, .. KeysAuthorized(Wharf.StrangerKey), "--data", bare], Wharf.Root);
        Expect.Succeeded(stranger, Wharf, "keys authorized for an unknown key through serve's socket");
        Expect.StdoutIs("", stranger, Wharf, "no line for a key nobody registered");
    }

    [Fact]
    public async Task WithWharfServeDownBothCommandsDoTheirOwnLookupAsBefore()
    {
        var repository = await Wharf.CreateRepositoryAsync(Wharf.Alice, "fallback-sshd");
        var ssh = string.Join(' ', new[] { Tools.Ssh }.Concat(front.Options(Wharf.Alice.Key)).Select(ProcessRunner.Quote));
        await front.WithoutServeAsync(async () =>
        {
            var greeted = await front.SshAsync(Wharf.Alice.Key);
            Expect.ExitCode(0, greeted, Wharf, Because("ssh -T through sshd with serve down"));
            Expect.That(greeted.Stdout.StartsWith("logged in as alice.\n", StringComparison.Ordinal), "greeted as alice", greeted, Wharf);
            var listed = await Wharf.GitAsync(Wharf.Alice, Wharf.WorkDirectory, ["ls-remote", front.Url(repository)],
                extraEnvironment: new Dictionary<string, string?> { ["GIT_SSH_COMMAND"] = ssh });
            Expect.Succeeded(listed, Wharf, Because("ls-remote through sshd with serve down"));
        });
        // Served by wharf shell itself: serve never heard of the command.
        Assert.DoesNotContain(Wharf.StderrLines(), l => l.Contains($"on {repository}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARefusedCommandReadsTheSameThroughServeAsWithoutIt()
    {
        var repository = await Wharf.CreateRepositoryAsync(Wharf.Bob, "refused-both-ways");
        var through = await front.SshAsync(Wharf.Alice.Key, $"git-upload-pack '{repository}.git'");
        ProcessResult own = null!;
        await front.WithoutServeAsync(async () => own = await front.SshAsync(Wharf.Alice.Key, $"git-upload-pack '{repository}.git'"));

        var refusal = $"wharf: Repository '{repository}' does not exist, or you do not have access to it.\n";
        Expect.ExitCode(1, through, Wharf, Because("refused through serve"));
        Expect.StderrContains(refusal, through, Wharf, "refusal through serve");
        Expect.ExitCode(1, own, Wharf, Because("refused by wharf shell itself"));
        Expect.StderrContains(refusal, own, Wharf, "refusal by wharf shell itself");
        Assert.Equal(own.Stderr, through.Stderr);
        // serve decided the first one only, when it ran: its log has one refusal.
        Assert.Single(Wharf.StderrLines(), l => l.Contains($"Refused SSH command of alice (NotFound): Repository '{repository}'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WharfShellThroughServeJudgesTheKeyWhenItRuns()
    {
        var dave = await Wharf.CreateUserAsync("dave", "ed25519");
        var line = await Wharf.WharfAsync(KeysAuthorized(dave.Key));
        var keyId = System.Text.RegularExpressions.Regex.Match(line.Stdout, @"--key-id (\d+) ").Groups[1].Value;
        Expect.That(keyId.Length > 0, "keys authorized names dave's key", line, Wharf);
        var greeted = await Wharf.WharfAsync(["shell", "--key-id", keyId]);
        Expect.Succeeded(greeted, Wharf, "wharf shell for dave's key");
        Expect.That(greeted.Stdout.StartsWith("logged in as dave.\n", StringComparison.Ordinal), "greeted as dave", greeted, Wharf);

        // Deleted after sshd accepted the key and before the forced command runs.
        await Wharf.WharfOrThrowAsync(["admin", "key", "remove", "dave", "--fingerprint", dave.Key.Fingerprint]);
        var refused = await Wharf.WharfAsync(["shell", "--key-id", keyId]);
        Expect.ExitCode(1, refused, Wharf, "wharf shell for dave's deleted key");
        Expect.StdoutIs("", refused, Wharf, "nothing served to a deleted key");
        Expect.StderrContains("wharf: this key is no longer registered on Wharf.\n", refused, Wharf, "the refusal");
    }

    [Theory]
    [InlineData("Z", "an unknown request type")]
    [InlineData("K-big", "a request of 1048576 bytes (at most 16384)")]
    [InlineData("K-version", "unknown protocol version")]
    [InlineData("K-trailing", "bytes after the last field")]
    [InlineData("S-no-key", "a shell request without a key id or access key id")]
    public async Task AMalformedSocketRequestIsRefusedAndLogged(string request, string reason)
    {
        // A key blob in the bad requests: the log names the reason, never the bytes sent.
        var blob = Wharf.Alice.Key.PublicKeyLine.Split(' ')[1];
        byte[] Field(string text) => [(byte)(text.Length >> 8), (byte)text.Length, .. System.Text.Encoding.ASCII.GetBytes(text)];
        byte[] Frame(char type, byte[] payload) => [(byte)type, 0, (byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length, .. payload];
        byte[] sent = request switch
        {
            "Z" => Frame('Z', [1, .. Field(blob)]),
            "K-big" => [(byte)'K', 0, 0x10, 0, 0],
            "K-version" => Frame('K', [2, .. Field("root"), .. Field("ssh-ed25519"), .. Field(blob)]),
            "K-trailing" => Frame('K', [1, .. Field("root"), .. Field("ssh-ed25519"), .. Field(blob), 0]),
            _ => Frame('S', [1, 0xFF, 0xFF, 0xFF, 0xFF, .. Field("git-upload-pack 'alice/x.git'"), 0xFF, 0xFF, 0xFF, 0xFF]),
        };
        var before = Wharf.StderrLines().Count;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(front.SocketPath));
        await socket.SendAsync(sent);
        var answer = new byte[64];
        using var within = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        // serve answers nothing and closes: an end of stream, or a reset when it left some of the request unread.
        try { Assert.Equal(0, await socket.ReceiveAsync(answer, SocketFlags.None, within.Token)); }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { }

        var expected = $"refused a malformed request on the front-end socket: {reason}";
        for (var i = 0; i < 100 && !Wharf.StderrLines().Skip(before).Any(l => l.Contains(expected, StringComparison.Ordinal)); i++) await Task.Delay(100);
        var logged = Wharf.StderrLines().Skip(before).ToList();
        Assert.Contains(logged, l => l.Contains(expected, StringComparison.Ordinal));
        Assert.DoesNotContain(logged, l => l.Contains(blob, StringComparison.Ordinal));
    }

    private static string Helper => Path.Combine(Path.GetDirectoryName(WharfServer.WharfDll)!, "wharf-ssh-helper.dll");

    [Fact]
    public async Task WharfSshHelperAnswersThroughServeAndRunsWharfWhenServeIsDown()
    {
        var erin = await Wharf.CreateUserAsync("erin", "ed25519");
        // The helper's line names the helper, so sshd runs it as the forced command too.
        var asked = await ProcessRunner.RunAsync(Tools.Dotnet, [Helper, .. KeysAuthorized(erin.Key), "--data", Wharf.DataDirectory], Wharf.Root);
        Expect.Succeeded(asked, Wharf, "wharf-ssh-helper keys authorized through serve");
        var keyId = System.Text.RegularExpressions.Regex.Match(asked.Stdout, @"--key-id (\d+) ").Groups[1].Value;
        var dotnet = Environment.ProcessPath!;
        Expect.StdoutIs($"command=\"{dotnet} {Helper} shell --key-id {keyId} --data {Wharf.DataDirectory}\",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty,no-user-rc,restrict {erin.Key.PublicKeyLine.Split(' ')[0]} {erin.Key.PublicKeyLine.Split(' ')[1]}\n",
            asked, Wharf, "the helper's line");
        var greeted = await ProcessRunner.RunAsync(Tools.Dotnet, [Helper, "shell", "--key-id", keyId, "--data", Wharf.DataDirectory], Wharf.Root);
        Expect.Succeeded(greeted, Wharf, "wharf-ssh-helper shell through serve");
        Expect.That(greeted.Stdout.StartsWith("logged in as erin.\n", StringComparison.Ordinal), "greeted as erin", greeted, Wharf);

        await front.WithoutServeAsync(async () =>
        {
            // wharf next to the helper does the lookup: its line names wharf.
            var own = await ProcessRunner.RunAsync(Tools.Dotnet, [Helper, .. KeysAuthorized(erin.Key), "--data", Wharf.DataDirectory], Wharf.Root);
            Expect.Succeeded(own, Wharf, "wharf-ssh-helper keys authorized with serve down");
            Expect.StdoutIs(asked.Stdout.Replace(Helper, WharfServer.WharfDll, StringComparison.Ordinal), own, Wharf, "wharf's own line");
            var refused = await ProcessRunner.RunAsync(Tools.Dotnet, [Helper, "shell", "--key-id", "999999", "--data", Wharf.DataDirectory], Wharf.Root);
            Expect.ExitCode(1, refused, Wharf, "wharf-ssh-helper shell for no key with serve down");
            Expect.StderrContains("wharf: this key is no longer registered on Wharf.\n", refused, Wharf, "wharf's own refusal");
        });
    }
}
