namespace Wharf.Ssh.Transport;

/// <summary>
/// Encryption and integrity of one direction of the binary packet protocol (RFC 4253 §6) for one key
/// epoch. Every mode Wharf offers lets the receiver learn the packet length from the first four bytes
/// alone (EtM MACs, AES-GCM and chacha20-poly1305 keep it clear or encrypt it separately), so one reader
/// serves them all. Instances hold their keys and scratch buffers for the whole epoch: no allocation per
/// packet.
/// </summary>
internal abstract class PacketProtection : IDisposable
{
    /// <summary>Padding alignment: 8 for none and chacha20-poly1305, 16 for AES.</summary>
    public abstract int BlockSize { get; }

    /// <summary>Bytes of MAC or AEAD tag after the packet.</summary>
    public abstract int TagSize { get; }

    /// <summary>
    /// True when the 4-byte length counts towards the padding alignment (the unencrypted initial state,
    /// RFC 4253 §6). EtM and AEAD modes exclude it (OpenSSH packet.c, docs/SSH-INTEROP.md §4).
    /// </summary>
    public virtual bool LengthIsAligned => false;

    /// <summary>Reads the packet length from the first four bytes as they arrived.</summary>
    public abstract uint ReadLength(ReadOnlySpan<byte> first4, uint sequence);

    /// <summary>
    /// Verifies the tag over <paramref name="packet"/> (length field plus body, as received) and then
    /// decrypts the body in place. Returns false, touching nothing useful, when the tag is wrong.
    /// </summary>
    public abstract bool Open(Span<byte> packet, ReadOnlySpan<byte> tag, uint sequence);

    /// <summary>Encrypts <paramref name="packet"/> (length field plus body) in place and writes the tag.</summary>
    public abstract void Seal(Span<byte> packet, Span<byte> tag, uint sequence);

    public virtual void Dispose() { }
}

/// <summary>The state before the first NEWKEYS: no encryption, no MAC.</summary>
internal sealed class NoProtection : PacketProtection
{
    public static readonly NoProtection Instance = new();
    public override int BlockSize => 8;
    public override int TagSize => 0;
    public override bool LengthIsAligned => true;
    public override uint ReadLength(ReadOnlySpan<byte> first4, uint sequence) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(first4);
    public override bool Open(Span<byte> packet, ReadOnlySpan<byte> tag, uint sequence) => true;
    public override void Seal(Span<byte> packet, Span<byte> tag, uint sequence) { }
    public override void Dispose() { }
}
