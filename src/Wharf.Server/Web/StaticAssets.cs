using System.Security.Cryptography;

namespace Wharf.Server.Web;

/// <summary>
/// The stylesheet and the few scripts, embedded in the executable (no wwwroot to ship) and served under
/// <c>/static/NAME.HASH.EXT</c>, where HASH is the first 12 hex digits of the file's SHA-256. A new build with a
/// changed file gets a new address, so the files can be cached for a year without a stale copy ever being used.
/// The CSP allows scripts and styles from this origin only, never inline.
/// </summary>
public static class StaticAssets
{
    private static readonly IReadOnlyDictionary<string, Asset> ByName = Load();

    /// <summary>The one stylesheet of every page.</summary>
    public static string Stylesheet => ByName["wharf.css"].Path;
    /// <summary>Behaviour every page shares: copy buttons, focus on the first error, local times.</summary>
    public static string SiteScript => ByName["site.js"].Path;
    /// <summary>The Add key forms (account keys and repository access keys): private-key refusal and the server's preview.</summary>
    public static string SshKeys => ByName["ssh-keys.js"].Path;

    public static IEndpointRouteBuilder MapStaticAssets(this IEndpointRouteBuilder app)
    {
        foreach (var asset in ByName.Values)
        {
            app.MapGet(asset.Path, (HttpContext http) =>
            {
                http.Response.Headers.XContentTypeOptions = "nosniff";
                http.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
                return Results.Bytes(asset.Bytes, asset.ContentType);
            });
        }
        return app;
    }

    private sealed record Asset(string Path, byte[] Bytes, string ContentType);

    private static Dictionary<string, Asset> Load()
    {
        const string prefix = "wharf.static.";
        var assembly = typeof(StaticAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var name = resource[prefix.Length..];
            var dot = name.LastIndexOf('.');
            var hash = Convert.ToHexStringLower(SHA256.HashData(bytes))[..12];
            var contentType = name[(dot + 1)..] switch
            {
                "css" => "text/css; charset=utf-8",
                "js" => "text/javascript; charset=utf-8",
                "svg" => "image/svg+xml",
                "png" => "image/png",
                _ => throw new InvalidOperationException($"no content type for embedded asset {name}"),
            };
            assets[name] = new Asset($"/static/{name[..dot]}.{hash}.{name[(dot + 1)..]}", bytes, contentType);
        }
        return assets;
    }
}
