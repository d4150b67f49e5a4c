using System.Globalization;
using System.Net;
using Wharf.Core.AccessKeys;
using Wharf.Core.Errors;
using Wharf.Core.Keys;
using Wharf.Server.Admin;
using Wharf.Server.Cli;
using Wharf.Server.Hosting;
using Wharf.Server.Ssh;
using Wharf.Ssh.Keys;

namespace Wharf.Server.OpenSsh;

/// <summary>
/// OpenSSH's sshd as Wharf's front door (issue 6): <c>wharf keys authorized</c> is sshd's
/// <c>AuthorizedKeysCommand</c>, answering one indexed lookup per login with an authorized_keys line whose
/// forced command is <c>wharf shell</c>; <c>wharf shell</c> then serves the same commands and greeting as
/// the built-in server, from <c>SSH_ORIGINAL_COMMAND</c>.
/// </summary>
public static class OpenSshCommands
{
    public static readonly CliCommand Authorized = new(
        "keys authorized",
        "For sshd's AuthorizedKeysCommand: prints the authorized_keys line (forced command 'wharf shell') for a registered key, or nothing.",
        [], [new CliOption("--user", "%u", Required: true), new CliOption("--type", "%t", Required: true), new CliOption("--key", "%k", Required: true)],
        (args, console, ct) => AdminCommand.RunAsync(args, console, ct, async services =>
        {
            var answer = await AuthorizeKeyAsync(services, args["--user"]!, args["--type"]!, args["--key"]!, ct);
            // sshd logs a command's stderr; the person sees only "Permission denied".
            if (answer.Refusal is not null) await console.Error.WriteLineAsync(answer.Refusal);
            if (answer.Option is not null)
                await console.Out.WriteLineAsync(SelfInvocation.AuthorizedKeysLine(answer.Option, answer.Id, DataDirectory.Resolve(args, console).DataDirectory, answer.KeyLine!));
            return ExitCodes.Success;
        }));

    /// <summary>
    /// What <c>wharf keys authorized</c> answers for one offered key: the forced command's option (<c>--key-id</c> or
    /// <c>--access-key-id</c>) and id with the key's canonical line, or nothing; and, for a registered key that may not
    /// log in, the reason for sshd's log. The same answer whether the command looks it up itself or asks <c>wharf serve</c>
    /// over the front-end socket (<see cref="FrontEndSocket"/>).
    /// </summary>
    public static async Task<KeyAnswer> AuthorizeKeyAsync(IServiceProvider services, string user, string type, string keyText, CancellationToken ct)
    {
        // Not one of Wharf's login names: not Wharf's business; sshd goes on to its other sources.
        if (!OpenSshSettings.Users(services.GetRequiredService<IConfiguration>()).Contains(user)) return KeyAnswer.None;
        SshPublicKey key;
        try { key = SshPublicKey.ParseOpenSsh($"{type} {keyText}"); }
        catch (SshKeyFormatException) { return KeyAnswer.None; }

        var line = key.ToOpenSshLine(includeComment: false);
        var owner = await services.GetRequiredService<ISshKeyStore>().FindByFingerprintAsync(key.FingerprintSha256, ct);
        var standing = services.GetRequiredService<KeyStanding>();
        if (owner is not null && owner.PublicKey == line)
        {
            if (owner.ExpiresAt is { } e && e <= services.GetRequiredService<TimeProvider>().GetUtcNow())
                return KeyAnswer.Refused($"wharf: SSH key {key.FingerprintSha256} of {Wharf.Core.Errors.Display.Printable(owner.UserName)} expired on {e.UtcDateTime:yyyy-MM-dd}.");
            if (standing.LoginRefusal(owner) is { } notForLogin)
                return KeyAnswer.Refused($"wharf: SSH key {key.FingerprintSha256} of {Wharf.Core.Errors.Display.Printable(owner.UserName)} may not log in: {notForLogin}.");
            if (standing.PolicyRefusal(owner.PublicKey) is { } refused)
                return KeyAnswer.Refused($"wharf: SSH key {key.FingerprintSha256} of {owner.UserName} is no longer allowed by the key policy: {refused}");
            return new KeyAnswer(KeyIdOption, owner.KeyId, line, null);
        }
        if (await services.GetRequiredService<IAccessKeyStore>().FindByFingerprintAsync(key.FingerprintSha256, ct) is { } access
            && access.PublicKey == line)
        {
            if (standing.PolicyRefusal(access.PublicKey) is { } refused)
                return KeyAnswer.Refused($"wharf: access key {key.FingerprintSha256} is no longer allowed by the key policy: {refused}");
            return new KeyAnswer(AccessKeyIdOption, access.Id, line, null);
        }
        return KeyAnswer.None;
    }

    public const string KeyIdOption = FrontEndProtocol.KeyIdOption;
    public const string AccessKeyIdOption = FrontEndProtocol.AccessKeyIdOption;

