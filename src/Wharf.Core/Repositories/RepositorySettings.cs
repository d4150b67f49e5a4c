using Wharf.Core.Errors;
using Wharf.Core.Git;

namespace Wharf.Core.Repositories;

/// <summary>
/// <c>Repositories:DefaultBranch</c>: the branch a new git repository's HEAD names (default <c>main</c>, git's
/// and GitHub's and Bitbucket's default). Until that branch is pushed, the first branch a push creates takes its
/// place (see <see cref="RepositoryService.AdoptPushedBranchAsync"/>).
/// </summary>
public sealed record RepositorySettings
{
    public const string DefaultBranchSetting = "Repositories:DefaultBranch";

    public RepositorySettings(string defaultBranch = "main")
    {
        if (!GitBranchName.IsValid(defaultBranch))
            throw WharfException.InvalidArgument(
                $"Invalid setting '{DefaultBranchSetting}': {Display.Quote(defaultBranch)} is not a valid git branch name.", RepositoryErrors.InvalidBranch);
        DefaultBranch = defaultBranch;
    }

    public string DefaultBranch { get; }
}

/// <summary>A git repository's default branch (what HEAD names), whether it exists yet, and every branch it has.</summary>
public sealed record DefaultBranch(string Name, bool Exists, IReadOnlyList<string> Branches);
