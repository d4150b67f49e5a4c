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
    // Everything sshd could grant beyond running the forced command is refused; "restrict" covers the lot on
    // OpenSSH 7.2+, the explicit options say the same to older servers and to people reading the line.
    private const string Restrictions = "no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty,no-user-rc,restrict";

    public static readonly CliCommand Authorized = new(
        "keys authorized",
        "For sshd's AuthorizedKeysCommand: prints the authorized_keys line (forced command 'wharf shell') for a registered key, or nothing.",
        [], [new CliOption("--user", "%u", Required: true), new CliOption("--type", "%t", Required: true), new CliOption("--key", "%k", Required: true)],
        (args, console, ct) => AdminCommand.RunAsync(args, console, ct, async services =>
        {
            // Not one of Wharf's login names: not Wharf's business; sshd goes on to its other sources.
            if (!OpenSshSettings.Users(services.GetRequiredService<IConfiguration>()).Contains(args["--user"]!)) return ExitCodes.Success;
            SshPublicKey key;
            try { key = SshPublicKey.ParseOpenSsh($"{args["--type"]} {args["--key"]}"); }
            catch (SshKeyFormatException) { return ExitCodes.Success; }

            var line = key.ToOpenSshLine(includeComment: false);
            var data = DataDirectory.Resolve(args, console).DataDirectory;
            var owner = await services.GetRequiredService<ISshKeyStore>().FindByFingerprintAsync(key.FingerprintSha256, ct);
            string forced;
            var standing = services.GetRequiredService<KeyStanding>();
            if (owner is not null && owner.PublicKey == line)
            {
                if (owner.ExpiresAt is { } e && e <= services.GetRequiredService<TimeProvider>().GetUtcNow())
                {
                    // sshd logs a command's stderr; the person sees only "Permission denied".
                    await console.Error.WriteLineAsync($"wharf: SSH key {key.FingerprintSha256} of {Wharf.Core.Errors.Display.Printable(owner.UserName)} expired on {e.UtcDateTime:yyyy-MM-dd}.");
                    return ExitCodes.Success;
                }
                if (standing.LoginRefusal(owner) is { } notForLogin)
                {
                    await console.Error.WriteLineAsync($"wharf: SSH key {key.FingerprintSha256} of {Wharf.Core.Errors.Display.Printable(owner.UserName)} may not log in: {notForLogin}.");
                    return ExitCodes.Success;
                }
                if (standing.PolicyRefusal(owner.PublicKey) is { } refused)
                {
                    await console.Error.WriteLineAsync($"wharf: SSH key {key.FingerprintSha256} of {owner.UserName} is no longer allowed by the key policy: {refused}");
                    return ExitCodes.Success;
                }
                forced = ForcedCommand("--key-id", owner.KeyId, data);
            }
            else if (await services.GetRequiredService<IAccessKeyStore>().FindByFingerprintAsync(key.FingerprintSha256, ct) is { } access
                     && access.PublicKey == line)
            {
                if (standing.PolicyRefusal(access.PublicKey) is { } refused)
                {
                    await console.Error.WriteLineAsync($"wharf: access key {key.FingerprintSha256} is no longer allowed by the key policy: {refused}");
                    return ExitCodes.Success;
                }
                forced = ForcedCommand("--access-key-id", access.Id, data);
            }
            else
            {
                return ExitCodes.Success;
            }
            await console.Out.WriteLineAsync($"command=\"{forced.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\",{Restrictions} {line}");
            return ExitCodes.Success;
        }));

    private static string ForcedCommand(string option, long id, string dataDirectory) => ForcedCommand(option, id.ToString(CultureInfo.InvariantCulture), dataDirectory);

    private static string ForcedCommand(string option, string value, string dataDirectory) => string.Join(' ',
        SelfInvocation.Words().Concat(["shell", option, value, "--data", dataDirectory]).Select(SelfInvocation.ShellQuote));

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
            var forced = ForcedCommand("--certificate", args["--certificate"]!, DataDirectory.Resolve(args, console).DataDirectory);
            await console.Out.WriteLineAsync($"command=\"{forced.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\",{Restrictions} {principal}");
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
            // SSH_CONNECTION is "CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT", set by sshd.
            var connection = console.GetEnvironmentVariable("SSH_CONNECTION")?.Split(' ');
            var source = connection is [var ip, ..] && IPAddress.TryParse(ip, out _) ? ip : null;
            var (identity, refusal) = args["--certificate"] is { } certificate
                ? await CertificateIdentityAsync(certificate, source is null ? null : IPAddress.Parse(source), services, ct)
                : await IdentityAsync(args, services, ct);
            if (identity is null)
            {
                await error.WriteAsync(SshErrors.Message(refusal!.TrimEnd('\n')), ct);
                return 1;
            }
            // A certificate's force-command runs instead of what the client asked for, as on the built-in server.
            var command = (identity as WharfPrincipal)?.Certificate?.ForceCommand ?? console.GetEnvironmentVariable("SSH_ORIGINAL_COMMAND");
            // The host and port users reach for the help hint: Ssh:PublicHost/PublicPort, else where sshd was reached.
            var address = services.GetRequiredService<WebAddress>();
            var (publicHost, publicPort) = SshSettings.Public(services.GetRequiredService<IConfiguration>());
            address.SshHost = publicHost ?? (connection is [_, _, var serverIp, _] && IPAddress.TryParse(serverIp, out _) ? serverIp : null);
            address.SshPort = publicPort ?? (connection is [_, _, _, var serverPort] && int.TryParse(serverPort, CultureInfo.InvariantCulture, out var port) ? port : 22);
            var status = await services.GetRequiredService<RepositorySessions>().RunAsync(identity, command,
                console.GetEnvironmentVariable("GIT_PROTOCOL"), source, input, output, error, ct);
            await output.FlushAsync(ct);
            await error.FlushAsync(ct);
            return status;
        }));

    /// <summary>The certificate checked again, now and with the client's address (sshd ran the principals command earlier).</summary>
    private static async Task<KeyVerdict> CertificateIdentityAsync(string base64, IPAddress? client, IServiceProvider services, CancellationToken ct)
    {
        var (certificate, account, refusal) = await CertificateAccountAsync(base64, client, services, ct);
        if (certificate is null || account is null) return KeyVerdict.Refused(refusal ?? "the certificate cannot be used.");
        var login = new CertificateLogin(certificate);
        return new KeyVerdict(new WharfPrincipal(account.Id, account.Name, 0, certificate.Key.FingerprintSha256, login.Label, account.IsAdmin) { Certificate = login }, null);
    }

    private static async Task<KeyVerdict> IdentityAsync(CliArguments args, IServiceProvider services, CancellationToken ct)
    {
        var standing = services.GetRequiredService<KeyStanding>();
        if (args["--key-id"] is { } keyText && long.TryParse(keyText, CultureInfo.InvariantCulture, out var keyId))
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
        if (args["--access-key-id"] is { } accessText && long.TryParse(accessText, CultureInfo.InvariantCulture, out var accessId))
        {
            var key = await services.GetRequiredService<IAccessKeyStore>().FindByIdAsync(accessId, ct);
            return key is null ? KeyVerdict.Refused(KeyStanding.NotRegistered) : standing.Judge(new AccessKeyPrincipal(key.Id, key.Fingerprint), key);
        }
        throw WharfException.InvalidArgument("wharf shell needs --key-id N or --access-key-id N (the forced command 'wharf keys authorized' prints).");
    }
}
