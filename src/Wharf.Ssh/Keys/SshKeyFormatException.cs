namespace Wharf.Ssh.Keys;

/// <summary>Why a public key could not be read. The message is written for the person who pasted it.</summary>
public sealed class SshKeyFormatException(SshKeyError error, string message) : Exception(message)
{
    public SshKeyError Error { get; } = error;
}

/// <summary>Machine-readable reasons a key is refused; front ends map these to codes and messages.</summary>
public enum SshKeyError
{
    Empty,
    NotOpenSshFormat,
    InvalidBase64,
    Truncated,
    TypeMismatch,
    UnsupportedType,
    TooSmall,
    TooLarge,
    InvalidKeyData,
    PrivateKey,
    MultipleKeys,
    TooLong,
}
