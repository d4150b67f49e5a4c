using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Wharf.Server.Cli;

namespace Wharf.Server.Tests.Support;

/// <summary><c>wharf serve</c> in-process on free ports over a fresh data directory, with an HttpClient for its API.</summary>
public sealed class ServeHost : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(300));
    private Task<int> _serve = Task.FromResult(0);

    public TestData Data { get; } = new();
    public HttpClient Http { get; private set; } = null!;
    public int SshPort { get; private set; }

    public async Task StartAsync()
    {
        var output = new LineWriter();
        var console = new CliContext(new StringReader(""), output, TextWriter.Null, _ => null);
        _serve = new CliApp(WharfCommands.All).RunAsync(
            ["serve", "--http", "127.0.0.1:0", "--ssh", "127.0.0.1:0", .. Data.DataOptions], console, _stop.Token);
        string line;
        do
        {
            line = await output.Lines.Reader.ReadAsync(_stop.Token);
            if (line.StartsWith("SSH listening on ", StringComparison.Ordinal)) SshPort = int.Parse(line[(line.LastIndexOf(':') + 1)..]);
        }
        while (!line.StartsWith("HTTP listening on ", StringComparison.Ordinal));
        Http = new HttpClient { BaseAddress = new Uri(line["HTTP listening on ".Length..]) };
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
        await _stop.CancelAsync();
        await _serve;
        Http?.Dispose();
        Data.Dispose();
    }
}
