using System.Buffers.Binary;
using System.Security.Cryptography;
using Wharf.Ssh.Algorithms;
using Wharf.Ssh.Connection;
using Wharf.Ssh.Server;
using Wharf.Ssh.Tests.Support;
using Wharf.Ssh.Transport;

namespace Wharf.Ssh.Tests.Transport;

/// <summary>
/// The send path of a session channel, end to end in memory: application writes of many sizes on stdout and stderr
/// go through <see cref="SessionChannel"/> (window) and <see cref="SshTransport"/> (packets, batching, sealing) and
/// are opened by a second transport playing the client, which grants window the way OpenSSH does. Every byte must
/// arrive exactly once and in order per stream, no packet may exceed the client's maximum, and the server may never
/// send more than the window granted (RFC 4254 §5.2).
/// </summary>
public class ChannelDataPathTests
{
    private static readonly byte[] Key64 = RandomNumberGenerator.GetBytes(64);
    private static readonly byte[] Iv = RandomNumberGenerator.GetBytes(16);

    /// <summary>A fresh protection for <paramref name="mode"/> with this class's keys; the same call gives both ends.</summary>
    internal static PacketProtection Create(string mode) => mode switch
    {
        SshAlgorithms.ChaCha20Poly1305 => new ChaCha20Poly1305Protection(Key64),
        SshAlgorithms.Aes128Gcm => new AesGcmProtection(Key64.AsSpan(0, 16), Iv),
        _ => NoProtection.Instance,
    };

