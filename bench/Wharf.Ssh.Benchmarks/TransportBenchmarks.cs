using BenchmarkDotNet.Attributes;
using Wharf.Ssh.Transport;

namespace Wharf.Ssh.Benchmarks;

/// <summary>
/// The whole data path through <see cref="SshTransport"/> after NEWKEYS: SendChannelDataAsync (header,
/// padding, seal, write, flush) into a null stream, and ReadPacketAsync (PipeReader over the stream, copy,
/// open, padding check) from a stream holding packets a real sender produced.
/// </summary>
[Config(typeof(DataPathConfig))]
public class TransportBenchmarks
{
    [ParamsSource(nameof(CipherNames))]
    public string Cipher { get; set; } = "";

    public static IEnumerable<string> CipherNames => Ciphers.All;

    private readonly ReadOnlyMemory<byte> _data = DataPath.Data;
    private SshTransport _sender = null!;
    private byte[] _recorded = null!;
    private SshTransport? _receiver;

    [GlobalSetup]
    public void GlobalSetup()
    {
        _sender = new SshTransport(Stream.Null, 256 * 1024);
        _sender.SendNewKeysAsync(Ciphers.Create(Cipher), resetSequence: true, extInfo: default, ct: default).AsTask().GetAwaiter().GetResult();
        for (var i = 0; i < DataPath.WarmPackets; i++) SendChannelData().AsTask().GetAwaiter().GetResult();

        // What a peer sends: NEWKEYS in clear, then the data packets under the new keys.
        using var sink = new MemoryStream();
        var recorder = new SshTransport(sink, 256 * 1024);
        recorder.SendNewKeysAsync(Ciphers.Create(Cipher), resetSequence: true, extInfo: default, ct: default).AsTask().GetAwaiter().GetResult();
        for (var i = 0; i < DataPath.WarmPackets + DataPath.PacketsPerIteration; i++)
            recorder.SendChannelDataAsync(0, 0, _data, 32 * 1024, default).AsTask().GetAwaiter().GetResult();
        recorder.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _recorded = sink.ToArray();
    }

    [IterationSetup(Target = nameof(ReadPacket))]
    public void ResetReceiver()
    {
        _receiver?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _receiver = new SshTransport(new MemoryStream(_recorded, writable: false), 256 * 1024);
        var newKeys = _receiver.ReadPacketAsync(default).AsTask().GetAwaiter().GetResult();
        if (newKeys is not { Length: 1 }) throw new InvalidOperationException("expected NEWKEYS");
        _receiver.SwitchReceiveKeys(Ciphers.Create(Cipher), resetSequence: true);
        for (var i = 0; i < DataPath.WarmPackets; i++) ReadPacket().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public ValueTask SendChannelData() => _sender.SendChannelDataAsync(0, 0, _data, 32 * 1024, default);

    [Benchmark]
    public async ValueTask<int> ReadPacket()
    {
        var payload = await _receiver!.ReadPacketAsync(default).ConfigureAwait(false);
        if (payload is not { Length: DataPath.PayloadLength }) throw new InvalidOperationException("expected a CHANNEL_DATA packet");
        return payload.Value.Length;
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _sender.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _receiver?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
