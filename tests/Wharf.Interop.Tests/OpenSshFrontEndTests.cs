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
}
