namespace Wharf.Server.Web;

/// <summary>
/// HEAD wherever GET is served (RFC 9110 §9.3.2: the same status and header fields as GET, no content), in one place
/// instead of on every endpoint. Routing sees a HEAD request as a GET, so it reaches exactly the endpoint a GET
/// would (with the same authentication and access checks, a refusal included) and only GET endpoints: a HEAD to a
/// POST-only route still gets 405. After routing the request is HEAD again for everything else. The endpoint writes
/// its response as for GET; Kestrel sends the header fields, Content-Length included when the endpoint set one, and
/// drops the body, because it decides that from the method on the request line, not from the one routing was shown.
/// </summary>
public static class HeadRequests
{
    private const string Item = "wharf.head";

    /// <summary>Routing, with HEAD taken as GET; in place of <c>UseRouting</c>.</summary>
    public static IApplicationBuilder UseRoutingWithHead(this IApplicationBuilder app)
    {
        app.Use((http, next) =>
        {
            if (HttpMethods.IsHead(http.Request.Method))
            {
                http.Items[Item] = true;
                http.Request.Method = HttpMethods.Get;
            }
            return next(http);
        });
        app.UseRouting();
        return app.Use((http, next) =>
        {
            if (http.Items.ContainsKey(Item)) http.Request.Method = HttpMethods.Head;
            return next(http);
        });
    }
}
