namespace Wharf.Server.Web;

/// <summary>
/// The pages' few scripts, embedded in the executable (no wwwroot to ship) and served from <c>/static/</c>:
/// the CSP allows scripts from this origin only, never inline.
/// </summary>
public static class StaticScripts
{
    /// <summary>The Add key forms (account keys and repository access keys): private-key refusal and the server's preview.</summary>
    public const string SshKeys = "/static/ssh-keys.js";
    /// <summary>The repository page's Copy button.</summary>
    public const string Repository = "/static/repository.js";

    public static IEndpointRouteBuilder MapStaticScripts(this IEndpointRouteBuilder app)
    {
        foreach (var path in new[] { SshKeys, Repository })
        {
            // "/static/ssh-keys.js" is embedded as "wharf.static.ssh-keys.js" (Wharf.Server.csproj).
            var script = Load("wharf" + path.Replace('/', '.'));
            app.MapGet(path, (HttpContext http) =>
            {
                http.Response.Headers.XContentTypeOptions = "nosniff";
                return Results.Bytes(script, "text/javascript; charset=utf-8");
            });
        }
        return app;
    }

    private static byte[] Load(string name)
    {
        using var stream = typeof(StaticScripts).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
