using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;

namespace Wharf.Ssh.Benchmarks;

/// <summary>
/// The BCL and Geralt primitives the protections are built from, one 32 KiB packet body each, so that the
/// time and the bytes of a protection row can be attributed: what the primitive costs by itself and what
/// the protection adds around it. Not part of the 0 B proof; an explanation of it.
/// </summary>
[Config(typeof(DataPathConfig))]
public class PrimitiveBenchmarks
{
    private const int Size = DataPath.DataSize + 16;
    private readonly byte[] _data = new byte[Size];
    private readonly byte[] _keystream = new byte[Size];
    private readonly byte[] _tag = new byte[64];
    private readonly byte[] _counter = new byte[16];
    private readonly byte[] _key32 = new byte[32];
    private readonly byte[] _nonce = new byte[12];
    private Aes _aes = null!;
    private Aes _ecbAes = null!;
    private IncrementalHash _hmac256 = null!;
    private IncrementalHash _hmac512 = null!;
    private AesGcm _gcm = null!;

    [GlobalSetup]
    public void Setup()
    {
        _aes = Aes.Create();
        _aes.Key = new byte[16];
        _ecbAes = Aes.Create();
        _ecbAes.Key = new byte[16];
        _ecbAes.Mode = CipherMode.ECB;
        _ecbAes.Padding = PaddingMode.None;
        _ecb = _ecbAes.CreateEncryptor();
        _hmac256 = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, new byte[32]);
        _hmac512 = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA512, new byte[64]);
        _gcm = new AesGcm(new byte[16], 16);
        _bclChaCha = new System.Security.Cryptography.ChaCha20Poly1305(new byte[32]);
    }

    /// <summary>What AesCtrProtection.Xcrypt does for the keystream: one ECB call over all counter blocks.</summary>
    [Benchmark]
    public int AesEcbOneShot() => _aes.EncryptEcb(_data, _keystream, PaddingMode.None);

    /// <summary>The same ECB work through a transform created once (the pattern the CTR mode could keep per epoch).</summary>
    [Benchmark]
    public int AesEcbReusedTransform() => _ecb.TransformBlock(_data, 0, Size, _keystream, 0);
    private ICryptoTransform _ecb = null!;

    /// <summary>The counter-block loop of AesCtrProtection.Xcrypt (byte-wise big-endian increment per block).</summary>
    [Benchmark]
    public void CounterBlocks()
    {
        var blocks = _keystream.AsSpan();
        for (var i = 0; i < blocks.Length; i += 16)
        {
            _counter.CopyTo(blocks[i..]);
            for (var j = 15; j >= 0; j--)
                if (++_counter[j] != 0) break;
        }
    }

    [Benchmark]
    public void XorVector()
    {
        var dv = MemoryMarshal.Cast<byte, Vector<byte>>(_data.AsSpan());
        var kv = MemoryMarshal.Cast<byte, Vector<byte>>(_keystream.AsSpan());
        for (var v = 0; v < dv.Length; v++) dv[v] ^= kv[v];
    }

    [Benchmark]
    public int HmacSha256() { _hmac256.AppendData(_data); return _hmac256.GetHashAndReset(_tag); }

    [Benchmark]
    public int HmacSha512() { _hmac512.AppendData(_data); return _hmac512.GetHashAndReset(_tag); }

    [Benchmark]
    public void AesGcmEncrypt() => _gcm.Encrypt(_nonce, _data, _data, _tag.AsSpan(0, 16));

    [Benchmark]
    public void ChaCha20() => Geralt.ChaCha20.Encrypt(_data, _data, _nonce, _key32, 1);

    /// <summary>The BCL's RFC 8439 AEAD (OpenSSL underneath): its ciphertext is the ChaCha20 keystream from counter 1, the same bytes as the Geralt call above.</summary>
    [Benchmark]
    public void BclChaCha20Poly1305() => _bclChaCha.Encrypt(_nonce, _data, _data, _tag.AsSpan(0, 16));
    private System.Security.Cryptography.ChaCha20Poly1305 _bclChaCha = null!;

    [Benchmark]
    public void Poly1305() => Geralt.Poly1305.ComputeTag(_tag.AsSpan(0, 16), _data, _key32);

    [GlobalCleanup]
    public void Cleanup()
    {
        _ecb.Dispose();
        _ecbAes.Dispose();
        _aes.Dispose();
        _hmac256.Dispose();
        _hmac512.Dispose();
        _gcm.Dispose();
        _bclChaCha.Dispose();
    }
}
