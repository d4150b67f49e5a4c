using System.Globalization;
using Wharf.Core.Audit;
using Wharf.Core.Errors;
using Wharf.Core.Keys;
using Wharf.Core.Users;
using Wharf.Server.Cli;
using Wharf.Ssh.Keys;

namespace Wharf.Server.Admin;

/// <summary><c>wharf admin key add|list|remove|label</c>: the same service, reader and errors as the API.</summary>
public static class KeyCommands
{
    private static readonly CliOption Label = new("--label", "LABEL", Required: false);

    public static readonly CliCommand Add = new(
        "admin key add",
        "Adds the SSH public key on standard input (OpenSSH line, RFC 4716 or PEM) to USER; prints its SHA256 fingerprint. " +
        "--expires 2027-01-31: the key stops working at the start of that day (UTC). " +
        "--usage authentication (the default), signing or authentication_and_signing: what the key may do.",
        ["USER"], [Label, new CliOption("--expires", "DATE", Required: false), new CliOption("--usage", "USAGE", Required: false)],
        (args, console, ct) => AdminCommand.RunAsync(args, console, ct, async services =>
        {
            var expiresAt = KeyExpiry.Parse(args["--expires"], "--expires");
            var usage = args["--usage"] is { } u ? KeyUsages.Parse(u) : KeyUsage.Authentication;
            var text = await ReadInputAsync(console.In, ct);
            if (string.IsNullOrWhiteSpace(text))
                throw WharfException.InvalidArgument(
                    "No public key on standard input: pipe in one line such as 'ssh-ed25519 AAAA... you@host', e.g. < ~/.ssh/id_ed25519.pub",
                    KeyErrors.Empty);
            var added = await services.GetRequiredService<SshKeyService>()
                .AddAsync(await services.GetRequiredService<UserService>().GetAsync(args.Positionals[0], ct), text, args["--label"], expiresAt, Actor.Cli, ct, usage);
            if (added.Parsed.OptionsDropped)
                await console.Error.WriteLineAsync("wharf: note: the authorized_keys options in front of the key were dropped; Wharf does not apply them.");
            // Only the fingerprint on stdout, so scripts can capture it.
            await console.Out.WriteLineAsync(added.Key.Fingerprint);
            return ExitCodes.Success;
        }));

    public static readonly CliCommand List = new(
        "admin key list",
        "Lists USER's keys, one per line, tab-separated: label, type, bits, SHA256 fingerprint, added, last used (or never), expires (or never).",
        ["USER"], [],
        (args, console, ct) => AdminCommand.RunAsync(args, console, ct, async services =>
        {
            var user = await services.GetRequiredService<UserService>().GetAsync(args.Positionals[0], ct);
            foreach (var k in await services.GetRequiredService<SshKeyService>().ListAsync(user, ct))
                await console.Out.WriteLineAsync(string.Join('\t',
                    Display.Printable(k.Label), k.KeyType, k.Bits.ToString(CultureInfo.InvariantCulture), k.Fingerprint,
                    Time(k.CreatedAt), k.LastUsedAt is { } used ? Time(used) : "never", k.ExpiresAt is { } expires ? Time(expires) : "never"));
            return ExitCodes.Success;
        }));

    public static readonly CliCommand Remove = new(
        "admin key remove", "Removes one of USER's keys, named by --label or --fingerprint.",
        ["USER"], [Label, new CliOption("--fingerprint", "FP", Required: false)],
        (args, console, ct) =>
        {
            var command = WharfCommandsLookup.Remove;
            if (args.Has("--label") == args.Has("--fingerprint"))
                throw CliParser.Usage(command, "name the key with exactly one of --label or --fingerprint.");
            return AdminCommand.RunAsync(args, console, ct, async services =>
            {
                var user = await services.GetRequiredService<UserService>().GetAsync(args.Positionals[0], ct);
                var keys = services.GetRequiredService<SshKeyService>();
                var key = await keys.FindAsync(user, args["--label"], args["--fingerprint"], ct);
                await keys.RemoveAsync(user, key, Actor.Cli, ct);
                await console.Out.WriteLineAsync($"Removed key {Display.Quote(key.Label, KeyPolicy.MaxLabelLength)} ({key.Fingerprint}) from {Display.Printable(user.Name)}.");
                return ExitCodes.Success;
            });
        });

