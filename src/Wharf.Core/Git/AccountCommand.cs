namespace Wharf.Core.Git;

/// <summary>The commands over SSH that tell people about themselves and the server, rather than run git or hg.</summary>
public enum AccountCommandName
{
    /// <summary><c>help</c>: the list of commands.</summary>
    Help,
    /// <summary><c>whoami</c>: the account, key, fingerprint and expiry (what the greeting says).</summary>
    Whoami,
    /// <summary><c>info</c>: the repositories the key may read and write.</summary>
    Info,
    /// <summary><c>keys</c>: the account's keys, the one in use marked.</summary>
    Keys,
    /// <summary><c>host_key_info</c>: the server's host keys and known_hosts lines.</summary>
    HostKeyInfo,
}

/// <summary>
/// One of the informational SSH commands, parsed as strictly as <see cref="RepositoryCommand"/>: the exact word,
/// optionally followed by exactly <c>--json</c>, separated by one space. Nothing else matches (no other option,
/// no other case, no trailing space), and a line that does not match falls through to
/// <see cref="RepositoryCommand.Parse(string?, string)"/>, which refuses what it does not know.
/// </summary>
public sealed record AccountCommand(AccountCommandName Name, bool Json)
{
    /// <summary>The only option, accepted by every command: machine-readable output (one JSON object and a newline).</summary>
    public const string JsonOption = "--json";

    /// <summary>Each command's word and what <c>help</c> says of it, in the order <c>help</c> lists them.</summary>
    public static IReadOnlyList<(string Word, AccountCommandName Name, string Summary)> All { get; } =
    [
        ("whoami", AccountCommandName.Whoami, "the account and key you are logged in with, and when the key expires"),
        ("info", AccountCommandName.Info, "the repositories this key may read and write"),
        ("keys", AccountCommandName.Keys, "your account's SSH keys; * marks the key in use"),
        ("host_key_info", AccountCommandName.HostKeyInfo, "this server's host keys, as fingerprints and known_hosts lines"),
        ("help", AccountCommandName.Help, "this list"),
    ];

    public string Word => All.First(c => c.Name == Name).Word;

    /// <summary>The command, or null when the line is not exactly one of them.</summary>
    public static AccountCommand? TryParse(string? commandLine)
    {
        if (commandLine is null || commandLine.Length > 64) return null;
        // Split on single spaces, keeping empty words, so "whoami " or "whoami  --json" match nothing.
        var words = commandLine.Split(' ');
        if (words is not ([_] or [_, JsonOption])) return null;
        foreach (var (word, name, _) in All)
            if (string.Equals(words[0], word, StringComparison.Ordinal))
                return new AccountCommand(name, words.Length == 2);
        return null;
    }
}
