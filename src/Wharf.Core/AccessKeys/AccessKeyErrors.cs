using Wharf.Core.Errors;

namespace Wharf.Core.AccessKeys;

/// <summary>The refusals of repository access keys, with their API codes. Key-text refusals reuse <see cref="Keys.KeyErrors"/>.</summary>
public static class AccessKeyErrors
{
    public const string AlreadyOnRepository = "access-key-duplicate";
    public const string NotFound = "access-key-not-found";
    public const string IsAccountKey = "key-is-account-key";
    public const string LabelDuplicate = "access-key-label-duplicate";

    public static WharfException Duplicate(string repository, string label) => WharfException.AlreadyExists(
        $"This key is already an access key of {repository}, labelled {Display.Quote(label)}.", AlreadyOnRepository);

    public static WharfException KeyNotFound(string repository, string id) =>
        WharfException.NotFound($"Repository {repository} has no access key with id {Display.Quote(id)}.", NotFound);

    public static WharfException LabelTaken(string repository, string label) => WharfException.AlreadyExists(
        $"Another access key of {repository} is already labelled {Display.Quote(label, Keys.KeyPolicy.MaxLabelLength)}; labels must differ so that each names one key.",
        LabelDuplicate);

    /// <summary>Says neither whose key it is nor whether it is the caller's own: a key is either a person's or a repository's.</summary>
    public static WharfException AccountKey() => WharfException.AlreadyExists(
        "This key is already registered as a personal SSH key, so it cannot also be an access key. Generate a separate key for this repository.",
        IsAccountKey);
}