    public static readonly CliCommand Relabel = new(
        "admin key label", "Changes the label of USER's key labelled OLD to NEW (the key itself never changes).",
        ["USER"], [new CliOption("--label", "OLD", Required: true), new CliOption("--to", "NEW", Required: true)],
        (args, console, ct) => AdminCommand.RunAsync(args, console, ct, async services =>
        {
            var user = await services.GetRequiredService<UserService>().GetAsync(args.Positionals[0], ct);
            var keys = services.GetRequiredService<SshKeyService>();
            var key = await keys.FindAsync(user, args["--label"], fingerprint: null, ct);
            key = await keys.RelabelAsync(user, key, args["--to"], Actor.Cli, ct);
            await console.Out.WriteLineAsync($"Key {key.Fingerprint} is now labelled {Display.Quote(key.Label, KeyPolicy.MaxLabelLength)}.");
            return ExitCodes.Success;
        }));

    public static readonly CliCommand Usage = new(
        "admin key usage", "Changes what USER's key labelled LABEL may do: authentication, signing or authentication_and_signing.",
        ["USER"], [new CliOption("--label", "LABEL", Required: true), new CliOption("--to", "USAGE", Required: true)],
        (args, console, ct) => AdminCommand.RunAsync(args, console, ct, async services =>
        {
            var usage = KeyUsages.Parse(args["--to"]);
            var user = await services.GetRequiredService<UserService>().GetAsync(args.Positionals[0], ct);
            var keys = services.GetRequiredService<SshKeyService>();
            var key = await keys.FindAsync(user, args["--label"], fingerprint: null, ct);
            key = await keys.ChangeUsageAsync(user, key, usage, Actor.Cli, ct);
            await console.Out.WriteLineAsync($"Key {key.Fingerprint} is now for {key.Usage.ToApi()}.");
            return ExitCodes.Success;
        }));

    public static readonly CliCommand Compromised = new(
        "admin key compromised",
        "Reports USER's key labelled LABEL compromised since DATE (default now): it no longer logs in or signs, and signatures recorded since then read as revoked.",
        ["USER"], [new CliOption("--label", "LABEL", Required: true), new CliOption("--since", "DATE", Required: false)],
        (args, console, ct) => AdminCommand.RunAsync(args, console, ct, async services =>
        {
            var since = KeyExpiry.Parse(args["--since"], "--since");
            var user = await services.GetRequiredService<UserService>().GetAsync(args.Positionals[0], ct);
            var keys = services.GetRequiredService<SshKeyService>();
            var key = await keys.FindAsync(user, args["--label"], fingerprint: null, ct);
            key = await keys.ReportCompromisedAsync(user, key, since, Actor.Cli, ct);
            await console.Out.WriteLineAsync($"Key {key.Fingerprint} is reported compromised since {Time(key.CompromisedSince!.Value)}.");
            return ExitCodes.Success;
        }));

    /// <summary>Reads at most one character more than a key may have, so that an over-long input gets the reader's own message.</summary>
    internal static async Task<string> ReadInputAsync(TextReader input, CancellationToken cancellationToken)
    {
        var buffer = new char[PublicKeyText.MaxLength + 1];
        var length = 0;
        int n;
        while (length < buffer.Length && (n = await input.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0) length += n;
        return new string(buffer, 0, length);
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Lets a command's body name its own command for a usage error (the field initialiser cannot refer to itself).</summary>
    private static class WharfCommandsLookup
    {
        public static CliCommand Remove => KeyCommands.Remove;
    }
}
