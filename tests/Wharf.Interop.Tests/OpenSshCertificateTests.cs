using Wharf.Interop.Tests.Infrastructure;
using Wharf.Ssh.Keys;

namespace Wharf.Interop.Tests;

/// <summary>
/// Debian's sshd in front of Wharf with user certificates: sshd's <c>TrustedUserCAKeys</c> and
/// <c>AuthorizedPrincipalsCommand wharf keys principals</c>, with the same CA in Wharf's <c>Ssh:TrustedUserCAKeys</c>.
/// </summary>
public sealed class OpenSshCertificateFrontEnd : OpenSshFrontEnd
{
    public string CaPath => Path.Combine(Wharf.Root, "user_ca");

    protected override string MoreWharfSettings => $", \"Ssh\": {{\"TrustedUserCAKeys\": [\"{CaPath}.pub\"]}}";

    protected override string MoreSshdSettings(string dotnet) => $"""
        TrustedUserCAKeys {CaPath}.pub
        AuthorizedPrincipalsCommand {dotnet} {WharfServer.WharfDll} keys principals --user %u --certificate %k --data {Wharf.DataDirectory}
        AuthorizedPrincipalsCommandUser {LoginUser}
        """;

    public override async Task InitializeAsync()
    {
        Directory.CreateDirectory(Wharf.Root);
        await CertificateServer.RunOrThrowAsync(["-q", "-t", "ed25519", "-N", "", "-C", "user CA", "-f", CaPath]);
        await base.InitializeAsync();
    }

    public async Task<(SshKey Key, SshCertificate Certificate)> CertifiedKeyAsync(string name, string keyId, string principals)
    {
        var key = await SshKey.GenerateAsync(Wharf.KeysDirectory, name, "ed25519");
        await CertificateServer.RunOrThrowAsync(["-q", "-s", CaPath, "-I", keyId, "-n", principals, key.PrivateKeyPath + ".pub"]);
        return (key, SshCertificate.ParseOpenSsh(await File.ReadAllTextAsync(key.PrivateKeyPath + "-cert.pub")));
    }
}

public sealed class OpenSshCertificateTests(OpenSshCertificateFrontEnd front) : IClassFixture<OpenSshCertificateFrontEnd>
{
    private WharfServer Wharf => front.Wharf;

    [Fact]
    public async Task ACertificateLogsInThroughSshdAsTheAccountItsPrincipalNames()
    {
        await Wharf.CreateUserAsync("olga");
        var (key, certificate) = await front.CertifiedKeyAsync("olga_cert", "olga-laptop", "ops,olga");
        var run = await front.SshAsync(key);
        Expect.Succeeded(run, Wharf, "ssh -T through sshd with olga's certificate\n" + string.Join('\n', front.Log.TakeLast(20)));
        Expect.StdoutIs(
            $"logged in as olga (certificate 'olga-laptop' from CA {certificate.SignatureKey.FingerprintSha256}, valid until forever).\n" +
            $"Key: ssh-ed25519-cert-v01@openssh.com {key.Fingerprint}.\n\n" +
            "You can use git or hg to connect to Wharf. Shell access is disabled.\n" +
            $"Run 'ssh -p {front.Port} git@127.0.0.1 help' for the other commands.\n", run, Wharf, "the greeting names the certificate, as on the built-in server");
    }

    [Fact]
    public async Task ACertificateForNoAccountIsRefusedBySshdAndTheReasonIsLogged()
    {
        var (key, _) = await front.CertifiedKeyAsync("ghost_cert", "ghost-id", "ghost");
        var run = await front.SshAsync(key);
        Expect.ExitCode(255, run, Wharf, "ssh through sshd with a certificate for no account");
        Expect.StderrContains("Permission denied (publickey)", run, Wharf, "sshd refuses the certificate");

        var principals = await ProcessRunner.RunAsync(Tools.Dotnet,
            [WharfServer.WharfDll, "keys", "principals", "--user", front.LoginUser, "--certificate", Convert.ToBase64String(
                SshCertificate.ParseOpenSsh(await File.ReadAllTextAsync(key.PrivateKeyPath + "-cert.pub")).Blob), "--data", Wharf.DataDirectory], Wharf.Root);
        Expect.ExitCode(0, principals, Wharf, "wharf keys principals for a certificate of no account");
        Expect.StdoutIs("", principals, Wharf, "no principals line");
        Expect.StderrContains("none of its principals (ghost) is a Wharf account.", principals, Wharf, "sshd's log says why");
    }
}
