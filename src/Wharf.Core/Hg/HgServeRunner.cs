using Wharf.Core.Git;

namespace Wharf.Core.Hg;

/// <summary>
/// Runs <c>hg serve --stdio</c> on a repository that access control already approved for reading.
/// Mercurial's ssh protocol carries pulls and pushes over the same command, so write access is enforced
/// inside hg: below Write, hooks refuse every transaction and every pushkey (bookmarks, phases), the way
/// Mercurial's own contrib/hg-ssh does. Whether a push changed anything is learned from a hook too.
/// </summary>
public sealed class HgServeRunner(HgBinary hg)
{
    /// <returns>hg's exit status, and whether a transaction was committed (a push that changed the repository).</returns>
    public async Task<(int Status, bool Changed)> RunAsync(string repositoryPath, string repositoryName, bool canWrite,
        Stream input, Stream output, Stream error, CancellationToken cancellationToken)
    {
        // Only validated names and a GUID are interpolated into these hook commands, never client text.
        var marker = Path.Combine(Path.GetTempPath(), "wharf-hg-" + Guid.NewGuid().ToString("N"));
        List<string> args = ["-R", repositoryPath, "serve", "--stdio"];
        if (canWrite)
        {
            args.AddRange(["--config", $"hooks.txnclose.wharf=touch '{marker}'"]);
        }
        else
        {
            var refuse = $"echo 'wharf: You have read access to {repositoryName}; pushing needs write access.' >&2; exit 1";
            args.AddRange(["--config", $"hooks.pretxnopen.wharf={refuse}", "--config", $"hooks.prepushkey.wharf={refuse}"]);
        }
        try
        {
            var status = await GitProcessRunner.RunProcessAsync(hg.Start(hg.StartInfo(args)), input, output, error, cancellationToken);
            return (status, File.Exists(marker));
        }
        finally
        {
            try { File.Delete(marker); } catch (IOException) { }
        }
    }
}
