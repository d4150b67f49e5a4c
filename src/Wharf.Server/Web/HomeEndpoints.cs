namespace Wharf.Server.Web;

/// <summary>The placeholder home page; the web UI arrives in a later issue.</summary>
public static class HomeEndpoints
{
    public static IEndpointRouteBuilder MapHome(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Results.Content(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Wharf</title></head>" +
            "<body><h1>Wharf</h1><p>A self-hosted Git host. Connect with git over SSH.</p>" +
            "<p><a href=\"/signup\">Sign up</a> · <a href=\"/signin\">Sign in</a> · <a href=\"/repositories\">Repositories</a> · <a href=\"/account/ssh-keys\">SSH keys</a></p></body></html>",
            "text/html; charset=utf-8"));

        return app;
    }
}
