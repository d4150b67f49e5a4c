using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Wharf.Core;
using Wharf.Core.Errors;
using Wharf.Ssh.Keys;

namespace Wharf.Server.Ssh;

/// <summary>Where a host key is in its life: signing key exchanges, announced for a coming rotation, or (not listed) retired.</summary>
public enum HostKeyState
{
    /// <summary>Signs key exchanges (one per key type), and is announced.</summary>
    Active,
    /// <summary>Announced to clients after login (hostkeys-00@openssh.com) and published, but never used to sign.</summary>
    Announced,
}

/// <summary>One host key of the ring: its private key file in the data directory, its state, and the key.</summary>
public sealed record HostKeyEntry(string File, HostKeyState State, SshHostKey Key)
{
    public string StateName => State == HostKeyState.Active ? "active" : "announced";
}

/// <summary>
/// The server's SSH host keys and their states, kept as files in the data directory so that every node sharing it
/// reads the same ring at start: the private keys (OpenSSH format, mode 0600) and <c>ssh_host_keys.json</c>, which
/// lists each key file with its state. Without that file the ring is the two keys Wharf has always made,
/// <c>ssh_host_ed25519_key</c> and <c>ssh_host_rsa_key</c>, both active. Changes (<c>wharf admin host-key</c>) are
/// made under a lock file and written by rename, so a node starting meanwhile reads the old or the new ring, never half
/// of one; nodes pick a change up when they restart (docs/OPERATIONS.md, "Rotating the SSH host keys").
/// </summary>
public sealed class HostKeyRing
{
    public const string StateFileName = "ssh_host_keys.json";
    private const string LockFileName = "ssh_host_keys.lock";

    private readonly WharfPaths _paths;
    private readonly List<HostKeyEntry> _entries;

    private HostKeyRing(WharfPaths paths, List<HostKeyEntry> entries)
    {
        _paths = paths;
        _entries = entries;
    }

    /// <summary>Every key, active ones first (Ed25519 before RSA, the order they are offered in), then announced ones.</summary>
    public IReadOnlyList<HostKeyEntry> Entries =>
        [.. _entries.OrderBy(e => e.State).ThenBy(e => e.Key.PublicKey.KeyType == SshKeyTypes.Ed25519 ? 0 : 1)];

    public IReadOnlyList<SshHostKey> Active => [.. Entries.Where(e => e.State == HostKeyState.Active).Select(e => e.Key)];

    public IReadOnlyList<SshHostKey> Announced => [.. Entries.Where(e => e.State == HostKeyState.Announced).Select(e => e.Key)];

    /// <summary>The key types <c>add</c> makes, as typed, with what they make.</summary>
    public static IReadOnlyList<string> Types { get; } = ["ed25519", "rsa-3072", "rsa-4096"];

