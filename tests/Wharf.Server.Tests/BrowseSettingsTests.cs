using Microsoft.Extensions.Configuration;
using Wharf.Server.Hosting;

namespace Wharf.Server.Tests;

/// <summary>The <c>Browse</c> section: bound into <see cref="Core.Browse.BrowseLimits"/>, a bad value stopping serve with exit code 2.</summary>
public sealed class BrowseSettingsTests : IDisposable
{
    private readonly TestData _data = new();
    public void Dispose() => _data.Dispose();

    [Fact]
    public void The_Browse_section_sets_every_limit_and_leaves_the_rest_at_their_defaults()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Browse:MaxFileBytes"] = "2048", ["Browse:MaxTreeEntries"] = "50", ["Browse:Timeout"] = "30",
        }).Build();
        var limits = WharfConfiguration.Browse(configuration);
        Assert.Equal((2048L, 50, 300, 20000, TimeSpan.FromSeconds(30)),
            (limits.MaxFileBytes, limits.MaxTreeEntries, limits.MaxDiffFiles, limits.MaxDiffLines, limits.Timeout));
        configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Browse:MaxDiffFiles"] = "10", ["Browse:MaxDiffLines"] = "100", ["Browse:Timeout"] = "00:00:02.500",
        }).Build();
        limits = WharfConfiguration.Browse(configuration);
        Assert.Equal((1024L * 1024, 1000, 10, 100, TimeSpan.FromMilliseconds(2500)),
            (limits.MaxFileBytes, limits.MaxTreeEntries, limits.MaxDiffFiles, limits.MaxDiffLines, limits.Timeout));
    }

    [Theory]
    [InlineData("MaxTreeEntries", "0", "'0' is not a whole number from 1 to 2147483647.")]
    [InlineData("MaxFileBytes", "-5", "'-5' is not a whole number from 1 to 9223372036854775807.")]
    [InlineData("MaxDiffFiles", "many", "'many' is not a whole number from 1 to 2147483647.")]
    [InlineData("MaxDiffLines", "99999999999", "'99999999999' is not a whole number from 1 to 2147483647.")]
    [InlineData("Timeout", "0", "'0' is not a positive duration (seconds, or hh:mm:ss).")]
    [InlineData("Timeout", "soon", "'soon' is not a positive duration (seconds, or hh:mm:ss).")]
    public async Task A_bad_Browse_setting_stops_serve_with_exit_code_2(string key, string value, string why)
    {
        _data.Paths.EnsureCreated();
        File.WriteAllText(Path.Combine(_data.Paths.DataDirectory, "wharf.json"), $$"""{ "Browse": { "{{key}}": "{{value}}" } }""");
        var serve = await _data.RunAsync("serve", "--http", "127.0.0.1:0", "--ssh", "127.0.0.1:0");
        Assert.Equal((2, "", $"wharf: Invalid setting 'Browse:{key}': {why}\n"), (serve.ExitCode, serve.Out, serve.Error));
    }
}
