using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Wharf.Core.Access;
using Wharf.Core.AccessKeys;
using Wharf.Core.Git;
using Wharf.Core.Keys;
using Wharf.Core.Notifications;
using Wharf.Core.Repositories;
using Wharf.Server.Hosting;

namespace Wharf.Server.Ssh;

/// <summary>
/// The informational SSH commands (<see cref="AccountCommand"/>) and the greeting: who is logged in with which key,
/// what the key reaches, the account's keys, the host keys and the list of commands, as text or as one JSON object
/// (docs/SSH-COMMANDS.md). Each answer is read from the database when the command runs.
/// </summary>
public static class AccountCommands
{
    public const string ShellDisabled = "You can use git or hg to connect to Wharf. Shell access is disabled.\n";

    /// <summary>The help command as the user types it for this server: <c>ssh git@HOST help</c>, with <c>-p PORT</c> off port 22.</summary>
    public static string HelpCommand(WebAddress address) => SshCommandPrefix(address) + " help";

    /// <summary><c>ssh [-p PORT] git@HOST</c> for the configured public host and port.</summary>
    public static string SshCommandPrefix(WebAddress address)
    {
        var host = PublicHost(address);
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        return address.SshPort == 22 ? $"ssh git@{host}" : $"ssh -p {address.SshPort.ToString(CultureInfo.InvariantCulture)} git@{host}";
    }

    /// <summary><c>Ssh:PublicHost</c>, else the web address's host, else <c>localhost</c>.</summary>
    public static string PublicHost(WebAddress address) =>
        address.SshHost ?? (Uri.TryCreate(address.BaseUrl, UriKind.Absolute, out var web) ? web.Host : "localhost");

    /// <summary>The greeting's tail: what works here, and where the commands are listed.</summary>
    private static string Footer(string helpCommand) => "\n" + ShellDisabled + $"Run '{helpCommand}' for the other commands.\n";

    /// <summary>The time as the texts show it (UTC, to the second).</summary>
    private static string Text(DateTimeOffset t) => KeyMessages.Utc(t);

