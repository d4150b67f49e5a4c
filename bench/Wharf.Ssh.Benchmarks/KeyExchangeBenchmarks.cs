using System.Buffers.Binary;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using Org.BouncyCastle.Pqc.Crypto.NtruPrime;
using Org.BouncyCastle.Security;
using Wharf.Ssh.KeyExchange;

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
}

public sealed class KeyExchangeConfig : BenchmarkDotNet.Configs.ManualConfig
{
    public KeyExchangeConfig()
    {
        AddJob(Job.ShortRun.WithToolchain(BenchmarkDotNet.Toolchains.InProcess.Emit.InProcessEmitToolchain.Instance));
        AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default);
    }
}
