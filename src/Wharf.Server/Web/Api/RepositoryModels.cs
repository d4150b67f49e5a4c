using Wharf.Core.Access;
using Wharf.Core.AccessKeys;
using Wharf.Core.Repositories;
using Wharf.Ssh.Keys;

namespace Wharf.Server.Web.Api;

public sealed record HrefDto(string Href);

public sealed record NamedHrefDto(string Name, string Href);

public sealed record RepositoryLinksDto(HrefDto Self, HrefDto Html,
    // "Clone" is reserved in records; the JSON name is Bitbucket's.
    [property: System.Text.Json.Serialization.JsonPropertyName("clone")] IReadOnlyList<NamedHrefDto> CloneLinks);

public sealed record RepositoryOwnerDto(string Type, string Uuid, string Username, string DisplayName);

public sealed record WorkspaceDto(string Type, string Uuid, string Slug, string Name);

/// <summary>
/// A repository as Bitbucket Cloud's <c>repository</c> object (the fields scripts read: <c>full_name</c>,
/// <c>slug</c>, <c>scm</c>, <c>is_private</c>, <c>mainbranch</c>, <c>links.clone</c>), plus <c>last_pushed</c>.
/// <c>links.clone</c> names the smart HTTP URL (<c>https</c>, also for plain http, as Bitbucket calls it) and then the SSH one;
/// Mercurial is served over SSH only, so its list holds <c>ssh</c> alone.
/// <c>mainbranch</c> is the branch HEAD names (null for Mercurial). <c>require_signed_commits</c> is Wharf's own: whether
/// pushes must bring only commits and annotated tags with a verified signature (always false for Mercurial).
/// </summary>
public sealed record RepositoryDto(
    string Type, string Uuid, string Name, string Slug, string FullName, string Scm, bool IsPrivate,
    RepositoryOwnerDto Owner, WorkspaceDto Workspace, DateTimeOffset CreatedOn, DateTimeOffset UpdatedOn, DateTimeOffset? LastPushed,
    BranchDto? Mainbranch, bool RequireSignedCommits, RepositoryLinksDto Links)
{
    public static RepositoryDto From(RepositoryInfo r, string baseUrl, string sshUrl, string? httpsUrl) => new(
        "repository", ApiIds.Format(r.Uuid), r.Name, r.Name.ToLowerInvariant(), r.FullName, r.Scm.ToApi(), r.IsPrivate,
        new RepositoryOwnerDto("user", ApiIds.Format(r.OwnerUuid), r.OwnerName, r.OwnerName),
        new WorkspaceDto("workspace", ApiIds.Format(r.OwnerUuid), r.OwnerName.ToLowerInvariant(), r.OwnerName),
        r.CreatedAt, r.LastPushedAt ?? r.CreatedAt, r.LastPushedAt,
        r.Scm == Core.Repositories.Scm.Hg || Core.Git.GitBinary.HeadBranch(r.Path) is not { } head ? null : new BranchDto("branch", head),
        r.RequireSignedCommits,
        new RepositoryLinksDto(
            new HrefDto($"{baseUrl}/2.0/repositories/{r.FullName}"),
            new HrefDto($"{baseUrl}/{r.FullName}"),
            httpsUrl is null ? [new NamedHrefDto("ssh", sshUrl)] : [new NamedHrefDto("https", httpsUrl), new NamedHrefDto("ssh", sshUrl)]));
}

/// <summary>The short repository reference inside other objects.</summary>
public sealed record RepositoryRefDto(string Type, string Uuid, string Name, string FullName)
{
    public static RepositoryRefDto From(RepositoryInfo r) => new("repository", ApiIds.Format(r.Uuid), r.Name, r.FullName);
}

/// <summary>Bitbucket's <c>repository_user_permission</c>.</summary>
public sealed record PermissionDto(string Type, string Permission, RepositoryOwnerDto User, RepositoryRefDto Repository)
{
    public static PermissionDto From(GrantInfo g, RepositoryInfo r) => new("repository_user_permission", g.Level.ToApi(),
        new RepositoryOwnerDto("user", ApiIds.Format(g.UserUuid), g.UserName, g.UserName), RepositoryRefDto.From(r));
}

/// <summary>
/// Bitbucket's <c>deploy_key</c> (<c>id</c>, <c>key</c>, <c>label</c>, <c>comment</c>, <c>created_on</c>,
/// <c>last_used</c>, <c>repository</c>), plus <c>read_only</c> (GitHub's name for it) and the fingerprints.
/// </summary>
public sealed record DeployKeyDto(
    string Type, long Id, string Key, string Label, string? Comment, DateTimeOffset CreatedOn, DateTimeOffset? LastUsed, bool ReadOnly,
    string Fingerprint, string KeyType, int Bits, FingerprintsDto Fingerprints, RepositoryRefDto Repository)
{
    public static DeployKeyDto From(AccessKeyInfo k, RepositoryInfo r) => new(
        "deploy_key", k.Id, k.PublicKey, k.Label, k.Comment, k.CreatedAt, k.LastUsedAt, !k.CanWrite, k.Fingerprint, k.KeyType, k.Bits,
        new FingerprintsDto(k.Fingerprint, SshPublicKey.ParseOpenSsh(k.PublicKey).FingerprintMd5), RepositoryRefDto.From(r));
}

public sealed record CreateRepositoryRequest(string? Scm, bool? IsPrivate)
{
    public const string Example = """{"scm": "git", "is_private": true}""";
}

/// <summary>Bitbucket's short <c>branch</c> object, as in a repository's <c>mainbranch</c>.</summary>
public sealed record BranchDto(string Type, string Name);

/// <summary>
/// What <c>PUT /2.0/repositories/{workspace}/{slug}</c> may change: <c>mainbranch</c> and <c>require_signed_commits</c>
/// (true or false; read as JSON here so that another value gets its own message); other fields are ignored.
/// </summary>
public sealed record UpdateRepositoryRequest(BranchNameRequest? Mainbranch, System.Text.Json.JsonElement? RequireSignedCommits)
{
    public const string Example = """{"mainbranch": {"type": "branch", "name": "main"}, "require_signed_commits": true}""";

    /// <summary>The requested setting, or null when the request leaves it alone; anything but true, false or null is refused.</summary>
    public bool? SignedCommits() => RequireSignedCommits switch
    {
        null => null,
        { ValueKind: System.Text.Json.JsonValueKind.Null } => null,
        { ValueKind: System.Text.Json.JsonValueKind.True } => true,
        { ValueKind: System.Text.Json.JsonValueKind.False } => false,
        { } other => throw RepositoryErrors.SignedCommitsJson(other.GetRawText()),
    };
}

public sealed record BranchNameRequest(string? Type, string? Name);

public sealed record PermissionRequest(string? Permission)
{
    public const string Example = """{"permission": "write"}""";
}

public sealed record AddDeployKeyRequest(string? Key, string? Label, bool? ReadOnly)
{
    public const string Example = """{"key": "ssh-ed25519 AAAA... ci@build", "label": "CI", "read_only": true}""";
}

/// <summary><c>key</c> is read only to refuse a change of the key; Bitbucket's clients send the key back as it is.</summary>
public sealed record UpdateDeployKeyRequest(string? Label, bool? ReadOnly, string? Key)
{
    public const string Example = """{"label": "CI", "read_only": true}""";
}
