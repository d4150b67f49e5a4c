using System.Security.Cryptography;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.KeyExchange;

/// <summary>
/// curve25519-sha256 and its libssh alias (RFC 8731). The shared secret is the raw X25519 output read
/// as an unsigned big-endian integer and encoded as an mpint; an all-zero result is refused, as OpenSSH
/// does (kexc25519.c).
/// </summary>
internal static class Curve25519Exchange
{
    public static HashAlgorithmName Hash => HashAlgorithmName.SHA256;

    /// <summary>Computes our ephemeral public key and the encoded shared secret for the client's Q_C.</summary>
    public static (byte[] ServerPublic, byte[] EncodedSecret) Respond(ReadOnlySpan<byte> clientPublic)
    {
        if (clientPublic.Length != Geralt.X25519.PublicKeySize)
            throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, "curve25519 client key has the wrong length");
        var serverPublic = new byte[Geralt.X25519.PublicKeySize];
        Span<byte> serverPrivate = stackalloc byte[Geralt.X25519.PrivateKeySize];
        Span<byte> shared = stackalloc byte[Geralt.X25519.SharedSecretSize];
        try
        {
            Geralt.X25519.GenerateKeyPair(serverPublic, serverPrivate);
            try { Geralt.X25519.ComputeSharedSecret(shared, serverPrivate, clientPublic); }
            catch (CryptographicException) { throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, "curve25519 shared secret is invalid"); }
            if (Geralt.ConstantTime.IsAllZeros(shared))
                throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, "curve25519 shared secret is zero");
            var w = new SshWriter(40);
            w.WriteMPInt(shared);
            return (serverPublic, w.ToArray());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(serverPrivate);
            CryptographicOperations.ZeroMemory(shared);
        }
    }
}