    /// <summary>Reads the ring (making the two first keys when the data directory has none yet).</summary>
    public static HostKeyRing Load(WharfPaths paths)
    {
        var stateFile = Path.Combine(paths.DataDirectory, StateFileName);
        if (!System.IO.File.Exists(stateFile))
        {
            return new HostKeyRing(paths,
            [
                new(Path.GetFileName(paths.HostKey), HostKeyState.Active, SshHostKey.LoadOrCreateEd25519(paths.HostKey)),
                // RSA (3072 bits) for clients pinned to RSA host keys; offered after Ed25519.
                new(Path.GetFileName(paths.RsaHostKey), HostKeyState.Active, SshHostKey.LoadOrCreateRsa(paths.RsaHostKey)),
            ]);
        }
        var entries = new List<HostKeyEntry>();
        try
        {
            var json = JsonNode.Parse(System.IO.File.ReadAllText(stateFile))!["keys"]!.AsArray();
            foreach (var item in json)
            {
                var file = (string)item!["file"]!;
                if (file != Path.GetFileName(file) || !file.StartsWith("ssh_host_", StringComparison.Ordinal))
                    throw Invalid(stateFile, $"'{file}' is not a host key file name of the data directory");
                var state = (string)item["state"]! switch
                {
                    "active" => HostKeyState.Active,
                    "announced" => HostKeyState.Announced,
                    var other => throw Invalid(stateFile, $"unknown state '{other}' of {file}"),
                };
                var path = Path.Combine(paths.DataDirectory, file);
                if (!System.IO.File.Exists(path)) throw Invalid(stateFile, $"the key file {file} is missing");
                entries.Add(new HostKeyEntry(file, state, SshHostKey.Load(path)));
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw Invalid(stateFile, "it is not the JSON Wharf writes");
        }
        var ring = new HostKeyRing(paths, entries);
        ring.Check(stateFile);
        return ring;
    }

    private static WharfException Invalid(string stateFile, string why) =>
        WharfException.InvalidArgument($"Cannot read the SSH host keys from {stateFile}: {why}.");

    private void Check(string stateFile)
    {
        if (!_entries.Any(e => e.State == HostKeyState.Active)) throw Invalid(stateFile, "no key is active");
        if (_entries.Where(e => e.State == HostKeyState.Active).GroupBy(e => e.Key.PublicKey.KeyType).Any(g => g.Count() > 1))
            throw Invalid(stateFile, "two keys of one type are active");
    }

    /// <summary>Runs <paramref name="change"/> on the ring as it is on disk now, under the lock, and writes the result.</summary>
    public static async Task<T> ChangeAsync<T>(WharfPaths paths, Func<HostKeyRing, T> change, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(paths.DataDirectory);
        var lockPath = Path.Combine(paths.DataDirectory, LockFileName);
        FileStream? held = null;
        for (var attempt = 0; held is null; attempt++)
        {
            try
            {
                held = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 100)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
        await using (held)
        {
            var ring = Load(paths);
            var result = change(ring);
            ring.Save();
            return result;
        }
    }

    private void Save()
    {
        var json = new JsonObject
        {
            ["keys"] = new JsonArray([.. Entries.Select(e => (JsonNode)new JsonObject { ["file"] = e.File, ["state"] = e.StateName })]),
        };
        var path = Path.Combine(_paths.DataDirectory, StateFileName);
        var tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        System.IO.File.WriteAllText(tmp, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        System.IO.File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Makes a new key of <paramref name="type"/> (<see cref="Types"/>), announced. Returns it.</summary>
    public HostKeyEntry Add(string type)
    {
        var key = type switch
        {
            "ed25519" => SshHostKey.GenerateEd25519(),
            "rsa" or "rsa-3072" => SshHostKey.GenerateRsa(3072),
            "rsa-4096" => SshHostKey.GenerateRsa(4096),
            "ecdsa" or "ecdsa-p256" or "ecdsa-p384" or "ecdsa-p521" => throw WharfException.InvalidArgument(
                $"ECDSA host keys are not supported: Wharf's SSH server signs with Ed25519 and RSA. Types: {string.Join(", ", Types)}."),
            _ => throw WharfException.InvalidArgument($"Unknown host key type {Display.Quote(type)}. Types: {string.Join(", ", Types)}."),
        };
        var family = key.PublicKey.KeyType == SshKeyTypes.Ed25519 ? "ed25519" : "rsa";
        var id = Convert.ToHexStringLower(SHA256.HashData(key.PublicKey.Blob))[..12];
        var file = $"ssh_host_{family}_key-{id}";
        key.Save(Path.Combine(_paths.DataDirectory, file));
        var entry = new HostKeyEntry(file, HostKeyState.Announced, key);
        _entries.Add(entry);
        return entry;
    }

    private HostKeyEntry Find(string fingerprint)
    {
        var wanted = fingerprint.StartsWith("SHA256:", StringComparison.Ordinal) ? fingerprint : "SHA256:" + fingerprint;
        return _entries.FirstOrDefault(e => e.Key.PublicKey.FingerprintSha256 == wanted)
            ?? throw WharfException.NotFound($"No host key has the fingerprint {Display.Quote(fingerprint)}; 'wharf admin host-key list' shows them.");
    }

    /// <summary>
    /// Makes the key active. The key of its type that was active becomes announced (so clients keep trusting it until it
    /// is retired), or is retired at once with <paramref name="retireOld"/>. Returns the key that was active, if any.
    /// </summary>
    public HostKeyEntry? Promote(string fingerprint, bool retireOld)
    {
        var entry = Find(fingerprint);
        if (entry.State == HostKeyState.Active)
            throw WharfException.InvalidArgument($"The host key {entry.Key.PublicKey.FingerprintSha256} is already active.");
        var old = _entries.FirstOrDefault(e => e.State == HostKeyState.Active && e.Key.PublicKey.KeyType == entry.Key.PublicKey.KeyType);
        if (old is not null)
        {
            _entries.Remove(old);
            if (retireOld) System.IO.File.Delete(Path.Combine(_paths.DataDirectory, old.File));
            else _entries.Add(old with { State = HostKeyState.Announced });
        }
        _entries[_entries.IndexOf(entry)] = entry with { State = HostKeyState.Active };
        return old;
    }

    /// <summary>Removes the key from the ring and deletes its private key file. The last active key cannot go.</summary>
    public HostKeyEntry Retire(string fingerprint)
    {
        var entry = Find(fingerprint);
        if (entry.State == HostKeyState.Active && _entries.Count(e => e.State == HostKeyState.Active) == 1)
            throw WharfException.InvalidArgument(
                $"The host key {entry.Key.PublicKey.FingerprintSha256} is the only active one: add and promote another first.");
        _entries.Remove(entry);
        System.IO.File.Delete(Path.Combine(_paths.DataDirectory, entry.File));
        return entry;
    }

    /// <summary>RFC 4255 SSHFP algorithm numbers: 1 RSA, 3 ECDSA (RFC 6594), 4 Ed25519 (RFC 7479).</summary>
    public static int SshfpAlgorithm(SshPublicKey key) => key.KeyType switch
    {
        SshKeyTypes.Rsa => 1,
        SshKeyTypes.EcdsaP256 or SshKeyTypes.EcdsaP384 or SshKeyTypes.EcdsaP521 => 3,
        SshKeyTypes.Ed25519 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(key), key.KeyType, "no SSHFP algorithm number"),
    };

    /// <summary>One SSHFP record per key, active and announced, with fingerprint type 2 (SHA-256, RFC 6594), as <c>ssh-keygen -r</c> writes them.</summary>
    public IReadOnlyList<string> Sshfp(string host) =>
    [
        .. Entries.Select(e => $"{host} IN SSHFP {SshfpAlgorithm(e.Key.PublicKey).ToString(CultureInfo.InvariantCulture)} 2 "
            + Convert.ToHexStringLower(SHA256.HashData(e.Key.PublicKey.Blob))),
    ];
}
