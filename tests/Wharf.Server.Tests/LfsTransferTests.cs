using System.Security.Cryptography;
using System.Text;
using Wharf.Core;
using Wharf.Core.Lfs;

namespace Wharf.Server.Tests;

/// <summary>git-lfs-transfer's download (<see cref="LfsTransfer"/>) of objects of one byte to several packets, on in-memory streams.</summary>
public sealed class LfsTransferTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "wharf-lfs-transfer-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static string Pkt(string text) => (Encoding.UTF8.GetByteCount(text) + 4).ToString("x4", System.Globalization.CultureInfo.InvariantCulture) + text;

    [Theory]
    [InlineData(1)]
    [InlineData(PktLineReader.MaxData * 4)]        // whole packets only: the end shows as a read of nothing
    [InlineData(PktLineReader.MaxData * 9 + 123)]  // ten packets, the last one short
    public async Task GetObjectSendsTheWholeObjectInFullDataPacketsThenAFlush(int size)
    {
        var content = new byte[size];
        new Random(size).NextBytes(content);
        var oid = Convert.ToHexStringLower(SHA256.HashData(content));
        var repository = Guid.NewGuid();
        var store = new LfsObjectStore(new WharfPaths(_dir), new LfsSettings());
        await store.StoreAsync(repository, oid, size, new MemoryStream(content), CancellationToken.None);
        var input = new MemoryStream(Encoding.ASCII.GetBytes(
            Pkt("version 1\n") + "0000" + Pkt($"get-object {oid}\n") + "0000" + Pkt("quit\n") + "0000"));
        var output = new MemoryStream();

        var status = await new LfsTransfer(store, repository, upload: false, input, output).RunAsync(CancellationToken.None);

        Assert.Equal(0, status);
        var packets = Packets(output.ToArray());
        Assert.Equal(new[] { "version=1\n", "0000", "status 200\n", "0000", "status 200\n", $"size={size}\n", "0001" },
            packets.Take(7).Select(Show));
        var data = packets.Skip(7).TakeWhile(p => p is not null).Select(p => p!).ToList();
        Assert.Equal(content, data.SelectMany(p => p).ToArray());
        // Every data packet but the last is full: no short packets in between.
        Assert.All(data.SkipLast(1), p => Assert.Equal(PktLineReader.MaxData, p.Length));
        Assert.Equal(new[] { "0000", "status 200\n", "0000" }, packets.Skip(7 + data.Count).Select(Show));
    }

    private static string Show(byte[]? packet) => packet switch
    {
        null => "0000",
        { Length: 0 } => "0001",
        _ => Encoding.UTF8.GetString(packet),
    };

    /// <summary>The pkt-lines of an answer: a data packet's bytes, an empty array for a delimiter, null for a flush.</summary>
    private static List<byte[]?> Packets(byte[] answer)
    {
        var packets = new List<byte[]?>();
        for (var at = 0; at < answer.Length;)
        {
            var length = Convert.ToInt32(Encoding.ASCII.GetString(answer, at, 4), 16);
            packets.Add(length switch { 0 => null, 1 => [], _ => answer[(at + 4)..(at + length)] });
            at += length <= 1 ? 4 : length;
        }
        return packets;
    }
}
