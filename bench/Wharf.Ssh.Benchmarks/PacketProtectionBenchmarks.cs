using BenchmarkDotNet.Attributes;
using Wharf.Ssh.Transport;

namespace Wharf.Ssh.Benchmarks;

/// <summary>
/// Seal and Open of one 32 KiB CHANNEL_DATA packet, in place, as the transport calls them. Open needs
/// packets sealed under the very counter state the receiver is in (GCM and CTR count on across packets),
/// so each iteration starts from a fresh receiver and a fresh copy of packets sealed in advance.
/// </summary>
[Config(typeof(DataPathConfig))]
public class PacketProtectionBenchmarks
{
    [ParamsSource(nameof(CipherNames))]
    public string Cipher { get; set; } = "";

    public static IEnumerable<string> CipherNames => Ciphers.All;

    private PacketProtection _sealer = null!;
    private byte[] _sealBuffer = null!;
    private int _packetLength;
    private int _tagSize;
    private uint _sealSeq;

    private PacketProtection? _opener;
    private byte[] _sealedPristine = null!;
    private byte[] _sealedWorking = null!;
    private int _stride;
    private int _next;

    [GlobalSetup]
    public void GlobalSetup()
    {
        _sealer = Ciphers.Create(Cipher);
        _tagSize = _sealer.TagSize;
        _sealBuffer = DataPath.PlainPacket(_sealer.BlockSize, _tagSize, out _packetLength);
        for (var i = 0; i < DataPath.WarmPackets; i++) Seal();

        // Packets 0..N+W-1 as a fresh sender would seal them.
        using var recorder = Ciphers.Create(Cipher);
        var plain = DataPath.PlainPacket(recorder.BlockSize, _tagSize, out _);
        _stride = plain.Length;
        var count = DataPath.WarmPackets + DataPath.PacketsPerIteration;
        _sealedPristine = new byte[_stride * count];
        _sealedWorking = new byte[_sealedPristine.Length];
        for (var i = 0; i < count; i++)
        {
            var slot = _sealedPristine.AsSpan(i * _stride, _stride);
            plain.CopyTo(slot);
            recorder.Seal(slot[.._packetLength], slot[_packetLength..], (uint)i);
        }
    }

    [IterationSetup(Target = nameof(Open))]
    public void ResetOpener()
    {
        _opener?.Dispose();
        _opener = Ciphers.Create(Cipher);
        _sealedPristine.CopyTo(_sealedWorking, 0);
        _next = 0;
        for (var i = 0; i < DataPath.WarmPackets; i++)
            if (!Open()) throw new InvalidOperationException("warm-up packet did not verify");
    }

    [Benchmark]
    public void Seal()
    {
        var span = _sealBuffer.AsSpan();
        _sealer.Seal(span[.._packetLength], span[_packetLength..], _sealSeq++);
    }

    [Benchmark]
    public bool Open()
    {
        var i = _next++;
        var slot = _sealedWorking.AsSpan(i * _stride, _stride);
        var ok = _opener!.Open(slot[.._packetLength], slot[_packetLength..], (uint)i);
        if (!ok) throw new InvalidOperationException($"packet {i} did not verify");
        return ok;
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _sealer.Dispose();
        _opener?.Dispose();
    }
}
