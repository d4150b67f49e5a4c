using System.Globalization;
using Wharf.Core.Errors;

namespace Wharf.Core.Lfs;

/// <summary>
/// Server side of git-lfs's pure SSH protocol, <c>git-lfs-transfer OWNER/NAME.git upload|download</c>
/// (git-lfs docs/proposals/ssh_adapter.md, protocol version 1, as git-lfs 3 speaks it): pkt-lines on the SSH channel,
/// several requests on one connection, each answered with <c>status NNN</c> (HTTP's codes), arguments, and lines or data.
/// The caller has already authorised the connection for its operation (read for download, write for upload); this
/// class only refuses what that operation does not cover. Objects are streamed both ways: memory stays at one packet.
/// </summary>
/// <param name="stored">Called after each object is stored, with its OID and size (the audit entry of the upload).</param>
public sealed class LfsTransfer(LfsObjectStore store, Guid repository, bool upload, Stream input, Stream output, ILfsLockHandler? locks = null,
    Func<string, long, Task>? stored = null)
{
    private readonly PktLineReader reader = new(input);
    private readonly PktLineWriter writer = new(output);
    private readonly byte[] packet = new byte[PktLineReader.MaxData];

    /// <summary>Serves requests until the client says quit or closes the connection. Returns the exit status (0).</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        await writer.TextAsync("version=1", cancellationToken);
        if (locks is not null) await writer.TextAsync("locking", cancellationToken);
        await writer.FlushPacketAsync(cancellationToken);
        await writer.SendAsync(cancellationToken);
        var versioned = false;
        while (true)
        {
            var (kind, length) = await reader.ReadAsync(packet, cancellationToken);
            if (kind == PktLineReader.Kind.End) return 0;
            if (kind != PktLineReader.Kind.Data) throw new InvalidDataException("Expected a command.");
            var command = PktLineReader.Text(packet, length);
            var (arguments, delimited) = await ReadArgumentsAsync(cancellationToken);
            var name = command.Split(' ', 2)[0];
            if (name == "quit")
            {
                await StatusAsync(200, cancellationToken);
                await writer.FlushPacketAsync(cancellationToken);
                await writer.SendAsync(cancellationToken);
                return 0;
            }
            if (name == "put-object" && delimited)
            {
                await PutAsync(command, arguments, versioned, cancellationToken);
                await writer.SendAsync(cancellationToken);
                continue;
            }
            var lines = delimited ? await ReadLinesAsync(cancellationToken) : [];
            try
            {
                if (name == "version")
                {
                    if (command != "version 1") throw WharfException.InvalidArgument("Only version 1 of the git-lfs SSH protocol is supported.");
                    versioned = true;
                    await StatusAsync(200, cancellationToken);
                    await writer.FlushPacketAsync(cancellationToken);
                }
                else if (!versioned) throw WharfException.InvalidArgument("Send 'version 1' first.");
                else switch (name)
                {
                    case "batch": await BatchAsync(lines, cancellationToken); break;
                    case "get-object": await GetAsync(command, cancellationToken); break;
                    case "verify-object": await VerifyAsync(command, arguments, cancellationToken); break;
                    case "put-object": throw WharfException.InvalidArgument("put-object needs a delimiter packet before its data.");
                    case "lock" or "unlock" or "list-lock" or "list-locks" when locks is not null:
                        await LockAsync(command, arguments, cancellationToken); break;
                    case "lock" or "unlock" or "list-lock" or "list-locks":
                        throw WharfException.PermissionDenied("LFS locks belong to accounts: this key cannot lock files.");
                    default: throw WharfException.InvalidArgument($"Unknown git-lfs-transfer command {Display.Quote(command, 80)}.");
                }
            }
            catch (WharfException e)
            {
                await ErrorAsync(e, cancellationToken);
            }
            await writer.SendAsync(cancellationToken);
        }
    }

    /// <summary>The HTTP status that stands for a refusal, as the protocol reports them.</summary>
    public static int StatusFor(WharfException e) => e.Category switch
    {
        ErrorCategory.NotFound => 404,
        ErrorCategory.PermissionDenied => 403,
        ErrorCategory.AlreadyExists => 409,
        ErrorCategory.Unavailable => 501,
        _ when e.Code == LfsErrors.TooLargeCode => 413,
        _ when e.Code is LfsErrors.SizeMismatchCode or LfsErrors.HashMismatchCode => 422,
        _ => 400,
    };

    private async Task ErrorAsync(WharfException e, CancellationToken cancellationToken)
    {
        await StatusAsync(StatusFor(e), cancellationToken);
        await writer.DelimiterAsync(cancellationToken);
        await writer.TextAsync(e.Message, cancellationToken);
        await writer.FlushPacketAsync(cancellationToken);
    }

    private Task StatusAsync(int status, CancellationToken cancellationToken) =>
        writer.TextAsync("status " + status.ToString(CultureInfo.InvariantCulture), cancellationToken);

    /// <summary>Text packets up to a delimiter (true) or a flush packet (false).</summary>
    private async Task<(List<string> Arguments, bool Delimited)> ReadArgumentsAsync(CancellationToken cancellationToken)
    {
        var arguments = new List<string>();
        while (true)
        {
            var (kind, length) = await reader.ReadAsync(packet, cancellationToken);
            switch (kind)
            {
                case PktLineReader.Kind.Data: arguments.Add(PktLineReader.Text(packet, length)); break;
                case PktLineReader.Kind.Delimiter: return (arguments, true);
                case PktLineReader.Kind.Flush: return (arguments, false);
                default: throw new InvalidDataException("The connection ended inside a request.");
            }
            if (arguments.Count > 100_000) throw new InvalidDataException("Too many arguments in one request.");
        }
    }

    private async Task<List<string>> ReadLinesAsync(CancellationToken cancellationToken)
    {
        var (lines, delimited) = await ReadArgumentsAsync(cancellationToken);
        if (delimited) throw new InvalidDataException("A second delimiter packet in one request.");
        return lines;
    }

    private static string? Argument(List<string> arguments, string key) =>
        arguments.FirstOrDefault(a => a.StartsWith(key + "=", StringComparison.Ordinal))?[(key.Length + 1)..];

    private static long ParseSize(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : throw LfsErrors.InvalidSize(text);

    private static string Oid(string command) => LfsObjectStore.CheckOid(command.Split(' ') is [_, var oid, ..] ? oid : null);

    private async Task BatchAsync(List<string> lines, CancellationToken cancellationToken)
    {
        var answers = new List<string>(lines.Count);
        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            if (parts.Length < 2) throw WharfException.InvalidArgument($"Malformed batch line {Display.Quote(line, 80)}: expected 'OID SIZE'.");
            var oid = LfsObjectStore.CheckOid(parts[0]);
            var size = ParseSize(parts[1]);
            var stored = store.Size(repository, oid);
            if (upload)
            {
                store.CheckSize(oid, size);
                answers.Add($"{oid} {size} {(stored == size ? "noop" : "upload")}");
            }
            else
            {
                // A missing object is named with its stored size, or refused: git-lfs reports it as missing on the server.
                if (stored is null) throw LfsErrors.NotFound(oid);
                answers.Add($"{oid} {stored} download");
            }
        }
        await StatusAsync(200, cancellationToken);
        await writer.TextAsync("hash-algo=sha256", cancellationToken);
        await writer.DelimiterAsync(cancellationToken);
        foreach (var answer in answers) await writer.TextAsync(answer, cancellationToken);
        await writer.FlushPacketAsync(cancellationToken);
    }

    private async Task GetAsync(string command, CancellationToken cancellationToken)
    {
        var oid = Oid(command);
        await using var file = store.OpenRead(repository, oid);
        await StatusAsync(200, cancellationToken);
        await writer.TextAsync("size=" + file.Length.ToString(CultureInfo.InvariantCulture), cancellationToken);
        await writer.DelimiterAsync(cancellationToken);
        await writer.CopyAsync(file, cancellationToken);
        await writer.FlushPacketAsync(cancellationToken);
    }

    private async Task VerifyAsync(string command, List<string> arguments, CancellationToken cancellationToken)
    {
        var oid = Oid(command);
        // The proposal puts the size on the command line; git-lfs sends it as an argument.
        var size = ParseSize(command.Split(' ') is [_, _, var s] ? s : Argument(arguments, "size"));
        if (store.Size(repository, oid) != size) throw LfsErrors.NotFound(oid);
        await StatusAsync(200, cancellationToken);
        await writer.FlushPacketAsync(cancellationToken);
    }

    /// <summary>Stores one upload; whatever happens, the request is read to its flush packet so the connection stays in step.</summary>
    private async Task PutAsync(string command, List<string> arguments, bool versioned, CancellationToken cancellationToken)
    {
        var data = new PktLineDataStream(reader);
        try
        {
            if (!versioned) throw WharfException.InvalidArgument("Send 'version 1' first.");
            if (!upload) throw WharfException.PermissionDenied("This connection was opened for download: run git-lfs-transfer with 'upload' to store objects.");
            var oid = Oid(command);
            var size = ParseSize(Argument(arguments, "size"));
            await store.StoreAsync(repository, oid, size, data, cancellationToken);
            if (stored is not null) await stored(oid, size);
            await StatusAsync(200, cancellationToken);
            await writer.FlushPacketAsync(cancellationToken);
        }
        catch (WharfException e)
        {
            await data.DrainAsync(cancellationToken);
            await ErrorAsync(e, cancellationToken);
        }
    }

    private async Task LockAsync(string command, List<string> arguments, CancellationToken cancellationToken)
    {
        var name = command.Split(' ', 2)[0];
        var result = name switch
        {
            "lock" => await locks!.CreateAsync(Argument(arguments, "path"), cancellationToken),
            "unlock" => await locks!.DeleteAsync(command.Split(' ') is [_, var id] ? id : "", Argument(arguments, "force") == "true", cancellationToken),
            _ => await locks!.ListAsync(Argument(arguments, "path"), Argument(arguments, "id"), Argument(arguments, "cursor"), Argument(arguments, "limit"), cancellationToken),
        };
        await StatusAsync(result.Status, cancellationToken);
        if (result.Lock is { } one)
            foreach (var line in new[] { "id=" + one.Id, "path=" + one.Path, "locked-at=" + Timestamp(one.LockedAt), "ownername=" + one.OwnerName })
                await writer.TextAsync(line, cancellationToken);
        if (result.Message is { } message)
        {
            await writer.DelimiterAsync(cancellationToken);
            await writer.TextAsync(message, cancellationToken);
        }
        else if (result.List is { } list)
        {
            if (result.NextCursor is { } next) await writer.TextAsync("next-cursor=" + next, cancellationToken);
            await writer.DelimiterAsync(cancellationToken);
            foreach (var item in list)
            {
                await writer.TextAsync("lock " + item.Id, cancellationToken);
                await writer.TextAsync($"path {item.Id} {item.Path}", cancellationToken);
                await writer.TextAsync($"locked-at {item.Id} {Timestamp(item.LockedAt)}", cancellationToken);
                await writer.TextAsync($"ownername {item.Id} {item.OwnerName}", cancellationToken);
                await writer.TextAsync($"owner {item.Id} {(locks!.IsOurs(item) ? "ours" : "theirs")}", cancellationToken);
            }
        }
        await writer.FlushPacketAsync(cancellationToken);
    }

    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>One LFS lock as clients see it.</summary>
public sealed record LfsLockView(string Id, string Path, DateTimeOffset LockedAt, string OwnerName, long OwnerId);

/// <summary>The answer to one lock request: a status, and a lock, a list or a message.</summary>
public sealed record LfsLockResult(int Status, LfsLockView? Lock = null, IReadOnlyList<LfsLockView>? List = null, string? NextCursor = null, string? Message = null);

/// <summary>The locks of one repository, for one caller (<see cref="LfsTransfer"/>): implemented where the database is.</summary>
public interface ILfsLockHandler
{
    Task<LfsLockResult> CreateAsync(string? path, CancellationToken cancellationToken);
    Task<LfsLockResult> DeleteAsync(string id, bool force, CancellationToken cancellationToken);
    Task<LfsLockResult> ListAsync(string? path, string? id, string? cursor, string? limit, CancellationToken cancellationToken);
    bool IsOurs(LfsLockView item);
}
