using System.Text;
using Wharf.Core.Errors;

namespace Wharf.Server.Ssh;

/// <summary>
/// How an error reaches an SSH client: one line on stderr (git prints it after "remote:"-less
/// "fatal:" context) and a non-zero exit status. One table for all categories (docs/ARCHITECTURE.md, design rule 3).
/// </summary>
public static class SshErrors
{
    public const int InternalErrorStatus = 1;

    public static int ExitStatus(ErrorCategory category) => category switch
    {
        // Every refusal exits 1: git shows the message and "Could not read from remote repository"
        // either way, and distinct codes would only help someone probe for private names.
        ErrorCategory.InvalidArgument => 1,
        ErrorCategory.NotFound => 1,
        ErrorCategory.AlreadyExists => 1,
        ErrorCategory.PermissionDenied => 1,
        _ => InternalErrorStatus,
    };

    public static byte[] Message(string message) => Encoding.UTF8.GetBytes("wharf: " + message + "\n");

    public const string InternalError = "internal error; the server log has the details.";

    public static async Task<int> WriteAsync(Stream error, WharfException e, CancellationToken cancellationToken)
    {
        await error.WriteAsync(Message(e.Message), cancellationToken);
        await error.FlushAsync(cancellationToken);
        return ExitStatus(e.Category);
    }
}
