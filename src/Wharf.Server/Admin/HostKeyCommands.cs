using System.Globalization;
using Wharf.Core.Errors;
using Wharf.Server.Cli;
using Wharf.Server.Hosting;
using Wharf.Server.Ssh;

namespace Wharf.Server.Admin;

/// <summary>
/// <c>wharf admin host-key</c>: rotating the SSH host keys without a warning for anyone (docs/OPERATIONS.md, "Rotating the
/// SSH host keys"). The keys and their states are files in the data directory (<see cref="HostKeyRing"/>); a running
/// <c>wharf serve</c> reads them when it starts.
/// </summary>
public static class HostKeyCommands
{
    private const string RestartHint = "Restart wharf serve (every node) for the change to take effect.";

    private static string Describe(HostKeyEntry e) =>
        $"{e.Key.PublicKey.Bits.ToString(CultureInfo.InvariantCulture)} {e.Key.PublicKey.FingerprintSha256} ({e.Key.PublicKey.Family})";

    public static readonly CliCommand Add = new(
        "admin host-key add",
        $"Makes a new SSH host key of TYPE ({string.Join(", ", HostKeyRing.Types)}), announced to clients but not yet used to sign; prints its fingerprint.",
        ["TYPE"], [],
        async (args, console, ct) =>
        {
            var paths = DataDirectory.Resolve(args, console);
            var entry = await HostKeyRing.ChangeAsync(paths, ring => ring.Add(args.Positionals[0]), ct);
            await console.Out.WriteLineAsync($"Added host key {Describe(entry)}, announced. {RestartHint}");
            await console.Out.WriteLineAsync($"Once clients have learned it: wharf admin host-key promote {entry.Key.PublicKey.FingerprintSha256}");
            return ExitCodes.Success;
        });

    public static readonly CliCommand Promote = new(
        "admin host-key promote",
        "Makes the host key FINGERPRINT the one that signs for its type; the key it replaces stays announced, or is retired with --retire-old.",
        ["FINGERPRINT"], [CliOption.Flag("--retire-old")],
        async (args, console, ct) =>
        {
            var paths = DataDirectory.Resolve(args, console);
            var retireOld = args.Has("--retire-old");
            var (entry, old) = await HostKeyRing.ChangeAsync(paths, ring =>
            {
                var replaced = ring.Promote(args.Positionals[0], retireOld);
                return (ring.Entries.Single(e => e.Key.PublicKey.FingerprintSha256 == Normalise(args.Positionals[0])), replaced);
            }, ct);
            await console.Out.WriteLineAsync($"Host key {Describe(entry)} is active.");
            if (old is not null)
                await console.Out.WriteLineAsync(retireOld ? $"Retired {Describe(old)}." : $"{Describe(old)} is announced; retire it once nobody needs it.");
            await console.Out.WriteLineAsync(RestartHint);
            return ExitCodes.Success;
        });

    public static readonly CliCommand Retire = new(
        "admin host-key retire",
        "Removes the host key FINGERPRINT and deletes its private key; clients that update their known_hosts drop it.",
        ["FINGERPRINT"], [],
        async (args, console, ct) =>
        {
            var paths = DataDirectory.Resolve(args, console);
            var entry = await HostKeyRing.ChangeAsync(paths, ring => ring.Retire(args.Positionals[0]), ct);
            await console.Out.WriteLineAsync($"Retired host key {Describe(entry)}. {RestartHint}");
            return ExitCodes.Success;
        });

    public static readonly CliCommand List = new(
        "admin host-key list",
        "Lists the SSH host keys, one per line, tab-separated: state (active or announced), type, bits, SHA256 fingerprint, file.",
        [], [],
        async (args, console, ct) =>
        {
            var ring = HostKeyRing.Load(DataDirectory.Resolve(args, console));
            foreach (var e in ring.Entries)
            {
                await console.Out.WriteLineAsync(string.Join('\t', e.StateName, e.Key.PublicKey.KeyType,
                    e.Key.PublicKey.Bits.ToString(CultureInfo.InvariantCulture), e.Key.PublicKey.FingerprintSha256, e.File));
            }
            return ExitCodes.Success;
        });

    public static readonly CliCommand Sshfp = new(
        "admin host-key sshfp",
        "Prints DNS SSHFP records (RFC 4255, SHA-256 fingerprints) for every host key, active and announced, for the host NAME.",
        [], [new CliOption("--host", "NAME", Required: true)],
        async (args, console, ct) =>
        {
            var host = args["--host"]!;
            if (host.Length > 253 || Uri.CheckHostName(host.TrimEnd('.')) != UriHostNameType.Dns)
                throw WharfException.InvalidArgument($"Invalid host name {Display.Quote(host)}: SSHFP records belong to a DNS name such as git.example.org.");
            var ring = HostKeyRing.Load(DataDirectory.Resolve(args, console));
            foreach (var line in ring.Sshfp(host)) await console.Out.WriteLineAsync(line);
            return ExitCodes.Success;
        });

    private static string Normalise(string fingerprint) =>
        fingerprint.StartsWith("SHA256:", StringComparison.Ordinal) ? fingerprint : "SHA256:" + fingerprint;
}
