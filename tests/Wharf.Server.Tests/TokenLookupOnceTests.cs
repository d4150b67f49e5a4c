using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Core.Tokens;
using Wharf.Data.Stores;
using Wharf.Server.Web.Api;

namespace Wharf.Server.Tests;

/// <summary>
/// A smart HTTP or LFS request with an API token looks the token up once: the default scheme's answer (which the
/// authentication middleware asks for on every request) is what smart HTTP and the LFS API read, and the token's last
/// use is written once, not again within the minute.
/// </summary>
public sealed class TokenLookupOnceTests : IDisposable
{
    private readonly TestData _data = new();

    public void Dispose() => _data.Dispose();

    /// <summary>The real store, counting the calls that reach the database.</summary>
    private sealed class CountingTokenStore(IApiTokenStore inner) : IApiTokenStore
    {
        public int Lookups;
        public int Writes;
        public Task AddAsync(ApiToken token, CancellationToken cancellationToken) => inner.AddAsync(token, cancellationToken);
        public Task<ApiToken?> FindByHashAsync(string tokenHash, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Lookups);
            return inner.FindByHashAsync(tokenHash, cancellationToken);
        }
        public Task MarkUsedAsync(long tokenId, DateTimeOffset when, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Writes);
            return inner.MarkUsedAsync(tokenId, when, cancellationToken);
        }
        public Task<IReadOnlyList<ApiToken>> ListAsync(long userId, CancellationToken cancellationToken) => inner.ListAsync(userId, cancellationToken);
        public Task<bool> RemoveAsync(long userId, long tokenId, CancellationToken cancellationToken) => inner.RemoveAsync(userId, tokenId, cancellationToken);
    }

    [Fact]
    public async Task SmartHttpAndTheLfsApiReadTheCallerTheDefaultSchemeFoundAndLastUseIsWrittenOnce()
    {
        Assert.Equal(0, (await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org")).ExitCode);
        var secret = (await _data.RunAsync("admin", "token", "create", "alice", "--name", "ci")).Out.TrimEnd('\n').Split('\n')[^1];
        await using var db = _data.OpenDatabase();
        var store = new CountingTokenStore(new EfApiTokenStore(db));
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(new ApiTokenService(store, new EfUserStore(db), TimeProvider.System, new EfAuditLog(db)));
        services.AddAuthentication(ApiTokenAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null);
        await using var provider = services.BuildServiceProvider();

        async Task<(string? Git, long? Lfs)> RequestAsync()
        {
            await using var scope = provider.CreateAsyncScope();
            var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
            http.Request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + secret))).ToString();
            // What UseAuthentication does for every request: the default scheme.
            Assert.True((await http.AuthenticateAsync()).Succeeded);
            var git = await Web.GitHttp.GitHttpAuthentication.AuthenticateAsync(http);
            var lfs = await Web.Lfs.LfsAuthentication.AuthenticateAsync(http);
            return (git?.Token.Name, lfs?.UserId);
        }

        var first = await RequestAsync();
        var aliceId = Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.AsNoTracking(db.Users).Single(u => u.Name == "alice").Id;
        Assert.Equal(("ci", (long?)aliceId), first);
        Assert.Equal((1, 1), (store.Lookups, store.Writes));

        Assert.Equal(("ci", (long?)aliceId), await RequestAsync());
        Assert.Equal((2, 1), (store.Lookups, store.Writes));
    }
}
