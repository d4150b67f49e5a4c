using System.Text.Json;
using Wharf.Server.Tests;

namespace Wharf.Browser.Tests;

/// <summary>
/// <c>GET /meta</c> answers JSON in GitHub's shape (<c>ssh_key_fingerprints</c> by <c>SHA256_ED25519</c>,
/// <c>SHA256_RSA</c>, ...; <c>ssh_keys</c> as <c>TYPE BASE64</c> lines) with exactly the host keys ssh-keyscan
/// sees on the server's SSH port.
/// </summary>
public sealed class MetaMatchesKeyscanTests : IAsyncLifetime
{
    private WharfHost _host = null!;

    public async Task InitializeAsync() => _host = await WharfHost.StartAsync();

    public async Task DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
    }

    [Fact]
    public async Task Meta_lists_the_host_keys_and_SHA256_fingerprints_that_ssh_keyscan_sees()
    {
        var scanned = await Keyscan.ScanAsync(_host.SshEndPoint.Port);
        using var http = new HttpClient { BaseAddress = _host.BaseAddress };
        var response = await http.GetAsync("/meta");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET /meta answered {(int)response.StatusCode} {response.Content.Headers.ContentType}: {body[..Math.Min(body.Length, 200)]}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var meta = JsonDocument.Parse(body);

        var keys = meta.RootElement.GetProperty("ssh_keys").EnumerateArray()
            .Select(k => string.Join(' ', k.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(2)))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(scanned.Select(k => k.ToString()).Order(StringComparer.Ordinal).ToList(), keys);

        var fingerprints = meta.RootElement.GetProperty("ssh_key_fingerprints").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetString());
        Assert.Equal(scanned.ToDictionary(k => k.MetaName, k => (string?)k.Sha256).OrderBy(p => p.Key, StringComparer.Ordinal),
            fingerprints.OrderBy(p => p.Key, StringComparer.Ordinal));
    }
}
