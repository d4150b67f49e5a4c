namespace Wharf.Ssh.Keys;

/// <summary>Public key type names (the first string of a key blob) and the signature algorithms they use.</summary>
public static class SshKeyTypes
{
    public const string Ed25519 = "ssh-ed25519";
    public const string Rsa = "ssh-rsa";
    public const string EcdsaP256 = "ecdsa-sha2-nistp256";
    public const string EcdsaP384 = "ecdsa-sha2-nistp384";
    public const string EcdsaP521 = "ecdsa-sha2-nistp521";
    public const string SkEd25519 = "sk-ssh-ed25519@openssh.com";
    public const string SkEcdsaP256 = "sk-ecdsa-sha2-nistp256@openssh.com";

    /// <summary>Signature algorithm names for RSA keys (RFC 8332). SHA-1 <c>ssh-rsa</c> signatures are never accepted.</summary>
    public const string RsaSha2_256 = "rsa-sha2-256";
    public const string RsaSha2_512 = "rsa-sha2-512";

    public static bool IsKnown(string type) => type is Ed25519 or Rsa or EcdsaP256 or EcdsaP384 or EcdsaP521 or SkEd25519 or SkEcdsaP256;

    /// <summary>The key type a publickey-auth algorithm name refers to, or null when the name is unknown.</summary>
    public static string? KeyTypeForSignatureAlgorithm(string algorithm) => algorithm switch
    {
        RsaSha2_256 or RsaSha2_512 => Rsa,
        Ed25519 or EcdsaP256 or EcdsaP384 or EcdsaP521 or SkEd25519 or SkEcdsaP256 => algorithm,
        _ => null,
    };

    internal static string CurveOf(string keyType) => keyType switch
    {
        EcdsaP256 or SkEcdsaP256 => "nistp256",
        EcdsaP384 => "nistp384",
        EcdsaP521 => "nistp521",
        _ => "",
    };

    internal static int CurveFieldBytes(string curve) => curve switch { "nistp256" => 32, "nistp384" => 48, _ => 66 };
    internal static int CurveBits(string curve) => curve switch { "nistp256" => 256, "nistp384" => 384, _ => 521 };
}
