using System.Buffers;
using System.Security.Cryptography;

namespace Wharf.Core.Lfs;

/// <summary>
/// Git LFS objects, content-addressed on disk (<see cref="WharfPaths.Lfs"/>):
/// <code>DATA/lfs/REPOSITORY-UUID/aa/bb/OID</code>
/// where OID is the object's SHA-256 and aa, bb its first two pairs of digits. The repository's uuid never changes,
/// so renaming a repository (or its owner) leaves its objects where they are. The directory can be shared by several
/// nodes exactly as <c>DATA/repositories</c> is: an object appears in one rename of a complete, verified file, so no
/// reader on any node ever sees half of one.
/// </summary>
public sealed class LfsObjectStore(WharfPaths paths, LfsSettings settings)
{
    private const int BufferSize = 1 << 16;

    public LfsSettings Settings => settings;

    /// <summary>A SHA-256 as git-lfs writes it: 64 lower-case hexadecimal digits.</summary>
    public static bool IsValidOid(string? oid) =>
        oid is { Length: 64 } && oid.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    public static string CheckOid(string? oid) => IsValidOid(oid) ? oid! : throw LfsErrors.InvalidOid(oid);

    /// <summary>Refuses a size no upload of it could pass: negative, or above <see cref="LfsSettings.MaxObjectBytes"/>.</summary>
    public void CheckSize(string oid, long size)
    {
        if (size < 0) throw LfsErrors.InvalidSize(size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (size > settings.MaxObjectBytes) throw LfsErrors.TooLarge(oid, size, settings.MaxObjectBytes);
    }

    /// <summary>The directory of one repository's objects.</summary>
    public string RepositoryDirectory(Guid repository) => Path.Combine(paths.Lfs, repository.ToString("D"));

    public string ObjectPath(Guid repository, string oid)
    {
        CheckOid(oid);
        return Path.Combine(RepositoryDirectory(repository), oid[..2], oid[2..4], oid);
    }

    /// <summary>The stored object's size, or null when the repository does not have it.</summary>
    public long? Size(Guid repository, string oid)
    {
        var file = new FileInfo(ObjectPath(repository, oid));
        return file.Exists ? file.Length : null;
    }

    /// <summary>Whether the repository has this object with exactly this size.</summary>
    public bool Has(Guid repository, string oid, long size) => Size(repository, oid) == size;

    /// <summary>Opens a stored object for reading (streamed: the caller copies it out in pieces).</summary>
    public FileStream OpenRead(Guid repository, string oid)
    {
        try
        {
            return new FileStream(ObjectPath(repository, oid), FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw LfsErrors.NotFound(oid);
        }
    }

    /// <summary>
    /// Stores an upload: <paramref name="content"/> is written to a temporary file in the object's own directory while
    /// its SHA-256 is computed; only when exactly <paramref name="size"/> bytes came and their hash is
    /// <paramref name="oid"/> is the file synced and renamed to its name. Anything else deletes the temporary file and
    /// throws a <see cref="Errors.WharfException"/> saying why, so a refused upload leaves nothing behind. Reading stops
    /// one byte past the announced size: a client cannot fill the disk by sending more than it announced.
    /// </summary>
    public async Task StoreAsync(Guid repository, string oid, long size, Stream content, CancellationToken cancellationToken)
    {
        CheckSize(oid, size);
        var target = ObjectPath(repository, oid);
        var directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        // A dot name that no object can have; two uploads of the same object each write their own.
        var temporary = Path.Combine(directory, $".{oid}.{Guid.NewGuid():N}.tmp");
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long received = 0;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous))
            {
                int read;
                while ((read = await content.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
                {
                    received += read;
                    if (received > size) throw LfsErrors.SizeMismatch(oid, size, $"more than {size}");
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                if (received != size)
                    throw LfsErrors.SizeMismatch(oid, size, received.ToString(System.Globalization.CultureInfo.InvariantCulture));
                var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
                if (actual != oid) throw LfsErrors.HashMismatch(oid, actual);
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }
            // The same name always holds the same bytes, so a concurrent upload of this object may win the race harmlessly.
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
