using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Pqc.Crypto.NtruPrime;
using Org.BouncyCastle.Security;
using Wharf.Ssh.KeyExchange;

namespace Wharf.Ssh.Tests.Protocol;

/// <summary>
/// Wharf's own sntrup761 encapsulation (Sntrup761.cs) against the specification's known-answer vectors and
/// against BouncyCastle's decapsulation. OpenSSH logs in with it in the interop tests (its default kex).
/// </summary>
public class Sntrup761Tests
{
    /// <summary>
    /// NIST KAT vectors 0-9: the NIST AES-256 CTR DRBG seeded per vector drives BouncyCastle's key generation
    /// (which must give the vector's pk, so the DRBG is right and its state is where the reference's is after
    /// key generation), then the next 761 four-byte draws are Short_random's words for our encapsulation, which
    /// must give the vector's ciphertext and shared secret byte for byte.
    /// </summary>
    [Fact]
    public void Encapsulation_matches_the_known_answer_vectors()
    {
        var vectors = ReadVectors(Path.Combine(AppContext.BaseDirectory, "Protocol", "sntrup761-kat.rsp"));
        Assert.Equal(10, vectors.Count);
        foreach (var v in vectors)
        {
            var drbg = new NistCtrDrbg(Convert.FromHexString(v["seed"]));
            var generator = new SNtruPrimeKeyPairGenerator();
            generator.Init(new SNtruPrimeKeyGenerationParameters(new DrbgRandom(drbg), SNtruPrimeParameters.sntrup761));
            var pk = ((SNtruPrimePublicKeyParameters)generator.GenerateKeyPair().Public).GetEncoded();
            Assert.Equal(v["pk"], Convert.ToHexString(pk));

            var words = new uint[761];
            var draw = new byte[4];
            for (var i = 0; i < words.Length; i++)
            {
                drbg.Generate(draw);
                words[i] = BinaryPrimitives.ReadUInt32LittleEndian(draw);
            }
            var ct = new byte[Sntrup761.CiphertextSize];
            var ss = new byte[Sntrup761.SharedSecretSize];
            Sntrup761.Encapsulate(pk, words, ct, ss);
            Assert.Equal(v["ct"], Convert.ToHexString(ct));
            Assert.Equal(v["ss"], Convert.ToHexString(ss));
        }
    }

    /// <summary>
    /// For many random key pairs, BouncyCastle's decapsulation recovers our secret. A wrong ciphertext would not
    /// fail loudly there: sntrup761 decapsulation answers a mismatch with a different (implicit-rejection) secret,
    /// so equality of the secrets is the check.
    /// </summary>
    [Fact]
    public void BouncyCastle_decapsulation_recovers_the_secret_for_random_keys()
    {
        var generator = new SNtruPrimeKeyPairGenerator();
        generator.Init(new SNtruPrimeKeyGenerationParameters(new SecureRandom(), SNtruPrimeParameters.sntrup761));
        var secrets = new HashSet<string>();
        for (var i = 0; i < 25; i++)
        {
            var pair = generator.GenerateKeyPair();
            var pk = ((SNtruPrimePublicKeyParameters)pair.Public).GetEncoded();
            for (var j = 0; j < 3; j++)
            {
                var ct = new byte[Sntrup761.CiphertextSize];
                var ss = new byte[Sntrup761.SharedSecretSize];
                Sntrup761.Encapsulate(pk, ct, ss);
                var recovered = new SNtruPrimeKemExtractor((SNtruPrimePrivateKeyParameters)pair.Private).ExtractSecret(ct);
                Assert.Equal(Convert.ToHexString(ss), Convert.ToHexString(recovered));
                Assert.True(secrets.Add(Convert.ToHexString(ss)), "two encapsulations gave the same secret");
            }
        }
    }

    /// <summary>The kex answer carries our ciphertext: BouncyCastle recovers K's KEM half from the reply.</summary>
    [Fact]
    public void Hybrid_kex_reply_is_decapsulated_by_the_client_side()
    {
        var generator = new SNtruPrimeKeyPairGenerator();
        generator.Init(new SNtruPrimeKeyGenerationParameters(new SecureRandom(), SNtruPrimeParameters.sntrup761));
        var pair = generator.GenerateKeyPair();
        var pk = ((SNtruPrimePublicKeyParameters)pair.Public).GetEncoded();
        var clientX25519Private = new byte[32];
        var clientX25519Public = new byte[32];
        Geralt.X25519.GenerateKeyPair(clientX25519Public, clientX25519Private);

        var reply = new HybridKex(HybridKex.Kem.Sntrup761).Respond(SshString([.. pk, .. clientX25519Public]));

        var serverBlob = reply.EncodedServerValue.AsSpan(4);
        Assert.Equal(Sntrup761.CiphertextSize + 32, serverBlob.Length);
        var kemSecret = new SNtruPrimeKemExtractor((SNtruPrimePrivateKeyParameters)pair.Private).ExtractSecret(serverBlob[..Sntrup761.CiphertextSize].ToArray());
        var ecdh = new byte[32];
        Geralt.X25519.ComputeSharedSecret(ecdh, clientX25519Private, serverBlob[Sntrup761.CiphertextSize..]);
        var expected = SHA512.HashData([.. kemSecret, .. ecdh]);
        Assert.Equal(Convert.ToHexString(SshString(expected)), Convert.ToHexString(reply.EncodedSecret));
    }

