using Wharf.Core.Errors;

namespace Wharf.Server.Accounts;

/// <summary>
/// <c>Accounts:SignUp</c>: <c>open</c> (the default: anyone who reaches the site may make an account) or
/// <c>closed</c> (only administrators make accounts, with <c>wharf admin user create</c>; <c>/signup</c> answers
/// 404 and no page offers sign-up). Pages ask <see cref="Open"/>; any other value is a start-up error.
/// </summary>
public sealed class SignUpPolicy
{
    public const string Setting = "Accounts:SignUp";

    public bool Open { get; }

    public SignUpPolicy(bool open = true) => Open = open;

    public static SignUpPolicy Build(IConfiguration? configuration) => configuration?[Setting]?.Trim().ToLowerInvariant() switch
    {
        null or "" or "open" => new SignUpPolicy(true),
        "closed" => new SignUpPolicy(false),
        var other => throw WharfException.InvalidArgument($"Invalid setting '{Setting}': '{other}' is not 'open' or 'closed'."),
    };
}
