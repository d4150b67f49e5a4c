using System.Security.Cryptography;

namespace Wharf.Ssh.KeyExchange;

/// <summary>
/// The algorithm-specific half of a key exchange, seen from the server: from the client's ephemeral
/// value (the body of message 30) it computes ours and the shared secret. The driver
/// (<see cref="ServerKeyExchange"/>) does the rest, the same for every method.
/// </summary>
internal abstract class KexMethod
{
    public abstract HashAlgorithmName Hash { get; }

    /// <summary>Reads the client's value from message 30 (after the message number) and answers it.</summary>
    public abstract KexReply Respond(ReadOnlySpan<byte> clientMessageBody);

    public static KexMethod Create(string name) => name switch
    {
        Algorithms.SshAlgorithms.Curve25519Sha256 or Algorithms.SshAlgorithms.Curve25519Sha256LibSsh => new Curve25519Kex(),
        Algorithms.SshAlgorithms.MlKem768X25519Sha256 => new HybridKex(HybridKex.Kem.MlKem768),
        Algorithms.SshAlgorithms.Sntrup761X25519Sha512 or Algorithms.SshAlgorithms.Sntrup761X25519Sha512OpenSsh => new HybridKex(HybridKex.Kem.Sntrup761),
        Algorithms.SshAlgorithms.DhGroup14Sha256 => new DiffieHellmanKex(DiffieHellmanKex.Group14, HashAlgorithmName.SHA256),
        Algorithms.SshAlgorithms.DhGroup16Sha512 => new DiffieHellmanKex(DiffieHellmanKex.Group16, HashAlgorithmName.SHA512),
        Algorithms.SshAlgorithms.DhGroup18Sha512 => new DiffieHellmanKex(DiffieHellmanKex.Group18, HashAlgorithmName.SHA512),
        _ => throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, $"key exchange {name} not supported"),
    };
}

/// <summary>
/// Our answer: the client's and our values as they enter the exchange hash (already SSH-encoded:
/// <c>mpint e, mpint f</c> for DH, <c>string Q_C, string Q_S</c> for the others) and the shared secret K
/// encoded as it enters the hash and key derivation (mpint, or string for the hybrids).
/// </summary>
internal sealed record KexReply(byte[] EncodedClientValue, byte[] EncodedServerValue, byte[] EncodedSecret);
