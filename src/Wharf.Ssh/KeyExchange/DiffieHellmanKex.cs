using System.Numerics;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Agreement;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.KeyExchange;

/// <summary>
/// diffie-hellman-group14-sha256, -group16-sha512 and -group18-sha512 (RFC 8268) over the RFC 3526 MODP
/// groups. No target client needs them (docs/SSH-INTEROP.md §1); they are kept for old and FIPS-only clients.
/// </summary>
internal sealed class DiffieHellmanKex(DiffieHellmanKex.Group group, HashAlgorithmName hash) : KexMethod
{
    /// <summary>A MODP group: prime, generator 2, and the private exponent size used (twice the group's strength).</summary>
    internal sealed record Group(BigInteger P, int ExponentBits);

    // Prime values from BouncyCastle's copy of RFC 3526; exponent sizes follow OpenSSH's dh_estimate (2 x security bits).
    internal static readonly Group Group14 = FromBc(DHStandardGroups.rfc3526_2048, 2 * 112);
    internal static readonly Group Group16 = FromBc(DHStandardGroups.rfc3526_4096, 2 * 152);
    internal static readonly Group Group18 = FromBc(DHStandardGroups.rfc3526_8192, 2 * 200);

    public override HashAlgorithmName Hash => hash;

    public override KexReply Respond(ReadOnlySpan<byte> clientMessageBody)
    {
        var r = new SshReader(clientMessageBody);
        var e = r.ReadMPInt();
        if (!r.End) throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, "trailing bytes in key exchange init");
        // RFC 4253 §8: e must lie in [1, p-1]; 1 and p-1 would give a trivial secret, so refuse those too.
        if (e <= BigInteger.One || e >= group.P - BigInteger.One)
            throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, "DH value out of range");
        var yBytes = RandomNumberGenerator.GetBytes(group.ExponentBits / 8);
        var y = new BigInteger(yBytes, isUnsigned: true, isBigEndian: true);
        var f = BigInteger.ModPow(2, y, group.P);
        var k = BigInteger.ModPow(e, y, group.P);
        CryptographicOperations.ZeroMemory(yBytes);
        return new KexReply(Mpint(e), Mpint(f), Mpint(k));
    }

    private static byte[] Mpint(BigInteger v)
    {
        var w = new SshWriter(1100);
        w.WriteMPInt(v);
        return w.ToArray();
    }

    private static Group FromBc(Org.BouncyCastle.Crypto.Parameters.DHParameters p, int exponentBits) =>
        new(new BigInteger(p.P.ToByteArrayUnsigned(), isUnsigned: true, isBigEndian: true), exponentBits);
}
