using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Wharf.Ssh.KeyExchange;

/// <summary>
/// Encapsulation of Streamlined NTRU Prime 761 (sntrup761), the KEM half of sntrup761x25519-sha512, written
/// from the NTRU Prime round 3 specification ("NTRU Prime: round 3", sections on Streamlined NTRU Prime, its
/// encodings and the KEM's hashing): parameters p = 761, q = 4591, w = 286. A server only encapsulates against
/// the client's ephemeral public key, so there is no key generation or decapsulation here; tests check this
/// against the specification's known-answer vectors and against BouncyCastle's decapsulation.
/// <para>
/// Encapsulation: r = Short_random (w coefficients ±1, the rest 0, from p random 32-bit words sorted in
/// constant time); c = Round(h·r) in R/q where h is the decoded public key; the ciphertext is
/// Rounded_encode(c) followed by HashConfirm(r, pk) and the session key is HashSession(1, r, ciphertext).
/// Nothing in the arithmetic branches on or indexes by r: the product is computed for every coefficient of r,
/// the sort is a fixed network, and reductions are multiply-and-shift.
/// </para>
/// </summary>
internal static class Sntrup761
{
    public const int PublicKeySize = 1158;
    public const int CiphertextSize = 1039;
    public const int SharedSecretSize = 32;

    private const int P = 761;
    private const int Q = 4591;
    private const int W = 286;
    private const int Q12 = (Q - 1) / 2;
    private const int SmallBytes = (P + 3) / 4; // 191: Small_encode of r
    private const int RoundedBytes = 1007;      // Rounded_encode of c
    private const int HashBytes = 32;
    private const int Padded = 768;             // P rounded up to a whole number of vectors
    private const int SortSize = 1024;          // P rounded up to a power of two for the sorting network