    /// <summary>One answer of <see cref="AuthorizeKeyAsync"/>: <see cref="Option"/> null means sshd gets no line.</summary>
    public sealed record KeyAnswer(string? Option, long Id, string? KeyLine, string? Refusal)
    {
        public static readonly KeyAnswer None = new(null, 0, null, null);
        public static KeyAnswer Refused(string why) => new(null, 0, null, why);
    }

    /// <summary>
    /// sshd's <c>AuthorizedPrincipalsCommand</c> for user certificates (docs/OPERATIONS.md, "User certificates"): sshd has
    /// verified the certificate against its own <c>TrustedUserCAKeys</c>, validity and <c>RevokedKeys</c>; Wharf checks it
    /// again against <c>Ssh:TrustedUserCAKeys</c> and <c>Ssh:RevokedKeys</c> and prints one principals line, the principal
    /// that names the account with the forced command <c>wharf shell --certificate</c>, or nothing.
    /// </summary>
    public static readonly CliCommand Principals = new(
        "keys principals",
        "For sshd's AuthorizedPrincipalsCommand: prints the principal line (forced command 'wharf shell --certificate') for a user certificate Wharf accepts, or nothing.",
        [], [new CliOption("--user", "%u", Required: true), new CliOption("--certificate", "%k", Required: true)],
        (args, console, ct) => AdminCommand.RunAsync(args, console, ct, async services =>
        {
            if (!OpenSshSettings.Users(services.GetRequiredService<IConfiguration>()).Contains(args["--user"]!)) return ExitCodes.Success;
            var (certificate, account, refusal) = await CertificateAccountAsync(args["--certificate"]!, null, services, ct);
            if (certificate is null || account is null)
            {
                if (refusal is not null) await console.Error.WriteLineAsync($"wharf: {refusal}");
                return ExitCodes.Success;
            }
            var principal = certificate.Principals.First(p => Wharf.Core.Names.Lower(p) == account.LowerName);
            await console.Out.WriteLineAsync(SelfInvocation.AuthorizedKeysLine("--certificate", args["--certificate"]!, DataDirectory.Resolve(args, console).DataDirectory, principal));
            return ExitCodes.Success;
        }));

    /// <summary>Reads a base64 certificate and applies Wharf's checks; the refusal text is for sshd's log or the holder.</summary>
    private static async Task<(SshCertificate? Certificate, Wharf.Core.Users.User? Account, string? Refusal)> CertificateAccountAsync(
        string base64, IPAddress? client, IServiceProvider services, CancellationToken ct)
    {
        SshCertificate certificate;
        try { certificate = SshCertificate.Parse(Convert.FromBase64String(base64)); }
        catch (Exception e) when (e is FormatException or SshKeyFormatException) { return (null, null, "the certificate cannot be read."); }
        if (!certificate.VerifySignature()) return (null, null, "the certificate's CA signature does not verify.");
        var settings = services.GetRequiredService<UserCertificates>();
        var refusal = settings.Check(certificate, client, services.GetRequiredService<TimeProvider>().GetUtcNow(), sourceCheckedElsewhere: client is null);
        Wharf.Core.Users.User? account = null;
        if (refusal is null)
        {
            account = await UserCertificates.AccountAsync(services.GetRequiredService<Wharf.Core.Users.IUserStore>(), certificate, ct);
            refusal = UserCertificates.AccountRefusal(certificate, account);
        }
        return refusal is null
            ? (certificate, account, null)
            : (certificate, null, UserCertificates.RefusalBanner(certificate, refusal.Reason).TrimEnd('\n'));
    }

    public static readonly CliCommand Shell = new(
        "shell",
        "The forced command of 'wharf keys authorized': serves SSH_ORIGINAL_COMMAND (git or hg) for the key sshd verified, or greets.",
        [], [new CliOption("--key-id", "N", Required: false), new CliOption("--access-key-id", "N", Required: false), new CliOption("--certificate", "BASE64", Required: false)],
        (args, console, ct) => AdminCommand.RunAsync(args, console, ct, async services =>
        {
            var open = console.OpenBinary ?? throw new InvalidOperationException("wharf shell needs the process's standard streams.");
            var (input, output, error) = open();
            if (args["--certificate"] is null && ShellKey(args[KeyIdOption], args[AccessKeyIdOption]) is null)
                throw WharfException.InvalidArgument("wharf shell needs --key-id N or --access-key-id N (the forced command 'wharf keys authorized' prints).");
            return await ShellAsync(services, new ShellRequest(args[KeyIdOption], args[AccessKeyIdOption], args["--certificate"],
                console.GetEnvironmentVariable("SSH_ORIGINAL_COMMAND"), console.GetEnvironmentVariable("GIT_PROTOCOL"),
                console.GetEnvironmentVariable("SSH_CONNECTION")), input, output, error, ct);
        }));

    /// <summary>What one <c>wharf shell</c> run serves: its options and the three variables sshd set.</summary>
    public sealed record ShellRequest(string? KeyId, string? AccessKeyId, string? Certificate, string? Command, string? GitProtocol, string? SshConnection);

