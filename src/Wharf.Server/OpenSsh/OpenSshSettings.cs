using Wharf.Core.Errors;

namespace Wharf.Server.OpenSsh;

/// <summary>
/// <c>OpenSsh:Users</c>: the system account names sshd logs people in as when OpenSSH is Wharf's front door
/// (default <c>git</c> and <c>hg</c>, the names in clone URLs). <c>wharf keys authorized</c> answers for these only.
/// </summary>
public static class OpenSshSettings
{
    public static readonly IReadOnlyList<string> DefaultUsers = ["git", "hg"];

    public static IReadOnlyList<string> Users(IConfiguration configuration)
    {
        var users = configuration.GetSection("OpenSsh:Users").Get<string[]>();
        if (users is null || users.Length == 0) return DefaultUsers;
        if (users.Any(u => string.IsNullOrWhiteSpace(u) || u.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))))
            throw WharfException.InvalidArgument("Invalid setting 'OpenSsh:Users': each entry must be a system user name without spaces.");
        return users;
    }
}
