using System.Text;
using Wharf.Ssh.Authentication;
using Wharf.Ssh.Connection;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Messages;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.Tests.Protocol;

/// <summary>
/// OpenSSH's hostkeys-00 / hostkeys-prove-00 (openssh-portable PROTOCOL, "hostkeys-00@openssh.com"): what the server
/// announces after login and how it proves it holds each key, checked against the signature verifier clients use.
/// </summary>
public sealed class HostKeyRotationTests
{
    private static readonly SshHostKey Active = SshHostKey.GenerateEd25519();
    private static readonly SshHostKey Next = SshHostKey.GenerateEd25519();
    private static readonly SshHostKey Rsa = SshHostKey.GenerateRsa();
    private static readonly byte[] SessionId = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    private static byte[] ProveRequest(params SshHostKey[] keys)
    {
        var w = new SshWriter(1024);
        w.WriteByte(MessageNumbers.GlobalRequest);
        w.WriteString(HostKeyRotation.Prove);
        w.WriteBoolean(true);
        foreach (var key in keys) w.WriteBinary(key.PublicKey.Blob);
        return w.ToArray();
    }

    private static byte[] Answer(byte[] request, string? kexHostKeyAlgorithm = SshKeyTypes.Ed25519)
    {
        var r = new SshReader(request);
        r.ReadByte();
        Assert.Equal(HostKeyRotation.Prove, r.ReadString());
        Assert.True(r.ReadBoolean());
        return HostKeyRotation.Answer(ref r, [Active, Rsa, Next], SessionId, kexHostKeyAlgorithm);
    }

    private static byte[] SignedData(SshHostKey key)
    {
        var w = new SshWriter(256);
        w.WriteString("hostkeys-prove-00@openssh.com");
        w.WriteBinary(SessionId);
        w.WriteBinary(key.PublicKey.Blob);
        return w.ToArray();
    }

    private static List<byte[]> Signatures(byte[] answer)
    {
        var r = new SshReader(answer);
        Assert.Equal(MessageNumbers.RequestSuccess, r.ReadByte());
        var signatures = new List<byte[]>();
        while (r.Remaining > 0) signatures.Add(r.ReadBinary().ToArray());
        return signatures;
    }

    private static string AlgorithmOf(byte[] signature) => Encoding.ASCII.GetString(new SshReader(signature).ReadBinary());

    [Fact]
    public void TheAnnouncementListsEveryKeyAndWantsNoReply()
    {
        var r = new SshReader(HostKeyRotation.Announcement([Active, Rsa, Next]));
        Assert.Equal(MessageNumbers.GlobalRequest, r.ReadByte());
        Assert.Equal("hostkeys-00@openssh.com", r.ReadString());
        Assert.False(r.ReadBoolean());
        var blobs = new List<byte[]>();
        while (r.Remaining > 0) blobs.Add(r.ReadBinary().ToArray());
        Assert.Equal([Active.PublicKey.BlobArray(), Rsa.PublicKey.BlobArray(), Next.PublicKey.BlobArray()], blobs);
    }

    [Fact]
    public void EachRequestedKeyIsProvedInTheOrderAskedOverNameSessionIdAndKey()
    {
        var signatures = Signatures(Answer(ProveRequest(Next, Rsa)));

        Assert.Equal(2, signatures.Count);
        Assert.True(SignatureVerifier.Verify(Next.PublicKey, SshKeyTypes.Ed25519, signatures[0], SignedData(Next)));
        // The key exchange signed with Ed25519, so RSA proves with rsa-sha2-512.
        Assert.Equal(SshKeyTypes.RsaSha2_512, AlgorithmOf(signatures[1]));
        Assert.True(SignatureVerifier.Verify(Rsa.PublicKey, SshKeyTypes.RsaSha2_512, signatures[1], SignedData(Rsa)));
        // A proof is bound to its key and session: it does not verify for another key's data.
        Assert.False(SignatureVerifier.Verify(Next.PublicKey, SshKeyTypes.Ed25519, signatures[0], SignedData(Active)));
    }

    [Theory]
    [InlineData(SshKeyTypes.RsaSha2_256)]
    [InlineData(SshKeyTypes.RsaSha2_512)]
    public void AnRsaKeyProvesWithTheRsaAlgorithmOfTheKeyExchange(string negotiated)
    {
        var signature = Assert.Single(Signatures(Answer(ProveRequest(Rsa), negotiated)));
        Assert.Equal(negotiated, AlgorithmOf(signature));
        Assert.True(SignatureVerifier.Verify(Rsa.PublicKey, negotiated, signature, SignedData(Rsa)));
    }

    [Fact]
    public void AKeyTheServerDoesNotHoldGetsAFailure() =>
        Assert.Equal([MessageNumbers.RequestFailure], Answer(ProveRequest(Next, SshHostKey.GenerateEd25519())));

    [Fact]
    public void AKeyAskedTwiceGetsAFailure() =>
        Assert.Equal([MessageNumbers.RequestFailure], Answer(ProveRequest(Next, Next)));

    [Fact]
    public void ARequestWithNoKeyGetsAFailure() =>
        Assert.Equal([MessageNumbers.RequestFailure], Answer(ProveRequest()));
}
