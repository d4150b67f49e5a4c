using Wharf.Core.Git;

namespace Wharf.Core.Hg;

/// <summary>
/// Runs <c>hg serve --stdio</c> on a repository that access control already approved for reading.
/// Mercurial's ssh protocol carries pulls and pushes over the same command, so write access is enforced
/// inside hg: below Write, hooks refuse every transaction and every pushkey (bookmarks, phases), the way
/// Mercurial's own contrib/hg-ssh does. Whether a push changed anything is learned from a hook too.
/// </summary>
public sealed class HgServeRunner(HgBinary hg, ProcessLimits? limits = null)
{
    /// <returns>hg's exit status, and whether a transaction was committed (a push that changed the repository).</returns>
    public async Task<(int Status, bool Changed)> RunAsync(string repositoryPath, string repositoryName, bool canWrite,
        Stream input, Stream output, Stream error, CancellationToken cancellationToken)
    {
        // hg refuses "serve --stdio" with any argument beyond "-R REPO serve --stdio" (a guard against clients
        // smuggling options), so the hooks go in a configuration file of this session's own, named by HGRCPATH.
        // Only a validated repository name and GUID paths are written into it, never client text.
        var session = Path.Combine(Path.GetTempPath(), "wharf-hg-" + Guid.NewGuid().ToString("N"));
        var marker = session + ".pushed";
        var rc = session + ".hgrc";
        var refuse = $"echo 'wharf: You have read access to {repositoryName}; pushing needs write access.' >&2; exit 1";
        await File.WriteAllTextAsync(rc, canWrite
            ? $"[hooks]\ntxnclose.wharf = touch '{marker}'\n"
            : $"[hooks]\npretxnopen.wharf = {refuse}\nprepushkey.wharf = {refuse}\n", cancellationToken);
        try
        {
            var psi = hg.StartInfo("-R", repositoryPath, "serve", "--stdio");
            psi.Environment["HGRCPATH"] = rc;
            var status = await GitProcessRunner.RunProcessAsync(hg.Start(psi), input, output, error, cancellationToken,
                (limits ?? ProcessLimits.Default).NoProgressTimeout);
            return (status, File.Exists(marker));
        }
        finally
        {
            foreach (var file in new[] { rc, marker })
                try { File.Delete(file); } catch (IOException) { }
        }
    }
}