    public static TheoryData<string, int, int> Cases => new()
    {
        // cipher, the client's initial window (also what it tops up to), the client's maximum packet
        { SshAlgorithms.ChaCha20Poly1305, 2 * 1024 * 1024, 32 * 1024 }, // OpenSSH's session defaults
        { SshAlgorithms.Aes128Gcm, 2 * 1024 * 1024, 32 * 1024 },
        { SshAlgorithms.Aes128Gcm, 32 * 1024, 32 * 1024 },              // a window of one packet
        { SshAlgorithms.ChaCha20Poly1305, 5000, 1500 },                 // neither a power of two nor aligned to writes
        { SshAlgorithms.Aes128Gcm, 1000, 32 * 1024 },                   // window smaller than a packet
        { "none", 70000, 16 * 1024 },
        { SshAlgorithms.ChaCha20Poly1305, 4 * 1024 * 1024, 64 * 1024 }, // the client allows more than our 32 KiB cap
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public Task EveryByteArrivesInOrderWithinTheWindowAndPacketSize(string mode, int window, int maxPacket) =>
        SendAndCheckAsync(mode, window, maxPacket, blocking: false);

    /// <summary>
    /// The same through <see cref="SessionChannel.SendData"/>, the blocking path a process's output pump takes: it waits
    /// for window and socket on its own thread, and must keep every rule the asynchronous path keeps.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public Task EveryByteArrivesInOrderWithinTheWindowAndPacketSizeThroughBlockingWrites(string mode, int window, int maxPacket) =>
        SendAndCheckAsync(mode, window, maxPacket, blocking: true);

    private static async Task SendAndCheckAsync(string mode, int window, int maxPacket, bool blocking)
    {
        var (serverSide, clientSide) = InMemoryDuplex.Create();
        var server = new SshTransport(serverSide, 256 * 1024);
        var client = new SshTransport(clientSide, 256 * 1024);
        await server.SendNewKeysAsync(Create(mode), resetSequence: true, extInfo: default, default);
        Assert.Equal(new byte[] { 21 }, (await client.ReadPacketAsync(default))!.Value.ToArray());
        client.SwitchReceiveKeys(Create(mode), resetSequence: true);

        const uint remoteId = 7;
        var channel = new SessionChannel(0, remoteId, (uint)window, (uint)maxPacket, server, new SshServerOptions(), _ => { });
        var stdout = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 11);
        var stderr = RandomNumberGenerator.GetBytes(150 * 1024 + 3);
        // Write sizes as git and the pump produce them: whole pipe reads, odd remainders, single bytes, big blocks.
        int[] sizes = [65536, 1, 4097, 32768, 100_000, 65535, 7, 32769, 262_144];

        async ValueTask Send(uint type, ReadOnlyMemory<byte> data)
        {
            if (blocking) channel.SendData(type, data.Span, default);
            else await channel.SendDataAsync(type, data, default);
        }
        // A blocking writer gets a thread of its own, as the pump's: blocking a pool thread could starve the reader below.
        var writer = Task.Factory.StartNew(async () =>
        {
            int o = 0, e = 0, i = 0;
            while (o < stdout.Length)
            {
                var n = Math.Min(sizes[i++ % sizes.Length], stdout.Length - o);
                await Send(0, stdout.AsMemory(o, n));
                o += n;
                if (i % 3 == 0 && e < stderr.Length)
                {
                    var m = Math.Min(9000, stderr.Length - e);
                    await Send(1, stderr.AsMemory(e, m));
                    e += m;
                }
            }
            if (e < stderr.Length) await Send(1, stderr.AsMemory(e));
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

        var gotOut = new MemoryStream();
        var gotErr = new MemoryStream();
        long granted = window, sent = 0;
        var largest = 0;
        while (gotOut.Length < stdout.Length || gotErr.Length < stderr.Length)
        {
            var read = await client.ReadPacketAsync(default).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
            var p = read!.Value.ToArray();
            Assert.Equal(remoteId, BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(1)));
            ReadOnlySpan<byte> data;
            if (p[0] == 94)
            {
                data = p.AsSpan(9, (int)BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(5)));
                Assert.Equal(9 + data.Length, p.Length);
                gotOut.Write(data);
            }
            else
            {
                Assert.Equal(95, p[0]);
                Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(5)));
                data = p.AsSpan(13, (int)BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(9)));
                Assert.Equal(13 + data.Length, p.Length);
                gotErr.Write(data);
            }
            Assert.True(data.Length > 0, "empty data packet");
            Assert.True(data.Length <= Math.Min(maxPacket, 32 * 1024), $"packet of {data.Length} bytes over the maximum {maxPacket}");
            largest = Math.Max(largest, data.Length);
            sent += data.Length;
            Assert.True(sent <= granted, $"{sent} bytes sent with only {granted} granted");
            // OpenSSH tops the window up once half of it is used (channel_check_window).
            if (granted - sent < window / 2)
            {
                var add = (uint)(window - (granted - sent));
                granted += add;
                channel.OnWindowAdjust(add);
            }
        }
        await writer.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(Convert.ToHexString(SHA256.HashData(stdout)), Convert.ToHexString(SHA256.HashData(gotOut.ToArray())));
        Assert.Equal(stdout.Length, gotOut.Length);
        Assert.Equal(stderr, gotErr.ToArray());
        // Full packets are used whenever the window allows: the largest is the smaller of the two limits.
        Assert.Equal(Math.Min(Math.Min(maxPacket, 32 * 1024), window), largest);
    }

    /// <summary>
    /// OpenSSH's client behind a slow reader (git-lfs reading its ssh's stdout a few KiB at a time) credits the window
    /// back in small adjusts. The server must not answer each with a packet of that size: it waits until the write
    /// (up to a quarter of the initial window) fits, then sends full packets.
    /// </summary>
    [Fact]
    public async Task SmallWindowAdjustsAfterTheWindowRanOutAreGatheredIntoFullPackets()
    {
        var (serverSide, clientSide) = InMemoryDuplex.Create();
        var server = new SshTransport(serverSide, 256 * 1024);
        var client = new SshTransport(clientSide, 256 * 1024);
        await server.SendNewKeysAsync(NoProtection.Instance, resetSequence: true, extInfo: default, default);
        Assert.Equal(new byte[] { 21 }, (await client.ReadPacketAsync(default))!.Value.ToArray());
        client.SwitchReceiveKeys(NoProtection.Instance, resetSequence: true);
        const int window = 256 * 1024;
        var channel = new SessionChannel(0, 7, window, 32 * 1024, server, new SshServerOptions(), _ => { });

        // The whole window goes out at once: eight full packets.
        var first = channel.SendDataAsync(0, RandomNumberGenerator.GetBytes(window), default).AsTask();
        for (var i = 0; i < 8; i++) Assert.Equal(32 * 1024, await DataLengthAsync(client));
        await first.WaitAsync(TimeSpan.FromSeconds(60));

        // The client has passed 4 KiB on to its reader and credits it; then the application writes 64 KiB.
        channel.OnWindowAdjust(4096);
        var payload = RandomNumberGenerator.GetBytes(64 * 1024);
        var write = channel.SendDataAsync(0, payload, default).AsTask();
        for (var i = 1; i < 16; i++) channel.OnWindowAdjust(4096);

        // 4 KiB packets (one per adjust) would cost the server a wake-up and a send each: two full packets instead.
        Assert.Equal(32 * 1024, await DataLengthAsync(client));
        Assert.Equal(32 * 1024, await DataLengthAsync(client));
        await write.WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>A waiting stdout write of 64 KiB does not hold back a small stderr write that the window already allows.</summary>
    [Fact]
    public async Task ASmallWriteIsNotHeldBehindALargeWriteWaitingForWindow()
    {
        var credit = new WindowCredit(256 * 1024);
        Assert.Equal(256 * 1024, await credit.TakeAsync(256 * 1024, default));
        var large = credit.TakeAsync(64 * 1024, default).AsTask();
        credit.Add(50);
        var small = credit.TakeAsync(100, default).AsTask();
        Assert.False(large.IsCompleted);
        Assert.False(small.IsCompleted);
        credit.Add(60);
        Assert.Equal(100, await small.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.False(large.IsCompleted);
        credit.Add(64 * 1024);
        Assert.Equal(64 * 1024, await large.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>A window smaller than a quarter of the request still lets data through as soon as any of it is open.</summary>
    [Fact]
    public async Task APeerWithATinyWindowStillGetsData()
    {
        var credit = new WindowCredit(1000);
        Assert.Equal(1000, await credit.TakeAsync(65536, default));
        var take = credit.TakeAsync(65536, default).AsTask();
        credit.Add(250);
        Assert.Equal(250, await take.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>
    /// A peer may keep its window small for good once the first one is used up (RFC 4254 does not say when to adjust):
    /// here it reopens 16 KiB only after each packet it received. The sender must not wait for the quarter of the first
    /// window it would like; after a short wait it sends what is open, and from then on it waits for no more than that.
    /// </summary>
    [Fact]
    public async Task APeerThatKeepsASmallWindowStillGetsEveryByte()
    {
        var credit = new WindowCredit(2 * 1024 * 1024);
        Assert.Equal(2 * 1024 * 1024, await credit.TakeAsync(2 * 1024 * 1024, default));
        var taken = 0;
        for (var i = 0; i < 8; i++)
        {
            var take = credit.TakeAsync(256 * 1024, default).AsTask();
            credit.Add(16 * 1024);
            taken += await take.WaitAsync(TimeSpan.FromSeconds(60));
        }
        Assert.Equal(8 * 16 * 1024, taken);
        // Having learnt the peer's size, a take of it completes at once.
        credit.Add(16 * 1024);
        var next = credit.TakeAsync(256 * 1024, default);
        Assert.True(next.IsCompleted);
        Assert.Equal(16 * 1024, await next);
    }

    /// <summary>A blocking take waits for the window like the asynchronous one, on its own thread, and gathers the same way.</summary>
    [Fact]
    public async Task ABlockingTakeWaitsForTheAdjustAndTakesWhatIsOpen()
    {
        var credit = new WindowCredit(1000);
        Assert.Equal(1000, credit.Take(65536, default));
        var take = Task.Factory.StartNew(() => credit.Take(65536, default), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        credit.Add(250);
        Assert.Equal(250, await take.WaitAsync(TimeSpan.FromSeconds(60)));

        // A peer that keeps a small window: after the gather time the blocking take sends what is open.
        var large = new WindowCredit(2 * 1024 * 1024);
        Assert.Equal(2 * 1024 * 1024, large.Take(2 * 1024 * 1024, default));
        var small = Task.Factory.StartNew(() => large.Take(256 * 1024, default), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        large.Add(16 * 1024);
        Assert.Equal(16 * 1024, await small.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>
    /// A blocking write waiting for a window the client never opens ends when its token is cancelled (the command was
    /// stopped), and one waiting when the channel closes ends with the channel's error: the pump's thread is never
    /// left blocked for good.
    /// </summary>
    [Fact]
    public async Task ABlockingWriteWaitingForWindowEndsOnCancellationAndOnClose()
    {
        var (serverSide, _) = InMemoryDuplex.Create();
        var server = new SshTransport(serverSide, 256 * 1024);
        var channel = new SessionChannel(0, 7, 0, 32 * 1024, server, new SshServerOptions(), _ => { });
        using var stop = new CancellationTokenSource();
        var cancelled = Task.Factory.StartNew(() => channel.SendData(0, new byte[100], stop.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Task.Delay(50);
        Assert.False(cancelled.IsCompleted);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TimeSpan.FromSeconds(60)));

        var credit = new WindowCredit(0);
        var closed = Task.Factory.StartNew(() => credit.Take(100, default), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Task.Delay(50);
        credit.Close();
        var e = await Assert.ThrowsAsync<IOException>(() => closed.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("The channel is closed.", e.Message);
    }

    private static async Task<int> DataLengthAsync(SshTransport client)
    {
        var p = (await client.ReadPacketAsync(default).AsTask().WaitAsync(TimeSpan.FromSeconds(60)))!.Value.ToArray();
        Assert.Equal(94, p[0]);
        return (int)BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(5));
    }
}
