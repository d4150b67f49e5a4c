using Wharf.Core.Errors;
using Wharf.Core.Keys;
using Wharf.Server.Cli;

namespace Wharf.Server.Admin;

public static class KeyCommands
{
    // Far above any OpenSSH public key line (a 16384-bit RSA key is about 2.8 KB); stops `cat bigfile |`.
    private const int MaxInputChars = 16 * 1024;

    public static readonly CliCommand Add = new(
        "admin key add", "Adds the SSH public key on standard input (one OpenSSH line) to USER; prints its SHA256 fingerprint.",
        ["USER"], [new CliOption("--label", "LABEL", Required: false)],
        (args, console, ct) => AdminCommand.RunAsync(args, console, ct, async services =>
        {
            var line = await ReadOneLineAsync(console.In, ct);
            var key = await services.GetRequiredService<SshKeyService>().AddAsync(args.Positionals[0], line, args["--label"], ct);
            // Only the fingerprint on stdout, so scripts can capture it.
            await console.Out.WriteLineAsync(key.Fingerprint);
            return ExitCodes.Success;
        }));

    private static async Task<string> ReadOneLineAsync(TextReader input, CancellationToken cancellationToken)
    {
        var buffer = new char[MaxInputChars + 1];
        var length = 0;
        int n;
        while (length < buffer.Length && (n = await input.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0) length += n;
        if (length > MaxInputChars)
            throw WharfException.InvalidArgument($"Standard input is longer than {MaxInputChars} characters; expected one public key line.");

        var lines = new string(buffer, 0, length).Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToList();
        return lines.Count switch
        {
            0 => throw WharfException.InvalidArgument("No public key on standard input: pipe in one line such as 'ssh-ed25519 AAAA... you@host', e.g. < ~/.ssh/id_ed25519.pub"),
            1 => lines[0],
            _ => throw WharfException.InvalidArgument($"Expected one public key line on standard input, got {lines.Count}; add keys one at a time."),
        };
    }
}
