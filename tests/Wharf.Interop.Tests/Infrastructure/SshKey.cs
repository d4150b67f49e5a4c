namespace Wharf.Interop.Tests.Infrastructure;

/// <summary>A key pair made by the real ssh-keygen, as a user would make it.</summary>
public sealed record SshKey(string Name, string Type, string PrivateKeyPath, string PublicKeyLine, string Fingerprint)
{
    /// <summary>ssh-keygen -t TYPE [-b BITS] for each key type the tests use.</summary>
    public static IReadOnlyList<string> KeygenArguments(string type) => type switch
    {
        "ed25519" => ["-t", "ed25519"],
        "rsa" => ["-t", "rsa", "-b", "3072"],
        "ecdsa" => ["-t", "ecdsa", "-b", "256"],
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no such key type in these tests"),
    };

    public static async Task<SshKey> GenerateAsync(string directory, string name, string type)
    {
        var path = Path.Combine(directory, name);
        var made = await ProcessRunner.RunAsync(
            Tools.SshKeygen,
            [.. KeygenArguments(type), "-N", "", "-C", $"{name}@wharf-interop", "-q", "-f", path]);
        if (made.ExitCode != 0 || !File.Exists(path) || !File.Exists(path + ".pub"))
        {
            throw new InvalidOperationException($"ssh-keygen could not make a {type} key\n{made.Describe()}");
        }

        // What ssh-keygen -l shows a person: "256 SHA256:... comment (ED25519)".
        var listed = await ProcessRunner.RunAsync(Tools.SshKeygen, ["-l", "-E", "sha256", "-f", path + ".pub"]);
        var fingerprint = listed.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(word => word.StartsWith("SHA256:", StringComparison.Ordinal));
        if (listed.ExitCode != 0 || fingerprint is null)
        {
            throw new InvalidOperationException($"ssh-keygen -l gave no SHA256 fingerprint\n{listed.Describe()}");
        }

        var publicKey = (await File.ReadAllTextAsync(path + ".pub")).Trim();
        return new SshKey(name, type, path, publicKey, fingerprint);
    }

    public override string ToString() => $"{Name} ({Type})";
}

/// <summary>A Wharf account made through `wharf admin`, with the keys added to it.</summary>
public sealed record TestUser(string Name, string Email, IReadOnlyList<SshKey> Keys, IReadOnlyList<ProcessResult> KeyAddRuns)
{
    public SshKey Key => Keys[0];

    public SshKey KeyOfType(string type) => Keys.Single(k => k.Type == type);
}
