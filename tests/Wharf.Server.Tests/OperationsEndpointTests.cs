using System.Net;
using System.Net.Http;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Wharf.Server.Tests;

/// <summary>What a load balancer and Prometheus see from <c>wharf serve</c>: /readyz and /metrics.</summary>
public sealed class OperationsEndpointTests : IAsyncLifetime
{
    private readonly TestData _data = new();
    private readonly HttpClient _http = new();
    private InProcessServe _serve = null!;

    public async Task InitializeAsync() => _serve = await InProcessServe.StartAsync(_data);

    public async Task DisposeAsync()
    {
        await _serve.DisposeAsync();
        _http.Dispose();
        _data.Dispose();
    }

    [Fact]
    public async Task ReadyzAnswers200AndNamesEachCheck()
    {
        using var response = await _http.GetAsync(_serve.HttpBaseUrl + "/readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("""{"status":"ready","failed":[],"checks":{"database":"ok","git":"ok","repositories":"ok"}}""",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ReadyzAnswers503NamingTheRepositoriesCheckButNotItsPathWhenItCannotBeWritten()
    {
        // A plain file where the directory should be: fails for root too, unlike a chmod.
        if (Directory.Exists(_data.Paths.Repositories)) Directory.Delete(_data.Paths.Repositories, recursive: true);
        await File.WriteAllTextAsync(_data.Paths.Repositories, "not a directory");

        using var response = await _http.GetAsync(_serve.HttpBaseUrl + "/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        // Fixed words only: no path, no exception text for whoever asks (the log has the details).
        Assert.Equal("""{"status":"not ready","failed":["repositories"],"checks":{"database":"ok","git":"ok","repositories":"not writable"}}""",
            await response.Content.ReadAsStringAsync());
        // Liveness is about the process and its database: still fine.
        Assert.Equal("ok\n", await _http.GetStringAsync(_serve.HttpBaseUrl + "/healthz"));
    }

    [Fact]
    public async Task MetricsArePrometheusTextWithTheSshAndGitSeries()
    {
        using var response = await _http.GetAsync(_serve.HttpBaseUrl + "/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var lines = text.Split('\n');
        Assert.Contains("# TYPE wharf_ssh_connections_open gauge", lines);
        Assert.Contains("wharf_ssh_connections_open 0", lines);
        Assert.Contains("# TYPE wharf_ssh_connections_alive gauge", lines);
        Assert.Contains("wharf_ssh_connections_alive 0", lines);
        Assert.Contains("# TYPE wharf_ssh_background_tasks gauge", lines);
        Assert.Contains("wharf_ssh_background_tasks 0", lines);
        Assert.Contains("# TYPE wharf_ssh_connections_total counter", lines);
        Assert.Contains("wharf_ssh_connections_total 0", lines);
        Assert.Contains("# TYPE wharf_ssh_connections_refused_total counter", lines);
        Assert.Contains("wharf_ssh_authentications_total{result=\"success\"} 0", lines);
        Assert.Contains("wharf_ssh_authentications_total{result=\"failure\"} 0", lines);
        Assert.Contains("wharf_ssh_bytes_total{direction=\"in\"} 0", lines);
        Assert.Contains("# TYPE wharf_git_operations_total counter", lines);
        Assert.Contains("# TYPE wharf_git_operation_duration_seconds histogram", lines);
    }

    /// <summary>
    /// Prometheus scrapes every 15 s or so, and Wharf may serve clones before the first one: those must be counted.
    /// The exporter used to be made at the first scrape, and its listener missed everything recorded before.
    /// </summary>
    [Fact]
    public async Task AGitCommandBeforeTheFirstScrapeIsCounted()
    {
        _serve.Services.GetRequiredService<Wharf.Server.Operations.WharfMetrics>().GitOperation("upload-pack", "0", TimeSpan.FromMilliseconds(20));

        var lines = (await _http.GetStringAsync(_serve.HttpBaseUrl + "/metrics")).Split('\n');

        Assert.Contains("wharf_git_operations_total{service=\"upload-pack\",status=\"0\"} 1", lines);
        Assert.Contains("wharf_git_operation_duration_seconds_count{service=\"upload-pack\"} 1", lines);
    }
}
