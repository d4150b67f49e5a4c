using Wharf.Core.Errors;

namespace Wharf.Core.Lfs;

/// <summary>Every refusal about Git LFS objects, with its API code, in one table.</summary>
public static class LfsErrors
{
    public const string InvalidOidCode = "lfs-oid-invalid";
    public const string InvalidSizeCode = "lfs-size-invalid";
    public const string TooLargeCode = "lfs-object-too-large";
    public const string SizeMismatchCode = "lfs-size-mismatch";
    public const string HashMismatchCode = "lfs-hash-mismatch";
    public const string NotFoundCode = "lfs-object-not-found";

    public static WharfException InvalidOid(string? oid) =>
        WharfException.InvalidArgument($"Invalid LFS object id {Display.Quote(oid, 80)}: expected a SHA-256 of 64 lower-case hexadecimal digits.", InvalidOidCode);

    public static WharfException InvalidSize(string? size) =>
        WharfException.InvalidArgument($"Invalid LFS object size {Display.Quote(size, 40)}: expected a whole number of bytes.", InvalidSizeCode);

    public static WharfException TooLarge(string oid, long size, long max) =>
        WharfException.InvalidArgument($"LFS object {oid} is {size} bytes, more than this server accepts ({max} bytes, Lfs:MaxObjectBytes).", TooLargeCode);

    public static WharfException SizeMismatch(string oid, long announced, string received) =>
        WharfException.InvalidArgument($"LFS object {oid} was refused: {announced} bytes were announced and {received} received; nothing was stored.", SizeMismatchCode);

    public static WharfException HashMismatch(string oid, string actual) =>
        WharfException.InvalidArgument($"LFS object {oid} was refused: the bytes received have the SHA-256 {actual}; nothing was stored.", HashMismatchCode);

    public static WharfException NotFound(string oid) =>
        WharfException.NotFound($"LFS object {oid} does not exist in this repository.", NotFoundCode);
}
