using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Wharf.Core.Errors;

namespace Wharf.Server.Hosting;

/// <summary>
/// The web listener's own settings besides <c>Http:TrustedProxies</c>:
/// <list type="bullet">
/// <item><c>Http:Certificate</c>: a certificate file (PEM, or PKCS#12 <c>.pfx</c>/<c>.p12</c>) that makes the <c>--http</c>
/// listener speak HTTPS; with a PEM certificate the private key is in the same file or in <c>Http:CertificateKey</c>;
/// <c>Http:CertificatePassword</c> opens a PKCS#12 file or an encrypted PEM key. Read once at start.</item>
/// <item><c>Http:PublicUrl</c>: the scheme, host and port people reach the web server at (a proxy in front), for the HTTPS
/// clone URLs, the LFS API's addresses and links in mails; unset, they come from each request.</item>
/// </list>
/// A bad value stops <c>serve</c> before anything listens (exit code 2).
/// </summary>
public sealed record HttpSettings(X509Certificate2? Certificate, string? PublicUrl)
{
    public const string CertificateKey = "Http:Certificate";
    public const string CertificatePrivateKey = "Http:CertificateKey";
    public const string CertificatePassword = "Http:CertificatePassword";
    public const string PublicUrlKey = "Http:PublicUrl";

    public static HttpSettings Read(IConfiguration configuration) =>
        new(LoadCertificate(configuration), ParsePublicUrl(configuration[PublicUrlKey]));

    /// <summary>
    /// <c>Http:PublicUrl</c> without its trailing slash, or null when unset. Only an absolute http or https URL with no path,
    /// query or credentials: the pages' own links are relative to the host, so a path prefix could not be honoured.
    /// </summary>
    public static string? ParsePublicUrl(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var text = value.Trim().TrimEnd('/');
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
            throw WharfException.InvalidArgument(
                $"Invalid setting '{PublicUrlKey}': {Display.Quote(value)} is not an http or https URL without a path (for example https://git.example.org or https://git.example.org:8443).");
        return uri.GetLeftPart(UriPartial.Authority);
    }

    private static X509Certificate2? LoadCertificate(IConfiguration configuration)
    {
        var path = configuration[CertificateKey];
        var keyPath = configuration[CertificatePrivateKey];
        var password = configuration[CertificatePassword];
        if (string.IsNullOrWhiteSpace(path))
        {
            if (!string.IsNullOrWhiteSpace(keyPath))
                throw WharfException.InvalidArgument($"Setting '{CertificatePrivateKey}' needs '{CertificateKey}', the certificate it belongs to.");
            return null;
        }
        if (!File.Exists(path)) throw WharfException.InvalidArgument($"Invalid setting '{CertificateKey}': the file {Display.Quote(path)} does not exist.");
        if (!string.IsNullOrWhiteSpace(keyPath) && !File.Exists(keyPath))
            throw WharfException.InvalidArgument($"Invalid setting '{CertificatePrivateKey}': the file {Display.Quote(keyPath)} does not exist.");
        X509Certificate2 certificate;
        try
        {
            var pkcs12 = path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);
            certificate = pkcs12
                ? X509CertificateLoader.LoadPkcs12FromFile(path, password)
                : string.IsNullOrEmpty(password)
                    ? X509Certificate2.CreateFromPemFile(path, string.IsNullOrWhiteSpace(keyPath) ? null : keyPath)
                    : X509Certificate2.CreateFromEncryptedPemFile(path, password, string.IsNullOrWhiteSpace(keyPath) ? null : keyPath);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw WharfException.InvalidArgument(
                $"Invalid setting '{CertificateKey}': cannot read a certificate with its private key from {Display.Quote(path)}"
                + (string.IsNullOrWhiteSpace(keyPath) ? "" : $" and {Display.Quote(keyPath)}") + $": {e.Message}");
        }
        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw WharfException.InvalidArgument($"Invalid setting '{CertificateKey}': {Display.Quote(path)} holds no private key; name the key file in '{CertificatePrivateKey}'.");
        }
        return certificate;
    }
}
