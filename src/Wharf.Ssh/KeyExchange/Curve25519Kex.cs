using System.Security.Cryptography;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.KeyExchange;

/// <summary>
/// curve25519-sha256 and its libssh alias (RFC 8731). K is the raw X25519 output read as an unsigned
/// big-endian integer, encoded as an mpint; an all-zero result is refused, as OpenSSH does (kexc25519.c).
/// </summary>
internal sealed class Curve25519Kex : KexMethod
{
    public override HashAlgorithmName Hash => HashAlgorithmName.SHA256;

    public override KexReply Respond(ReadOnlySpan<byte> clientMessageBody)
    {
        var r = new SshReader(clientMessageBody);
        var clientPublic = r.ReadBinary();
        if (!r.End) throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, "trailing bytes in key exchange init");
        Span<byte> shared = stackalloc byte[32];
        var serverPublic = X25519Agree(clientPublic, shared);
        try
        {
            var k = new SshWriter(40);
            k.WriteMPInt(shared);
            return new KexReply(Encode(clientPublic), Encode(serverPublic), k.ToArray());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }

    /// <summary>Makes an ephemeral key pair, computes the raw shared secret into <paramref name="shared"/>, returns our public key.</summary>
    internal static byte[] X25519Agree(ReadOnlySpan<byte> clientPublic, Span<byte> shared)
    {
        if (clientPublic.Length != Geralt.X25519.PublicKeySize)
            throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, "curve25519 client key has the wrong length");
        var serverPublic = new byte[Geralt.X25519.PublicKeySize];
        Span<byte> serverPrivate = stackalloc byte[Geralt.X25519.PrivateKeySize];
        try
        {
            Geralt.X25519.GenerateKeyPair(serverPublic, serverPrivate);
            try { Geralt.X25519.ComputeSharedSecret(shared, serverPrivate, clientPublic); }
            catch (CryptographicException) { throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, "curve25519 shared secret is invalid"); }
            if (Geralt.ConstantTime.IsAllZeros(shared))
                throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, "curve25519 shared secret is zero");
            return serverPublic;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(serverPrivate);
        }
    }

    internal static byte[] Encode(ReadOnlySpan<byte> value)
    {
        var w = new SshWriter(value.Length + 4);
        w.WriteBinary(value);
        return w.ToArray();
    }
}
