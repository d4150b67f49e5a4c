using System.Security.Cryptography;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.Messages;

/// <summary>SSH_MSG_KEXINIT (RFC 4253 §7.1). The raw payload is kept: it enters the exchange hash as sent.</summary>
internal sealed class KexInit
{
    public required string[] Kex { get; init; }
    public required string[] HostKey { get; init; }
    public required string[] CiphersClientToServer { get; init; }
    public required string[] CiphersServerToClient { get; init; }
    public required string[] MacsClientToServer { get; init; }
    public required string[] MacsServerToClient { get; init; }
    public required string[] CompressionClientToServer { get; init; }
    public required string[] CompressionServerToClient { get; init; }
    public bool FirstKexPacketFollows { get; init; }
    /// <summary>The payload exactly as sent or received, from the message number on (I_C / I_S).</summary>
    public byte[] Payload { get; private set; } = [];

    public static KexInit Read(ReadOnlySpan<byte> payload)
    {
        var r = new SshReader(payload);
        r.ReadByte();
        r.ReadBytes(16); // cookie
        var m = new KexInit
        {
            Kex = r.ReadNameList(),
            HostKey = r.ReadNameList(),
            CiphersClientToServer = r.ReadNameList(),
            CiphersServerToClient = r.ReadNameList(),
            MacsClientToServer = r.ReadNameList(),
            MacsServerToClient = r.ReadNameList(),
            CompressionClientToServer = r.ReadNameList(),
            CompressionServerToClient = r.ReadNameList(),
        };
        r.ReadNameList(); // languages c->s
        r.ReadNameList(); // languages s->c
        var follows = r.ReadBoolean();
        r.ReadUInt32(); // reserved
        return new KexInit
        {
            Kex = m.Kex, HostKey = m.HostKey,
            CiphersClientToServer = m.CiphersClientToServer, CiphersServerToClient = m.CiphersServerToClient,
            MacsClientToServer = m.MacsClientToServer, MacsServerToClient = m.MacsServerToClient,
            CompressionClientToServer = m.CompressionClientToServer, CompressionServerToClient = m.CompressionServerToClient,
            FirstKexPacketFollows = follows,
            Payload = payload.ToArray(),
        };
    }

    /// <summary>Serialises with a fresh random cookie and remembers the bytes for the exchange hash.</summary>
    public byte[] Write()
    {
        var w = new SshWriter(512);
        w.WriteByte(MessageNumbers.KexInit);
        Span<byte> cookie = stackalloc byte[16];
        RandomNumberGenerator.Fill(cookie);
        w.WriteRaw(cookie);
        w.WriteNameList(Kex);
        w.WriteNameList(HostKey);
        w.WriteNameList(CiphersClientToServer);
        w.WriteNameList(CiphersServerToClient);
        w.WriteNameList(MacsClientToServer);
        w.WriteNameList(MacsServerToClient);
        w.WriteNameList(CompressionClientToServer);
        w.WriteNameList(CompressionServerToClient);
        w.WriteNameList([]);
        w.WriteNameList([]);
        w.WriteBoolean(FirstKexPacketFollows);
        w.WriteUInt32(0);
        Payload = w.ToArray();
        return Payload;
    }
}