    /// <summary>Encapsulates a fresh random secret to <paramref name="publicKey"/>.</summary>
    public static void Encapsulate(ReadOnlySpan<byte> publicKey, Span<byte> ciphertext, Span<byte> sharedSecret)
    {
        Span<uint> words = stackalloc uint[P];
        RandomNumberGenerator.Fill(MemoryMarshal.AsBytes(words));
        try { Encapsulate(publicKey, words, ciphertext, sharedSecret); }
        finally { CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(words)); }
    }

    /// <summary>
    /// Encapsulation with the p random 32-bit words of Short_random given (the specification's
    /// <c>urandom32</c> values, in order): deterministic, for the known-answer tests.
    /// </summary>
    internal static void Encapsulate(ReadOnlySpan<byte> publicKey, ReadOnlySpan<uint> randomWords, Span<byte> ciphertext, Span<byte> sharedSecret)
    {
        if (publicKey.Length != PublicKeySize) throw new ArgumentException("sntrup761 public key must be 1158 bytes", nameof(publicKey));
        if (randomWords.Length != P) throw new ArgumentException("Short_random takes 761 words", nameof(randomWords));
        if (ciphertext.Length != CiphertextSize) throw new ArgumentException("sntrup761 ciphertext is 1039 bytes", nameof(ciphertext));
        if (sharedSecret.Length != SharedSecretSize) throw new ArgumentException("sntrup761 shared secret is 32 bytes", nameof(sharedSecret));

        Span<sbyte> r = stackalloc sbyte[P];
        Span<byte> rEncoded = stackalloc byte[SmallBytes];
        Span<byte> rHash = stackalloc byte[HashBytes];
        Span<byte> buffer = stackalloc byte[1 + HashBytes + CiphertextSize];
        try
        {
            ShortFromList(randomWords, r);

            // c = Round(h·r), Rounded_encode(c)
            Span<short> h = stackalloc short[P];
            RqDecode(publicKey, h);
            Span<short> c = stackalloc short[P];
            MultiplyRound(h, r, c);
            RoundedEncode(c, ciphertext[..RoundedBytes]);

            // HashConfirm: Hash_2(Hash_3(Small_encode(r)) || Hash_4(pk)); then HashSession: Hash_1(Hash_3(r) || C)
            SmallEncode(r, rEncoded);
            HashPrefix(3, rEncoded, rHash);
            rHash.CopyTo(buffer[1..]);
            HashPrefix(4, publicKey, buffer.Slice(1 + HashBytes, HashBytes));
            buffer[0] = 2;
            HashInto(buffer[..(1 + 2 * HashBytes)], ciphertext[RoundedBytes..]);
            ciphertext.CopyTo(buffer[(1 + HashBytes)..]);
            buffer[0] = 1;
            HashInto(buffer, sharedSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(r));
            CryptographicOperations.ZeroMemory(rEncoded);
            CryptographicOperations.ZeroMemory(rHash);
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    /// <summary>Hash_b(x): the first 32 bytes of SHA-512(b || x).</summary>
    private static void HashPrefix(byte b, ReadOnlySpan<byte> input, Span<byte> output)
    {
        Span<byte> x = stackalloc byte[1 + PublicKeySize];
        x[0] = b;
        input.CopyTo(x[1..]);
        HashInto(x[..(1 + input.Length)], output);
    }

    private static void HashInto(ReadOnlySpan<byte> prefixed, Span<byte> output)
    {
        Span<byte> digest = stackalloc byte[64];
        SHA512.HashData(prefixed, digest);
        digest[..HashBytes].CopyTo(output);
        CryptographicOperations.ZeroMemory(digest);
    }

    /// <summary>
    /// Short_fromlist: the first w words with their low bit cleared, the rest with bit 1 cleared and bit 0 set,
    /// sorted; the two low bits of each then give w coefficients of ±1 and p - w zeros in random positions.
    /// </summary>
    private static void ShortFromList(ReadOnlySpan<uint> words, Span<sbyte> r)
    {
        Span<uint> list = stackalloc uint[SortSize];
        for (var i = 0; i < W; i++) list[i] = words[i] & ~1u;
        for (var i = W; i < P; i++) list[i] = (words[i] & ~3u) | 1;
        // Padding above every real value (those are at most 0xFFFFFFFE) sorts to the end and is dropped.
        list[P..].Fill(uint.MaxValue);
        SortConstantTime(list);
        for (var i = 0; i < P; i++) r[i] = (sbyte)((int)(list[i] & 3) - 1);
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(list));
    }

    /// <summary>Bitonic sorting network over a power-of-two length: the sequence of compare-exchanges depends only on the length.</summary>
    private static void SortConstantTime(Span<uint> a)
    {
        var n = a.Length;
        for (var k = 2; k <= n; k <<= 1)
        {
            for (var j = k >> 1; j > 0; j >>= 1)
            {
                for (var i = 0; i < n; i++)
                {
                    var l = i ^ j;
                    if (l <= i) continue;
                    if ((i & k) == 0) MinMax(ref a[i], ref a[l]);
                    else MinMax(ref a[l], ref a[i]);
                }
            }
        }
    }

    /// <summary>Puts the smaller of the two in <paramref name="lo"/>, without a data-dependent branch.</summary>
    private static void MinMax(ref uint lo, ref uint hi)
    {
        var mask = (uint)(0 - (((ulong)hi - lo) >> 63)); // all ones when hi < lo
        var swap = (lo ^ hi) & mask;
        lo ^= swap;
        hi ^= swap;
    }

    /// <summary>Rq_decode: p values modulo q from the public key, centred on zero.</summary>
    private static void RqDecode(ReadOnlySpan<byte> encoded, Span<short> h)
    {
        Span<uint> m = stackalloc uint[P];
        m.Fill(Q);
        Span<uint> values = stackalloc uint[P];
        Decode(encoded, m, values);
        for (var i = 0; i < P; i++) h[i] = (short)((int)values[i] - Q12);
    }

    /// <summary>Rounded_encode: each coefficient (a multiple of 3 in [-(q-1)/2, (q-1)/2]) as one of (q+2)/3 values.</summary>
    private static void RoundedEncode(ReadOnlySpan<short> c, Span<byte> output)
    {
        Span<uint> values = stackalloc uint[P];
        Span<uint> m = stackalloc uint[P];
        m.Fill((Q + 2) / 3);
        for (var i = 0; i < P; i++) values[i] = (uint)(c[i] + Q12) / 3;
        var written = Encode(values, m, output);
        if (written != RoundedBytes) throw new InvalidOperationException($"Rounded_encode wrote {written} bytes");
    }

    /// <summary>Small_encode: four coefficients (each + 1, in 0..2) per byte, two bits each; the last one alone.</summary>
    private static void SmallEncode(ReadOnlySpan<sbyte> r, Span<byte> output)
    {
        for (var i = 0; i < P / 4; i++)
        {
            output[i] = (byte)((r[4 * i] + 1) | ((r[4 * i + 1] + 1) << 2) | ((r[4 * i + 2] + 1) << 4) | ((r[4 * i + 3] + 1) << 6));
        }
        output[P / 4] = (byte)(r[P - 1] + 1);
    }

    /// <summary>
    /// c = Round(h·r) in (Z/q)[x]/(x^p - x - 1): the full product in 32-bit lanes (|sum| &lt; 761·2295), folded with
    /// x^p = x + 1, reduced to the centred residue modulo q, then rounded to the nearest multiple of 3.
    /// </summary>
    private static void MultiplyRound(ReadOnlySpan<short> h, ReadOnlySpan<sbyte> r, Span<short> c)
    {
        Span<int> hp = stackalloc int[Padded];
        hp.Clear();
        for (var i = 0; i < P; i++) hp[i] = h[i];
        Span<int> product = stackalloc int[2 * Padded];
        product.Clear();

        var lanes = Vector<int>.Count;
        var hVectors = MemoryMarshal.Cast<int, Vector<int>>(hp);
        for (var j = 0; j < P; j++)
        {
            var rj = new Vector<int>(r[j]);
            var row = product.Slice(j, Padded);
            for (var v = 0; v < hVectors.Length; v++)
            {
                var slot = row.Slice(v * lanes, lanes);
                (new Vector<int>(slot) + hVectors[v] * rj).CopyTo(slot);
            }
        }
        for (var k = 2 * P - 2; k >= P; k--)
        {
            product[k - P] += product[k];
            product[k - P + 1] += product[k];
        }
        for (var i = 0; i < P; i++)
        {
            var a = FreezeQ(product[i]);
            c[i] = (short)(a - FreezeThree(a));
        }
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(product));
    }

    /// <summary>The residue of x modulo q in [-(q-1)/2, (q-1)/2], for |x| &lt; 2^23, by multiply and shift.</summary>
    private static int FreezeQ(int x)
    {
        // y is non-negative and below 2^24; floor(y / q) = (y * ceil(2^40 / q)) >> 40 exactly in that range.
        var y = (ulong)(x + Q12 + Q * 2048);
        const ulong Reciprocal = ((1UL << 40) + Q - 1) / Q;
        var quotient = (y * Reciprocal) >> 40;
        return (int)(y - quotient * Q) - Q12;
    }

    /// <summary>The residue of a modulo 3 in {-1, 0, 1}, for |a| &lt;= (q-1)/2.</summary>
    private static int FreezeThree(int a)
    {
        var y = (uint)(a + 1 + 3 * 1024);
        return (int)(y % 3) - 1;
    }

    /// <summary>
    /// The specification's Decode: values R[i] in 0..M[i]-1 from bytes, pairing neighbours into one value below
    /// M[i]·M[i+1] and taking out whole bytes while that bound is at least 2^14, recursively.
    /// </summary>
    private static void Decode(ReadOnlySpan<byte> s, ReadOnlySpan<uint> m, Span<uint> output)
    {
        var n = m.Length;
        if (n == 0) return;
        if (n == 1)
        {
            if (m[0] == 1) output[0] = 0;
            else if (m[0] <= 256) output[0] = s[0] % m[0];
            else output[0] = (s[0] + ((uint)s[1] << 8)) % m[0];
            return;
        }
        var half = (n + 1) / 2;
        Span<uint> m2 = stackalloc uint[half];
        Span<uint> bottomR = stackalloc uint[half];
        Span<uint> bottomT = stackalloc uint[half];
        var k = 0;
        for (var i = 0; i < n - 1; i += 2)
        {
            var mm = m[i] * m[i + 1];
            uint r = 0, t = 1;
            while (mm >= 16384)
            {
                r += s[k] * t;
                t <<= 8;
                k++;
                mm = (mm + 255) >> 8;
            }
            bottomR[i / 2] = r;
            bottomT[i / 2] = t;
            m2[i / 2] = mm;
        }
        if ((n & 1) != 0) m2[half - 1] = m[n - 1];
        Span<uint> r2 = stackalloc uint[half];
        Decode(s[k..], m2, r2);
        for (var i = 0; i < n - 1; i += 2)
        {
            var r = bottomR[i / 2] + bottomT[i / 2] * r2[i / 2];
            output[i] = r % m[i];
            output[i + 1] = r / m[i] % m[i + 1];
        }
        if ((n & 1) != 0) output[n - 1] = r2[half - 1];
    }

    /// <summary>The specification's Encode, the inverse of <see cref="Decode"/>; returns the number of bytes written.</summary>
    private static int Encode(ReadOnlySpan<uint> values, ReadOnlySpan<uint> m, Span<byte> output)
    {
        var n = m.Length;
        if (n == 0) return 0;
        var written = 0;
        if (n == 1)
        {
            uint r = values[0], mm = m[0];
            while (mm > 1)
            {
                output[written++] = (byte)r;
                r >>= 8;
                mm = (mm + 255) >> 8;
            }
            return written;
        }
        var half = (n + 1) / 2;
        Span<uint> r2 = stackalloc uint[half];
        Span<uint> m2 = stackalloc uint[half];
        for (var i = 0; i < n - 1; i += 2)
        {
            var m0 = m[i];
            var r = values[i] + values[i + 1] * m0;
            var mm = m[i + 1] * m0;
            while (mm >= 16384)
            {
                output[written++] = (byte)r;
                r >>= 8;
                mm = (mm + 255) >> 8;
            }
            r2[i / 2] = r;
            m2[i / 2] = mm;
        }
        if ((n & 1) != 0)
        {
            r2[half - 1] = values[n - 1];
            m2[half - 1] = m[n - 1];
        }
        return written + Encode(r2, m2, output[written..]);
    }
}
