using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Wharf.Ssh.Algorithms;
using Wharf.Ssh.Connection;
using Wharf.Ssh.Server;
using Wharf.Ssh.Tests.Support;
using Wharf.Ssh.Transport;

namespace Wharf.Ssh.Tests.Transport;

/// <summary>
/// The blocking send path over a real loopback TCP socket, as a process's output pump uses it: non-blocking send(2)
/// calls, and poll(2) while the socket is full (SshTransport.FlushSend). The in-memory tests in
/// <see cref="ChannelDataPathTests"/> never reach it, since only a NetworkStream has a socket. Small socket buffers make
/// the socket fill long before the payload is out, so every test here waits in poll at least once.
/// </summary>
public class SocketSendPathTests
{
    // Far more than both sockets' buffers (64 KiB asked for each; Linux doubles it) and the kernel's autotuning headroom.
    private const int Payload = 8 * 1024 * 1024 + 5;

    [Theory]
    [InlineData(SshAlgorithms.Aes128Gcm)]
    [InlineData(SshAlgorithms.ChaCha20Poly1305)]
    public async Task EveryByteArrivesInOrderAfterTheWriterWaitedForTheSocket(string mode)
    {
        using var pair = await SocketPair.CreateAsync();
        var (server, client) = await TransportsAsync(pair, mode);
        var channel = new SessionChannel(0, 7, uint.MaxValue, 32 * 1024, server, new SshServerOptions(), _ => { });
        var data = RandomNumberGenerator.GetBytes(Payload);

        var writer = OnOwnThread(() =>
        {
            for (var o = 0; o < data.Length; o += 65536) channel.SendData(0, data.AsSpan(o, Math.Min(65536, data.Length - o)), default);
        });
        // Nobody reads yet: the window is open, so the writer can only be waiting for the socket.
        await Task.Delay(300);
        Assert.False(writer.IsCompleted, "8 MiB went into a socket nobody reads");

        var got = new MemoryStream();
        while (got.Length < data.Length)
        {
            var p = (await client.ReadPacketAsync(default).AsTask().WaitAsync(TimeSpan.FromSeconds(60)))!.Value.ToArray();
            Assert.Equal(94, p[0]);
            var n = (int)BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(5));
            Assert.Equal(9 + n, p.Length);
            got.Write(p, 9, n);
        }
        await writer.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(got.ToArray()));
    }

    [Fact]
    public async Task AWriterWaitingForAFullSocketEndsWhenItsTokenIsCancelled()
    {
        using var pair = await SocketPair.CreateAsync();
        var (server, _) = await TransportsAsync(pair, SshAlgorithms.Aes128Gcm);
        var channel = new SessionChannel(0, 7, uint.MaxValue, 32 * 1024, server, new SshServerOptions(), _ => { });
        using var stop = new CancellationTokenSource();
        var writer = OnOwnThread(() => channel.SendData(0, new byte[Payload], stop.Token));
        await Task.Delay(300);
        Assert.False(writer.IsCompleted);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task AWriterWaitingForAFullSocketEndsWithAnIOErrorWhenThePeerGoesAway()
    {
        using var pair = await SocketPair.CreateAsync();
        var (server, _) = await TransportsAsync(pair, SshAlgorithms.Aes128Gcm);
        var channel = new SessionChannel(0, 7, uint.MaxValue, 32 * 1024, server, new SshServerOptions(), _ => { });
        var writer = OnOwnThread(() => channel.SendData(0, new byte[Payload], default));
        await Task.Delay(300);
        Assert.False(writer.IsCompleted);

        // Closed with unread bytes in its buffer, the peer answers with a reset.
        pair.Client.Close();
        var e = await Assert.ThrowsAsync<IOException>(() => writer.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.StartsWith("Unable to write data to the transport connection: ", e.Message);
        Assert.IsType<SocketException>(e.InnerException);
    }

    /// <summary>
    /// Padding is drawn from a buffer of random bytes filled a kilobyte at a time: each packet must still get bytes of
    /// its own, including across refills (300 packets of 4 to 19 bytes each pass the kilobyte several times).
    /// </summary>
    [Fact]
    public async Task EveryPacketGetsPaddingOfItsOwnAcrossRefills()
    {
        var (serverSide, clientSide) = InMemoryDuplex.Create();
        var server = new SshTransport(serverSide, 256 * 1024);
        for (var i = 0; i < 300; i++) await server.SendAsync(new byte[18] { 2, (byte)i, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }.AsMemory(0, 1 + i % 17));

        var paddings = new HashSet<string>();
        var total = 0;
        var header = new byte[5];
        for (var i = 0; i < 300; i++)
        {
            await clientSide.ReadExactlyAsync(header).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(header);
            var rest = new byte[length - 1];
            await clientSide.ReadExactlyAsync(rest).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
            var padding = rest.AsSpan(rest.Length - header[4]);
            Assert.InRange(padding.Length, 4, 255);
            total += padding.Length;
            Assert.True(paddings.Add(Convert.ToHexString(padding)), $"packet {i} repeats an earlier packet's padding");
        }
        Assert.True(total > 2 * 1024, $"only {total} bytes of padding: the refill was not reached");
    }

    private static async Task<(SshTransport Server, SshTransport Client)> TransportsAsync(SocketPair pair, string mode)
    {
        var server = new SshTransport(new NetworkStream(pair.Server), 256 * 1024);
        var client = new SshTransport(new NetworkStream(pair.Client), 256 * 1024);
        await server.SendNewKeysAsync(ChannelDataPathTests.Create(mode), resetSequence: true, extInfo: default, default);
        Assert.Equal(new byte[] { 21 }, (await client.ReadPacketAsync(default))!.Value.ToArray());
        client.SwitchReceiveKeys(ChannelDataPathTests.Create(mode), resetSequence: true);
        return (server, client);
    }

    // The pump's thread is its own: a blocked writer on a pool thread could starve the test's reader.
    private static Task OnOwnThread(Action write) =>
        Task.Factory.StartNew(write, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private sealed class SocketPair : IDisposable
    {
        public required Socket Server { get; init; }
        public required Socket Client { get; init; }

        public static async Task<SocketPair> CreateAsync()
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 64 * 1024, NoDelay = true };
            await client.ConnectAsync(listener.LocalEndPoint!);
            var server = await listener.AcceptAsync();
            server.SendBufferSize = 64 * 1024;
            server.NoDelay = true;
            return new SocketPair { Server = server, Client = client };
        }

        public void Dispose()
        {
            Server.Dispose();
            Client.Dispose();
        }
    }
}
