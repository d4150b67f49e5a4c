namespace Wharf.Ssh.Algorithms;

/// <summary>
/// Every algorithm name Wharf knows, in one place, with the default offers in preference order
/// (docs/SSH-INTEROP.md §2). Nothing weak is implemented, so nothing here carries "Insecure".
/// </summary>
public static class SshAlgorithms
{
    public const string MlKem768X25519Sha256 = "mlkem768x25519-sha256";
    public const string Sntrup761X25519Sha512 = "sntrup761x25519-sha512";
    public const string Sntrup761X25519Sha512OpenSsh = "sntrup761x25519-sha512@openssh.com";
    public const string Curve25519Sha256 = "curve25519-sha256";
    public const string Curve25519Sha256LibSsh = "curve25519-sha256@libssh.org";
    public const string DhGroup16Sha512 = "diffie-hellman-group16-sha512";
    public const string DhGroup18Sha512 = "diffie-hellman-group18-sha512";
    public const string DhGroup14Sha256 = "diffie-hellman-group14-sha256";

    public const string ChaCha20Poly1305 = "chacha20-poly1305@openssh.com";
    public const string Aes256Gcm = "aes256-gcm@openssh.com";
    public const string Aes128Gcm = "aes128-gcm@openssh.com";
    public const string Aes256Ctr = "aes256-ctr";
    public const string Aes192Ctr = "aes192-ctr";
    public const string Aes128Ctr = "aes128-ctr";

    public const string HmacSha256Etm = "hmac-sha2-256-etm@openssh.com";
    public const string HmacSha512Etm = "hmac-sha2-512-etm@openssh.com";
    public const string HmacSha256 = "hmac-sha2-256";
    public const string HmacSha512 = "hmac-sha2-512";

    public const string CompressionNone = "none";
    /// <summary>Delayed compression: zlib after authentication only. Plain "zlib" (from the first byte) is not offered.</summary>
    public const string CompressionZlibDelayed = "zlib@openssh.com";

    /// <summary>Markers that live in the KEX list (RFC 8308, OpenSSH PROTOCOL §1.10).</summary>
    public const string ExtInfoClient = "ext-info-c";
    public const string StrictKexClient = "kex-strict-c-v00@openssh.com";
    public const string StrictKexServer = "kex-strict-s-v00@openssh.com";

    // Post-quantum hybrids first (docs/SSH-INTEROP.md §2; OpenSSH's own order), then the classical exchanges. Negotiation follows
    // the client's order, so this order only decides whether a dropbear guess is usable (it is not: dropbear
    // guesses curve25519-sha256, and its guessed packet is discarded, RFC 4253 §7.1). The 2048-bit
    // diffie-hellman-group14-sha256 is implemented but not offered by default: every current client has
    // group16 or better, and scanners rate 2048-bit groups as weak. Ssh:Algorithms:KeyExchange can add it back.
    public static readonly IReadOnlyList<string> DefaultKex =
    [
        MlKem768X25519Sha256, Sntrup761X25519Sha512, Sntrup761X25519Sha512OpenSsh,
        Curve25519Sha256, Curve25519Sha256LibSsh,
        DhGroup16Sha512, DhGroup18Sha512,
    ];
    /// <summary>Every key exchange Wharf implements: the default offer and those that can be configured.</summary>
    public static readonly IReadOnlyList<string> SupportedKex = [.. DefaultKex, DhGroup14Sha256];
    public static readonly IReadOnlyList<string> DefaultCiphers = [ChaCha20Poly1305, Aes256Gcm, Aes128Gcm, Aes256Ctr, Aes192Ctr, Aes128Ctr];
    // The plain (MAC-then-encrypt) SHA-2 MACs of RFC 6668 come last: negotiation follows the client's order, and every
    // client that knows an EtM MAC lists it first, so only clients without EtM (libssh2 1.10: libgit2, curl, PHP's
    // ssh2) end up with them (docs/SSH-INTEROP.md §17). They are only used with AES-CTR; AEAD ciphers need no MAC.
    public static readonly IReadOnlyList<string> DefaultMacs = [HmacSha256Etm, HmacSha512Etm, HmacSha256, HmacSha512];
    // "ssh -C" is what Mercurial users are told to use; asyncssh and dbclient pick zlib first (docs/SSH-INTEROP.md §2).
    public static readonly IReadOnlyList<string> DefaultCompression = [CompressionNone, CompressionZlibDelayed];

    internal static bool IsAead(string cipher) => cipher is ChaCha20Poly1305 or Aes256Gcm or Aes128Gcm;

    // The names are the settings' names under Ssh:Algorithms (docs/OPERATIONS.md), so the message says what to fix.
    public static void ValidateKex(IReadOnlyList<string>? names) => Validate("KeyExchange", names, SupportedKex);
    public static void ValidateCiphers(IReadOnlyList<string>? names) => Validate("Ciphers", names, DefaultCiphers);
    public static void ValidateMacs(IReadOnlyList<string>? names) => Validate("Macs", names, DefaultMacs);
    public static void ValidateCompression(IReadOnlyList<string>? names) => Validate("Compression", names, DefaultCompression);

    private static void Validate(string what, IReadOnlyList<string>? names, IReadOnlyList<string> known)
    {
        if (names is null) return;
        if (names.Count == 0) throw new InvalidOperationException($"Ssh:Algorithms:{what} must not be empty.");
        foreach (var n in names)
            if (!known.Contains(n))
                throw new InvalidOperationException($"Ssh:Algorithms:{what}: '{n}' is not supported. Supported: {string.Join(", ", known)}.");
    }
}