    /// <summary>The key id or access key id a shell request names, or null when it names neither in digits.</summary>
    public static (bool Access, long Id)? ShellKey(string? keyId, string? accessKeyId) =>
        keyId is not null && long.TryParse(keyId, NumberStyles.None, CultureInfo.InvariantCulture, out var k) ? (false, k)
        : accessKeyId is not null && long.TryParse(accessKeyId, NumberStyles.None, CultureInfo.InvariantCulture, out var a) ? (true, a)
        : null;

    /// <summary>
    /// Serves one <c>wharf shell</c>: looks the key (or certificate) up again, now, and runs the command with the same parser,
    /// access policy, greeting and messages as the built-in server. Run by the command itself, or by <c>wharf serve</c> for it
    /// over the front-end socket (<see cref="FrontEndSocket"/>).
    /// </summary>
    public static async Task<int> ShellAsync(IServiceProvider services, ShellRequest request, Stream input, Stream output, Stream error, CancellationToken ct)
    {
        // SSH_CONNECTION is "CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT", set by sshd.
        var connection = request.SshConnection?.Split(' ');
        var source = connection is [var ip, ..] && IPAddress.TryParse(ip, out _) ? ip : null;
        var (identity, refusal) = request.Certificate is { } certificate
            ? await CertificateIdentityAsync(certificate, source is null ? null : IPAddress.Parse(source), services, ct)
            : await IdentityAsync(ShellKey(request.KeyId, request.AccessKeyId), services, ct);
        if (identity is null)
        {
            await error.WriteAsync(SshErrors.Message(refusal!.TrimEnd('\n')), ct);
            await error.FlushAsync(ct);
            return 1;
        }
        // A certificate's force-command runs instead of what the client asked for, as on the built-in server.
        var command = (identity as WharfPrincipal)?.Certificate?.ForceCommand ?? request.Command;
        // The host and port users reach for the help hint: Ssh:PublicHost/PublicPort, else where sshd was reached.
        var (publicHost, publicPort) = SshSettings.Public(services.GetRequiredService<IConfiguration>());
        var address = new WebAddress
        {
            BaseUrl = services.GetRequiredService<WebAddress>().BaseUrl,
            SshHost = publicHost ?? (connection is [_, _, var serverIp, _] && IPAddress.TryParse(serverIp, out _) ? serverIp : null),
            SshPort = publicPort ?? (connection is [_, _, _, var serverPort] && int.TryParse(serverPort, CultureInfo.InvariantCulture, out var port) ? port : 22),
        };
        var status = await services.GetRequiredService<RepositorySessions>().RunAsync(identity, command,
            request.GitProtocol, source, input, output, error, ct, openSsh: address);
        await output.FlushAsync(ct);
        await error.FlushAsync(ct);
        return status;
    }

    /// <summary>The certificate checked again, now and with the client's address (sshd ran the principals command earlier).</summary>
    private static async Task<KeyVerdict> CertificateIdentityAsync(string base64, IPAddress? client, IServiceProvider services, CancellationToken ct)
    {
        var (certificate, account, refusal) = await CertificateAccountAsync(base64, client, services, ct);
        if (certificate is null || account is null) return KeyVerdict.Refused(refusal ?? "the certificate cannot be used.");
        var login = new CertificateLogin(certificate);
        return new KeyVerdict(new WharfPrincipal(account.Id, account.Name, 0, certificate.Key.FingerprintSha256, login.Label, account.IsAdmin) { Certificate = login }, null);
    }

    private static async Task<KeyVerdict> IdentityAsync((bool Access, long Id)? key, IServiceProvider services, CancellationToken ct)
    {
        var standing = services.GetRequiredService<KeyStanding>();
        if (key is (false, var keyId))
        {
            var keys = services.GetRequiredService<ISshKeyStore>();
            // Looked up again: the key may have been deleted, expired or refused by the key policy since sshd asked.
            var owner = await keys.FindByIdAsync(keyId, ct);
            if (owner is null) return KeyVerdict.Refused(KeyStanding.NotRegistered);
            var verdict = standing.Judge(new WharfPrincipal(owner.UserId, owner.UserName, owner.KeyId,
                SshPublicKey.ParseOpenSsh(owner.PublicKey).FingerprintSha256, owner.Label, owner.IsAdmin), owner);
            if (verdict.Current is not null) await keys.MarkUsedAsync(owner.KeyId, services.GetRequiredService<TimeProvider>().GetUtcNow(), ct);
            return verdict;
        }
        if (key is (true, var accessId))
        {
            var access = await services.GetRequiredService<IAccessKeyStore>().FindByIdAsync(accessId, ct);
            return access is null ? KeyVerdict.Refused(KeyStanding.NotRegistered) : standing.Judge(new AccessKeyPrincipal(access.Id, access.Fingerprint), access);
        }
        return KeyVerdict.Refused(KeyStanding.NotRegistered);
    }
}
