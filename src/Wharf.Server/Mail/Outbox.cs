using MimeKit;
using Wharf.Core;

namespace Wharf.Server.Mail;

/// <summary>
/// <c>DATA/mail/outbox</c>: messages not yet accepted by an SMTP server, one complete RFC 5322 <c>.eml</c>
/// file each, named so that they sort by the time they were queued. <c>DATA/mail/rejected</c> keeps those
/// an SMTP server refused for good, for an operator to read.
/// </summary>
public sealed class Outbox(WharfPaths paths, TimeProvider time)
{
    public string Directory => Path(paths);
    public string RejectedDirectory => System.IO.Path.Combine(paths.DataDirectory, "mail", "rejected");

    public static string Path(WharfPaths paths) => System.IO.Path.Combine(paths.DataDirectory, "mail", "outbox");

    public async Task<string> WriteAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        // Sortable by time, unique by the random part; written under a temporary name and renamed, so a
        // reader of the outbox (the outbox sender, an operator) never sees half a message.
        var name = $"{time.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid():N}.eml";
        var path = System.IO.Path.Combine(Directory, name);
        var temporary = path + ".tmp";
        await message.WriteToAsync(temporary, cancellationToken);
        File.Move(temporary, path);
        return path;
    }

    /// <summary>The queued messages, oldest first; files still being written (<c>.tmp</c>) are not listed.</summary>
    public IReadOnlyList<string> List() => System.IO.Directory.Exists(Directory)
        ? [.. System.IO.Directory.GetFiles(Directory, "*.eml").Order(StringComparer.Ordinal)]
        : [];

    public string MoveToRejected(string file)
    {
        System.IO.Directory.CreateDirectory(RejectedDirectory);
        var target = System.IO.Path.Combine(RejectedDirectory, System.IO.Path.GetFileName(file));
        File.Move(file, target, overwrite: true);
        return target;
    }
}
