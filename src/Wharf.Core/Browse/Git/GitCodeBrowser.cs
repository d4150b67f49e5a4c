using Wharf.Core.Git;
using Wharf.Core.Repositories;

namespace Wharf.Core.Browse.Git;

/// <summary>
/// <see cref="ICodeBrowser"/> for git repositories. Split by concern: refs, trees and files in
/// GitCodeBrowser.Tree.cs (the ref listing cached in GitCodeBrowser.Refs.cs); history and diffs in
/// GitCodeBrowser.History.cs. Objects are read through readers kept in a <see cref="GitReaderPool"/>.
/// </summary>
public sealed partial class GitCodeBrowser(GitBinary git, BrowseLimits limits) : ICodeBrowser, IDisposable
{
    public Scm Scm => Scm.Git;

    private GitBinary Git => git;
    private BrowseLimits Limits => limits;
    private readonly GitReaderPool _readers = new(git);

    /// <summary>The kept object readers (for tests and diagnostics).</summary>
    public GitReaderPool Readers => _readers;

    public void Dispose() => _readers.Dispose();
}
