using System.Buffers.Binary;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using Org.BouncyCastle.Pqc.Crypto.NtruPrime;
using Org.BouncyCastle.Security;
using Wharf.Ssh.KeyExchange;
using Wharf.Ssh.Keys;

namespace Wharf.Ssh.Benchmarks;

/// <summary>
/// The server's side of each key exchange the OpenSSH client may pick, per connection: explains the CPU per
/// login that bench/side-by-side.sh measures (sntrup761 is OpenSSH 9.x's default choice).
/// </summary>
[Config(typeof(KeyExchangeConfig))]
public class KeyExchangeBenchmarks
{
    private byte[] _curve25519 = null!;
    private byte[] _sntrup761 = null!;
    private byte[] _sntrupPublicKey = null!;
    private readonly byte[] _ciphertext = new byte[Sntrup761.CiphertextSize];
    private readonly byte[] _secret = new byte[Sntrup761.SharedSecretSize];
    private readonly SshHostKey _hostKey = SshHostKey.GenerateEd25519();
    private readonly byte[] _exchangeHash = RandomNumberGenerator.GetBytes(64);
    private readonly KexMethod _curve = new Curve25519Kex();
    private readonly KexMethod _sntrup = new HybridKex(HybridKex.Kem.Sntrup761);

    [GlobalSetup]
    public void Setup()
    {
        var x25519 = RandomNumberGenerator.GetBytes(32);
        _curve25519 = SshString(x25519);
        var generator = new SNtruPrimeKeyPairGenerator();
        generator.Init(new SNtruPrimeKeyGenerationParameters(new SecureRandom(), SNtruPrimeParameters.sntrup761));
        var pair = generator.GenerateKeyPair();
        var pk = ((SNtruPrimePublicKeyParameters)pair.Public).GetEncoded();
        _sntrup761 = SshString([.. pk, .. x25519]);
        _sntrupPublicKey = pk;
    }

    private static byte[] SshString(byte[] value)
    {
        var b = new byte[4 + value.Length];
        BinaryPrimitives.WriteUInt32BigEndian(b, (uint)value.Length);
        value.CopyTo(b, 4);
        return b;
    }

    [Benchmark(Baseline = true)]
    public object Curve25519Sha256() => _curve.Respond(_curve25519);

    [Benchmark]
    public object Sntrup761X25519Sha512() => _sntrup.Respond(_sntrup761);

    /// <summary>The KEM half alone, as Wharf does it since issue 16 (Sntrup761.cs).</summary>
    [Benchmark]
    public void Sntrup761Encapsulate() => Sntrup761.Encapsulate(_sntrupPublicKey, _ciphertext, _secret);

    /// <summary>The KEM half alone through BouncyCastle, what HybridKex called before.</summary>
    [Benchmark]
    public object Sntrup761EncapsulateBouncyCastle() =>
        new SNtruPrimeKemGenerator(new SecureRandom()).GenerateEncapsulated(new SNtruPrimePublicKeyParameters(SNtruPrimeParameters.sntrup761, _sntrupPublicKey));

    /// <summary>The host key's signature over the exchange hash, once per key exchange.</summary>
    [Benchmark]
    public object HostKeySignEd25519() => _hostKey.Sign(SshKeyTypes.Ed25519, _exchangeHash);
}

public sealed class KeyExchangeConfig : BenchmarkDotNet.Configs.ManualConfig
{
    public KeyExchangeConfig()
    {
        AddJob(Job.ShortRun.WithToolchain(BenchmarkDotNet.Toolchains.InProcess.Emit.InProcessEmitToolchain.Instance));
        AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default);
    }
}