    /// <summary>
    /// A client controls the public key's bytes: any 1158 bytes decode (each value is reduced as the specification
    /// does), so garbage gives a ciphertext the client cannot use, never an exception or a read out of bounds.
    /// </summary>
    [Fact]
    public void Encapsulation_accepts_any_public_key_bytes()
    {
        var ct = new byte[Sntrup761.CiphertextSize];
        var ss = new byte[Sntrup761.SharedSecretSize];
        foreach (var fill in new byte[] { 0x00, 0xFF })
        {
            Sntrup761.Encapsulate(Enumerable.Repeat(fill, Sntrup761.PublicKeySize).ToArray(), ct, ss);
            Assert.NotEqual(new byte[Sntrup761.SharedSecretSize], ss);
        }
        for (var i = 0; i < 100; i++)
        {
            Sntrup761.Encapsulate(RandomNumberGenerator.GetBytes(Sntrup761.PublicKeySize), ct, ss);
            Assert.NotEqual(new byte[Sntrup761.SharedSecretSize], ss);
        }
    }

    [Fact]
    public void Hybrid_kex_refuses_a_public_key_of_the_wrong_length()
    {
        var ex = Assert.Throws<SshProtocolException>(() => new HybridKex(HybridKex.Kem.Sntrup761).Respond(SshString(new byte[1157 + 32])));
        Assert.Equal("hybrid key exchange client value has the wrong length", ex.Message);
    }

    private static byte[] SshString(byte[] value)
    {
        var b = new byte[4 + value.Length];
        BinaryPrimitives.WriteUInt32BigEndian(b, (uint)value.Length);
        value.CopyTo(b, 4);
        return b;
    }

    private static List<Dictionary<string, string>> ReadVectors(string path)
    {
        var vectors = new List<Dictionary<string, string>>();
        Dictionary<string, string>? current = null;
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || line.Length == 0) continue;
            var eq = line.IndexOf('=');
            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            if (key == "count") vectors.Add(current = []);
            current![key] = value;
        }
        return vectors;
    }

    /// <summary>
    /// The NIST PQC KAT generator's randombytes: AES-256 CTR_DRBG without derivation function (SP 800-90A), each
    /// call producing whole blocks and then updating key and counter.
    /// </summary>
    private sealed class NistCtrDrbg
    {
        private readonly byte[] _key = new byte[32];
        private readonly byte[] _v = new byte[16];

        public NistCtrDrbg(byte[] seed)
        {
            Assert.Equal(48, seed.Length);
            Update(seed);
        }

        public void Generate(Span<byte> output)
        {
            Span<byte> block = stackalloc byte[16];
            while (output.Length > 0)
            {
                NextBlock(block);
                var n = Math.Min(16, output.Length);
                block[..n].CopyTo(output);
                output = output[n..];
            }
            Update(null);
        }

        private void NextBlock(Span<byte> block)
        {
            for (var j = 15; j >= 0; j--)
                if (++_v[j] != 0) break;
            using var aes = Aes.Create();
            aes.Key = _key;
            aes.EncryptEcb(_v, block, PaddingMode.None);
        }

        private void Update(byte[]? provided)
        {
            var temp = new byte[48];
            for (var i = 0; i < 3; i++) NextBlock(temp.AsSpan(16 * i, 16));
            if (provided != null)
                for (var i = 0; i < 48; i++) temp[i] ^= provided[i];
            temp.AsSpan(0, 32).CopyTo(_key);
            temp.AsSpan(32, 16).CopyTo(_v);
        }
    }

    /// <summary>BouncyCastle's random source drawn from the DRBG, one DRBG call per request as the reference's randombytes.</summary>
    private sealed class DrbgRandom(NistCtrDrbg drbg) : SecureRandom
    {
        public override void NextBytes(byte[] buf) => drbg.Generate(buf);
        public override void NextBytes(byte[] buf, int off, int len) => drbg.Generate(buf.AsSpan(off, len));
        public override void NextBytes(Span<byte> buffer) => drbg.Generate(buffer);
    }
}
