using Wharf.Core.Git;
using Wharf.Core.Repositories;

namespace Wharf.Core.Browse.Git;

/// <summary>
/// <see cref="ICodeBrowser"/> for git repositories. Split by concern: refs, trees and files in
/// GitCodeBrowser.Tree.cs; history and diffs in GitCodeBrowser.History.cs.
/// </summary>
public sealed partial class GitCodeBrowser(GitBinary git, BrowseLimits limits) : ICodeBrowser
{
    public Scm Scm => Scm.Git;

    private GitBinary Git => git;
    private BrowseLimits Limits => limits;
}
