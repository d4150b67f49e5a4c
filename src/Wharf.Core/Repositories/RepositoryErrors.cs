using Wharf.Core.Errors;

namespace Wharf.Core.Repositories;

/// <summary>Every refusal about repositories and grants, with its API code, in one table.</summary>
public static class RepositoryErrors
{
    public const string InvalidName = "repository-name-invalid";
    public const string Exists = "repository-exists";
    public const string NotFoundCode = "repository-not-found";
    public const string InvalidScm = "repository-scm-invalid";
    public const string ConfirmationMismatch = "repository-confirmation-mismatch";
    public const string InvalidPermission = "permission-invalid";
    public const string GrantToOwner = "permission-owner";
    public const string GrantNotFound = "permission-not-found";
    public const string NotAllowed = "repository-forbidden";
    public const string WrongScm = "repository-wrong-scm";
    public const string InvalidBranch = "branch-name-invalid";
    public const string BranchNotFound = "branch-not-found";
    public const string HgDefaultBranch = "default-branch-hg";
    public const string HgSignedCommits = "signed-commits-hg";
    public const string InvalidSignedCommits = "signed-commits-invalid";

    public static WharfException AlreadyExists(string fullName) =>
        WharfException.AlreadyExists($"Repository '{fullName}' already exists.", Exists);

    /// <summary>
    /// One message for "does not exist" and "not yours": a different answer would let anyone probe for the
    /// names of private repositories. Used by SSH, the pages and the API alike.
    /// </summary>
    public static WharfException NotFoundOrDenied(string fullName) =>
        // Quoted: the name may be whatever a client sent, line breaks included.
        WharfException.NotFound($"Repository {Display.Quote(fullName, Names.MaxUserNameLength + 1 + Names.MaxRepositoryNameLength)} does not exist, or you do not have access to it.", NotFoundCode);

    /// <summary>For callers who can already see the repository but may not do this to it.</summary>
    public static WharfException Forbidden(string fullName, string what) =>
        WharfException.PermissionDenied($"You need {what} access to {fullName} to do this.", NotAllowed);

    public static WharfException Scm(string? value) =>
        WharfException.InvalidArgument($"Unknown scm {Display.Quote(value)}: use \"git\" or \"hg\".", InvalidScm);

    public static WharfException Confirmation(string fullName) =>
        WharfException.InvalidArgument($"To delete the repository, type its full name '{fullName}' exactly.", ConfirmationMismatch);

    public static WharfException Permission(string? value) =>
        WharfException.InvalidArgument($"Unknown permission {Display.Quote(value)}: use \"read\", \"write\" or \"admin\".", InvalidPermission);

    public static WharfException OwnerGrant(string owner) =>
        WharfException.InvalidArgument($"{owner} owns this repository and already has every permission.", GrantToOwner);

    public static WharfException NoGrant(string user, string fullName) =>
        WharfException.NotFound($"{user} has no permission on {fullName}.", GrantNotFound);

    public static WharfException ScmMismatch(string fullName, Scm scm) => WharfException.InvalidArgument(
        scm == Repositories.Scm.Hg
            ? $"{fullName} is a Mercurial repository: use hg (ssh://hg@HOST/{fullName})."
            : $"{fullName} is a Git repository: use git (git@HOST:{fullName}.git).", WrongScm);

    public static WharfException BranchName(string? value) =>
        WharfException.InvalidArgument($"{Display.Quote(value)} is not a valid branch name.", InvalidBranch);

    public static WharfException NoSuchBranch(string branch, string fullName) =>
        WharfException.InvalidArgument($"{fullName} has no branch {Display.Quote(branch)}: push it first, then make it the default branch.", BranchNotFound);

    public static WharfException DefaultBranchOfHg(string fullName) =>
        WharfException.InvalidArgument($"{fullName} is a Mercurial repository: Mercurial's default branch is always the one named 'default'.", HgDefaultBranch);

    public static WharfException SignedCommitsOfHg(string fullName) =>
        WharfException.InvalidArgument($"{fullName} is a Mercurial repository: only git repositories can require signed commits.", HgSignedCommits);

    /// <summary>A "Require signed commits" value that is neither on nor off (the page's form, the API's JSON).</summary>
    public static WharfException SignedCommitsValue(string? value) =>
        WharfException.InvalidArgument($"Require signed commits takes on or off, not {Display.Quote(value ?? "")}.", InvalidSignedCommits);

    /// <summary>The API's <c>require_signed_commits</c> given as something else than a JSON boolean (<paramref name="json"/> as sent).</summary>
    public static WharfException SignedCommitsJson(string json) =>
        WharfException.InvalidArgument($"require_signed_commits takes true or false, not {Display.Quote(json, 40)}.", InvalidSignedCommits);
}
