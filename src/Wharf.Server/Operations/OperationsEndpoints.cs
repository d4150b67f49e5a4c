using Wharf.Data;

namespace Wharf.Server.Operations;

/// <summary>What operators and their tools poll: liveness, readiness and Prometheus metrics. No authentication:
/// bind the HTTP port to a private address or filter <c>/metrics</c> at the proxy (docs/OPERATIONS.md).</summary>
public static class OperationsEndpoints
{
    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder app)
    {
        // Liveness: the process answers and its database does (a restart helps with neither otherwise).
        app.MapGet("/healthz", async (WharfDbContext db, CancellationToken ct) =>
            await db.Database.CanConnectAsync(ct) ? Results.Text("ok\n") : Results.Text("database unavailable\n", statusCode: 503));

        app.MapGet("/readyz", async (ReadinessCheck check, WharfDbContext db, CancellationToken ct) =>
        {
            var result = await check.RunAsync(db, ct);
            var body = new Dictionary<string, object>
            {
                ["status"] = result.Ready ? "ready" : "not ready",
                ["failed"] = result.Failed.ToArray(),
                ["checks"] = result.Checks,
            };
            return Results.Json(body, statusCode: result.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });

        // The exporter's listener is what counts measurements, so it is made now: made at the first scrape, as a
        // singleton is by default, it would miss every command and login before that scrape.
        var exporter = app.ServiceProvider.GetRequiredService<PrometheusExporter>();
        app.MapGet("/metrics", () => Results.Text(exporter.Render(), PrometheusExporter.ContentType));
        return app;
    }

    public static IServiceCollection AddOperations(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddSingleton<Wharf.Ssh.Server.SshServerStatistics>();
        services.AddSingleton<WharfMetrics>();
        services.AddSingleton<PrometheusExporter>();
        services.AddSingleton<ReadinessCheck>();
        return services;
    }
}
