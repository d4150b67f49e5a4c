using Wharf.Core.Errors;

namespace Wharf.Core.Users;

/// <summary>
/// What a web sign-in password must be, whichever way it is set (the sign-up page, <c>wharf admin user
/// password</c>, <c>user create --password-stdin</c>), so that every front end refuses the same passwords
/// with the same message.
/// </summary>
public static class PasswordRules
{
    // NIST SP 800-63B §5.1.1.2: at least 8 characters, and allow long passphrases.
    public const int MinLength = 8;
    // Bounds the work of hashing a hostile input; far above any real passphrase.
    public const int MaxLength = 1024;

    public static readonly string LengthMessage = $"The password must have {MinLength} to {MaxLength} characters.";

    public static void Validate(string password)
    {
        if (password.Length is < MinLength or > MaxLength) throw WharfException.InvalidArgument(LengthMessage);
    }
}
