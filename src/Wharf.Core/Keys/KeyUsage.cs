namespace Wharf.Core.Keys;

/// <summary>
/// What an account key may be used for: logging in over SSH, signing commits and tags (SSHSIG,
/// <c>gpg.format=ssh</c>), or both. Keys added before usages existed are <see cref="Authentication"/>.
/// </summary>
public enum KeyUsage
{
    Authentication,
    Signing,
    AuthenticationAndSigning,
}

public static class KeyUsages
{
    public const string AuthenticationName = "authentication";
    public const string SigningName = "signing";
    public const string AuthenticationAndSigningName = "authentication_and_signing";

    /// <summary>The spelling used in the API, the CLI, the form and the database.</summary>
    public static string ToApi(this KeyUsage usage) => usage switch
    {
        KeyUsage.Signing => SigningName,
        KeyUsage.AuthenticationAndSigning => AuthenticationAndSigningName,
        _ => AuthenticationName,
    };

    /// <summary>Reads a usage as the API spells it; anything else is a validation error naming the three values.</summary>
    public static KeyUsage Parse(string? text) => text?.Trim() switch
    {
        AuthenticationName => KeyUsage.Authentication,
        SigningName => KeyUsage.Signing,
        AuthenticationAndSigningName => KeyUsage.AuthenticationAndSigning,
        _ => throw KeyErrors.UsageInvalid(text),
    };

    public static bool CanLogIn(this KeyUsage usage) => usage != KeyUsage.Signing;
    public static bool CanSign(this KeyUsage usage) => usage != KeyUsage.Authentication;

    /// <summary>A phrase for pages and mail: "authentication", "signing", "authentication and signing".</summary>
    public static string ForPeople(this KeyUsage usage) => usage.ToApi().Replace('_', ' ');
}
