using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Wharf.Server.Tests.Support;

/// <summary><see cref="InProcessServe"/> over a fresh data directory, with API tokens and an HttpClient for its API.</summary>
public sealed class ServeHost : IAsyncDisposable
{
    private InProcessServe? _serve;

    public TestData Data { get; } = new();
    public HttpClient Http { get; private set; } = null!;
    public int SshPort => _serve?.SshPort ?? 0;
    /// <summary>The running server's services (after <see cref="StartAsync"/>).</summary>
    public IServiceProvider Services => _serve?.Services ?? throw new InvalidOperationException("The server is not started.");

    public async Task StartAsync()
    {
        _serve = await InProcessServe.StartAsync(Data);
        Http = new HttpClient { BaseAddress = new Uri(_serve.HttpBaseUrl) };
    }

    /// <summary>Creates a user with the admin CLI and returns an API token for it.</summary>
    public async Task<string> UserWithTokenAsync(string name, bool admin = false)
    {
        var created = admin
            ? await Data.RunAsync("admin", "user", "create", name, "--email", $"{name}@example.org", "--admin")
            : await Data.RunAsync("admin", "user", "create", name, "--email", $"{name}@example.org");
        Assert.Equal(0, created.ExitCode);
        return (await Data.RunAsync("admin", "token", "create", name)).Out.TrimEnd('\n').Split('\n')[^1];
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string? token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public static void AssertError(JsonElement body, string code, string message)
    {
        Assert.Equal("error", body.GetProperty("type").GetString());
        Assert.Equal((code, message), (body.GetProperty("error").GetProperty("code").GetString(), body.GetProperty("error").GetProperty("message").GetString()));
    }

    public async ValueTask DisposeAsync()
    {
        if (_serve is not null) await _serve.DisposeAsync();
        Http?.Dispose();
        Data.Dispose();
    }
}