    /// <summary>The time as the JSON answers give it: ISO 8601 in UTC.</summary>
    private static string Json(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static JsonNode? Json(DateTimeOffset? t) => t is { } v ? JsonValue.Create(Json(v)) : null;

    private static string KeyTypeOf(string publicKeyLine) => publicKeyLine.Split(' ', 2)[0];

    // Compact, one object per answer and a newline (easy for jq and scripts); '+' in fingerprints stays '+'.
    private static readonly JsonSerializerOptions Format = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Render(JsonObject json) => json.ToJsonString(Format) + "\n";

    /// <summary>Runs one command for the identity; returns what goes to stdout. Refusals are thrown as <see cref="Core.Errors.WharfException"/>.</summary>
    public static async Task<string> RunAsync(AccountCommand? command, WharfIdentity identity, IServiceProvider services, PublishedHostKeys? hostKeys,
        TimeProvider time, CancellationToken cancellationToken, WebAddress? address = null)
    {
        address ??= services.GetRequiredService<WebAddress>();
        var help = HelpCommand(address);
        var json = command?.Json == true;
        switch (command?.Name)
        {
            case null:
            case AccountCommandName.Whoami:
                return await WhoamiAsync(identity, services, help, json, cancellationToken);
            case AccountCommandName.Info:
                return await InfoAsync(identity, services, json, cancellationToken);
            case AccountCommandName.Keys:
                return await KeysAsync(identity, services, time.GetUtcNow(), json, cancellationToken);
            case AccountCommandName.HostKeyInfo:
                // Only the built-in SSH server knows its host keys; through wharf shell OpenSSH's sshd presents its own.
                if (hostKeys is null) throw RepositoryCommand.Unknown(command.Word + (json ? " " + AccountCommand.JsonOption : ""), help);
                var host = PublicHost(address);
                return json ? Render(hostKeys.InfoJson(host, address.SshPort)) : hostKeys.Info(host, address.SshPort);
            default:
                return Help(address, hostKeys is not null, json);
        }
    }

    private static async Task<string> WhoamiAsync(WharfIdentity identity, IServiceProvider services, string help, bool json, CancellationToken cancellationToken)
    {
        if (identity is AccessKeyPrincipal accessKey)
        {
            var reach = await services.GetRequiredService<IAccessKeyStore>().ReachAsync(accessKey.AccessKeyId, cancellationToken);
            var stored = await services.GetRequiredService<IAccessKeyStore>().FindByIdAsync(accessKey.AccessKeyId, cancellationToken);
            if (!json) return AccessKeyGreeting(accessKey.KeyFingerprint, reach, help);
            return Render(new JsonObject
            {
                ["account"] = null,
                ["access_key"] = true,
                ["key"] = KeyJson(null, stored?.KeyType ?? "", accessKey.KeyFingerprint, null),
                ["repositories"] = new JsonArray([.. reach.Select(r => (JsonNode)new JsonObject
                {
                    ["name"] = r.Repository,
                    ["access"] = (r.CanWrite ? AccessLevel.Write : AccessLevel.Read).ToApi(),
                })]),
            });
        }
        var user = (WharfPrincipal)identity;
        if (user.Certificate is { } certificate)
        {
            // A certificate login has no stored key: the certificate says who signed it and until when it is valid.
            var certifiedType = certificate.Certificate.CertificateType;
            var until = certificate.ValidBefore == DateTimeOffset.MaxValue ? (DateTimeOffset?)null : certificate.ValidBefore;
            if (!json) return $"logged in as {user.Name} ({certificate.Describe()}).\nKey: {certifiedType} {user.KeyFingerprint}.\n" + Footer(help);
            var key = KeyJson(certificate.Label, certifiedType, user.KeyFingerprint, until);
            key["certificate"] = new JsonObject
            {
                ["key_id"] = certificate.KeyId,
                ["serial"] = certificate.Serial,
                ["ca_fingerprint"] = certificate.AuthorityFingerprint,
            };
            return Render(new JsonObject { ["account"] = user.Name, ["access_key"] = false, ["key"] = key });
        }
        var owner = await services.GetRequiredService<ISshKeyStore>().FindByIdAsync(user.KeyId, cancellationToken);
        var label = owner?.Label ?? user.KeyLabel;
        var type = owner is null ? "" : KeyTypeOf(owner.PublicKey);
        if (!json) return Greeting(user.Name, label, type, user.KeyFingerprint, owner?.ExpiresAt, help);
        return Render(new JsonObject
        {
            ["account"] = user.Name,
            ["access_key"] = false,
            ["key"] = KeyJson(label, type, user.KeyFingerprint, owner?.ExpiresAt),
        });
    }

    private static JsonObject KeyJson(string? label, string type, string fingerprint, DateTimeOffset? expiresAt) => new()
    {
        ["label"] = label,
        ["type"] = type,
        ["fingerprint"] = fingerprint,
        ["expires_at"] = Json(expiresAt),
    };

    /// <summary>What <c>ssh -T</c> and <c>whoami</c> print for an account key. The first line stays <c>logged in as NAME.</c></summary>
    public static string Greeting(string userName, string label, string keyType, string fingerprint, DateTimeOffset? expiresAt, string helpCommand) =>
        $"logged in as {userName}.\n"
        + $"Key '{label}': {keyType} {fingerprint}, " + (expiresAt is { } e ? $"expires {Text(e)}.\n" : "does not expire.\n")
        + Footer(helpCommand);

    /// <summary>What <c>ssh -T</c> and <c>whoami</c> print for an access key: the key, and every repository it reaches.</summary>
    public static string AccessKeyGreeting(string fingerprint, IReadOnlyList<AccessKeyReach> reach, string helpCommand)
    {
        var text = new StringBuilder($"logged in with access key {fingerprint}.\n\n");
        var read = reach.Where(r => !r.CanWrite).Select(r => r.Repository).ToList();
        var write = reach.Where(r => r.CanWrite).Select(r => r.Repository).ToList();
        if (read.Count > 0) text.Append("This key can read ").Append(string.Join(", ", read)).Append(".\n");
        if (write.Count > 0) text.Append("This key can read and write ").Append(string.Join(", ", write)).Append(".\n");
        if (reach.Count == 0) text.Append("This key reaches no repository.\n");
        return text.Append(Footer(helpCommand)).ToString();
    }

    private sealed record Reached(string Name, Scm Scm, AccessLevel Level);

    private static async Task<string> InfoAsync(WharfIdentity identity, IServiceProvider services, bool json, CancellationToken cancellationToken)
    {
        var repositories = services.GetRequiredService<IRepositoryStore>();
        var reached = new List<Reached>();
        string heading;
        if (identity is AccessKeyPrincipal accessKey)
        {
            foreach (var r in await services.GetRequiredService<IAccessKeyStore>().ReachAsync(accessKey.AccessKeyId, cancellationToken))
            {
                var parts = r.Repository.Split('/', 2);
                if (await repositories.FindAsync(parts[0], parts[1], cancellationToken) is not { } found) continue;
                reached.Add(new Reached(found.FullName, found.Scm, r.CanWrite ? AccessLevel.Write : AccessLevel.Read));
            }
            heading = $"Repositories access key {accessKey.KeyFingerprint} may reach:";
        }
        else
        {
            var user = (WharfPrincipal)identity;
            var access = services.GetRequiredService<RepositoryAccess>();
            // Owned, granted and public repositories; the policy gives each its level (an administrator's reach
            // over everyone's repositories is not listed: it would list the whole server).
            foreach (var r in await repositories.ListVisibleAsync(user.UserId, includeAll: false, cancellationToken))
            {
                var level = await access.LevelAsync(identity.Subject, r, cancellationToken);
                if (level >= AccessLevel.Read) reached.Add(new Reached(r.FullName, r.Scm, level));
            }
            heading = $"Repositories {user.Name} may reach:";
        }
        if (json)
        {
            return Render(new JsonObject
            {
                ["account"] = identity is WharfPrincipal p ? p.Name : null,
                ["repositories"] = new JsonArray([.. reached.Select(r => (JsonNode)new JsonObject
                {
                    ["name"] = r.Name,
                    ["scm"] = r.Scm.ToApi(),
                    ["access"] = r.Level.ToApi(),
                })]),
            });
        }
        if (reached.Count == 0) return heading + " none.\n";
        var text = new StringBuilder(heading).Append("\n\n");
        foreach (var r in reached)
            text.Append(r.Level.ToApi().PadRight(6)).Append(r.Scm.ToApi().PadRight(4)).Append(r.Name).Append('\n');
        return text.ToString();
    }

    private sealed record ListedKey(string? Label, string Type, string Fingerprint, DateTimeOffset? LastUsed, DateTimeOffset? ExpiresAt, bool InUse);

    private static async Task<string> KeysAsync(WharfIdentity identity, IServiceProvider services, DateTimeOffset now, bool json, CancellationToken cancellationToken)
    {
        List<ListedKey> keys;
        string heading;
        if (identity is AccessKeyPrincipal accessKey)
        {
            var stored = await services.GetRequiredService<IAccessKeyStore>().FindByIdAsync(accessKey.AccessKeyId, cancellationToken);
            // The key in use is being used now, whatever the last flushed time says.
            keys = [new ListedKey(null, stored?.KeyType ?? "", accessKey.KeyFingerprint, now, null, InUse: true)];
            heading = "This is a repository access key: it belongs to no account.";
        }
        else
        {
            var user = (WharfPrincipal)identity;
            keys = [.. (await services.GetRequiredService<ISshKeyStore>().ListAsync(user.UserId, cancellationToken)).Select(k =>
                new ListedKey(k.Label, k.KeyType, k.Fingerprint, k.Id == user.KeyId ? now : k.LastUsedAt, k.ExpiresAt, k.Id == user.KeyId))];
            heading = $"Keys of {user.Name} (* marks the key in use):";
        }
        if (json)
        {
            return Render(new JsonObject
            {
                ["account"] = identity is WharfPrincipal p ? p.Name : null,
                ["keys"] = new JsonArray([.. keys.Select(k => (JsonNode)new JsonObject
                {
                    ["label"] = k.Label,
                    ["type"] = k.Type,
                    ["fingerprint"] = k.Fingerprint,
                    ["last_used"] = Json(k.LastUsed),
                    ["expires_at"] = Json(k.ExpiresAt),
                    ["in_use"] = k.InUse,
                })]),
            });
        }
        var labelWidth = keys.Max(k => (k.Label ?? "-").Length);
        var typeWidth = keys.Max(k => k.Type.Length);
        var text = new StringBuilder(heading).Append("\n\n");
        foreach (var k in keys)
        {
            text.Append(k.InUse ? "* " : "  ").Append((k.Label ?? "-").PadRight(labelWidth)).Append("  ")
                .Append(k.Type.PadRight(typeWidth)).Append("  ").Append(k.Fingerprint).Append("  ")
                .Append(k.LastUsed is { } used ? "last used " + Text(used) : "never used").Append('\n');
        }
        return text.ToString();
    }

    /// <summary>What <c>help</c> prints: how to call, then each command (host_key_info only where the built-in server runs).</summary>
    public static string Help(WebAddress address, bool withHostKeys, bool json)
    {
        var commands = AccountCommand.All.Where(c => withHostKeys || c.Name != AccountCommandName.HostKeyInfo).ToList();
        var usage = SshCommandPrefix(address) + " [COMMAND] [--json]";
        if (json)
        {
            return Render(new JsonObject
            {
                ["usage"] = usage,
                ["commands"] = new JsonArray([.. commands.Select(c => (JsonNode)new JsonObject { ["name"] = c.Word, ["summary"] = c.Summary })]),
            });
        }
        var width = commands.Max(c => c.Word.Length);
        var text = new StringBuilder("Usage: ").Append(usage).Append("\n\nWith no command, ssh -T says who you are. Commands:\n\n");
        foreach (var (word, _, summary) in commands) text.Append("  ").Append(word.PadRight(width)).Append("  ").Append(summary).Append('\n');
        return text.Append("\n--json prints one JSON object instead of text. git and hg clients run their own commands as usual.\n").ToString();
    }
}
