using System.IO.Compression;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Wharf.Core.Access;
using Wharf.Core.Errors;
using Wharf.Core.Git;
using Wharf.Core.Repositories;
using Wharf.Core.Tokens;
using Wharf.Server.Ssh;

namespace Wharf.Server.Web.GitHttp;

/// <summary>
/// git's smart HTTP protocol (gitprotocol-http(5)) on the web port: <c>GET /OWNER/NAME.git/info/refs?service=...</c>
/// and <c>POST /OWNER/NAME.git/git-upload-pack</c> or <c>git-receive-pack</c>, each served by git's own program with
/// <c>--stateless-rpc</c>, run as over SSH (<see cref="RepositorySessions.ServeGitAsync"/>: same hooks, audit and
/// default branch). Bodies stream both ways through 64 KiB buffers, a gzip request body is inflated as it is read, and
/// no pack is ever held whole in memory. Every request is authenticated and authorised on its own.
/// </summary>
public static partial class GitHttpEndpoints
{
    public const string UploadPack = "git-upload-pack";
    public const string ReceivePack = "git-receive-pack";

    public static IEndpointRouteBuilder MapGitHttp(this IEndpointRouteBuilder app)
    {
        app.MapGet("/{owner}/{name}.git/info/refs", (HttpContext http, string owner, string name, string? service) =>
            ServeAsync(http, owner, name, service, advertise: true)).DisableAntiforgery();
        app.MapPost("/{owner}/{name}.git/" + UploadPack, (HttpContext http, string owner, string name) =>
            ServeAsync(http, owner, name, UploadPack, advertise: false)).DisableAntiforgery();
        app.MapPost("/{owner}/{name}.git/" + ReceivePack, (HttpContext http, string owner, string name) =>
            ServeAsync(http, owner, name, ReceivePack, advertise: false)).DisableAntiforgery();
        return app;
    }

    private static async Task ServeAsync(HttpContext http, string owner, string name, string? serviceName, bool advertise)
    {
        var services = http.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GitHttpEndpoints));
        var cancellationToken = http.RequestAborted;
        var service = serviceName switch
        {
            UploadPack => GitService.UploadPack,
            ReceivePack => GitService.ReceivePack,
            _ => (GitService?)null,
        };
        if (service is not { } gitService)
        {
            // Without ?service= a client asks for the "dumb" protocol, which serves the repository's files as they lie.
            await TextAsync(http, StatusCodes.Status403Forbidden,
                "Wharf serves git's smart HTTP protocol only: use git 1.6.6 or later, and ?service=git-upload-pack or git-receive-pack.");
            return;
        }
        if (!advertise && http.Request.ContentType != $"application/x-{serviceName}-request")
        {
            await TextAsync(http, StatusCodes.Status415UnsupportedMediaType, $"A {serviceName} request must have the type application/x-{serviceName}-request.");
            return;
        }
        var pushing = gitService == GitService.ReceivePack;
        var authorization = http.Request.Headers.Authorization.ToString();
        HttpTokenCaller? caller = null;
        if (authorization.Length > 0)
        {
            caller = await GitHttpAuthentication.AuthenticateAsync(http);
            if (caller is null)
            {
                GitHttpAuthentication.LogRefused(logger, http);
                await ChallengeAsync(http, "Wrong user name or API token (a web password is not accepted; create an API token).");
                return;
            }
        }
        else if (pushing)
        {
            await ChallengeAsync(http, "Pushing needs a user name and an API token.");
            return;
        }

        // The token's scopes come first: they do not depend on the repository, so the answer says nothing about it.
        var scope = pushing ? TokenScopes.RepositoryWrite : TokenScopes.RepositoryRead;
        if (caller is not null && !caller.Allows(scope))
        {
            await TextAsync(http, StatusCodes.Status403Forbidden, TokenScopes.Missing(scope));
            return;
        }
        RepositoryInfo repository;
        try
        {
            if (!RepositoryName.TryParse(owner + "/" + name, out var repositoryName)) throw RepositoryErrors.NotFoundOrDenied(owner + "/" + name);
            (repository, _) = await services.GetRequiredService<RepositoryAccess>().OpenAsync(
                caller?.Subject ?? AccessSubject.Anonymous, repositoryName, pushing ? AccessLevel.Write : AccessLevel.Read, cancellationToken);
            if (repository.Scm != Scm.Git) throw RepositoryErrors.NotFoundOrDenied(repository.FullName);
        }
        catch (WharfException e) when (caller is null && e.Category is ErrorCategory.NotFound or ErrorCategory.PermissionDenied)
        {
            // Private and missing look the same to nobody: git asks for credentials, and with them gets 404 for both.
            await ChallengeAsync(http, "Authentication required: use your user name and an API token.");
            return;
        }
        catch (WharfException e)
        {
            await TextAsync(http, Api.ApiErrors.Status(e.Category), e.Message);
            return;
        }

        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = advertise ? $"application/x-{serviceName}-advertisement" : $"application/x-{serviceName}-result";
        response.Headers.CacheControl = "no-cache, max-age=0, must-revalidate";
        response.Headers.Pragma = "no-cache";
        response.Headers.Expires = "Fri, 01 Jan 1980 00:00:00 GMT";
        // Git-Protocol carries GIT_PROTOCOL (version=2); receive-pack has no version 2, so only upload-pack gets it.
        var gitProtocol = gitService == GitService.UploadPack && http.Request.Headers["Git-Protocol"].ToString() is { Length: > 0 } p ? p : null;
        var version2 = gitProtocol is not null && gitProtocol.Split(':').Contains("version=2", StringComparer.Ordinal);
        // A push may be far larger than Kestrel's 30 MB default body limit; it streams, so no limit is needed to bound memory.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        Stream input;
        if (advertise)
        {
            input = Stream.Null;
            // Version 0 and 1 answers start with the service line (gitprotocol-http(5), "Smart Clients"); version 2's do not.
            if (!version2)
            {
                await response.Body.WriteAsync(PktLine($"# service={serviceName}\n"), cancellationToken);
                await response.Body.WriteAsync("0000"u8.ToArray(), cancellationToken);
            }
        }
        else
        {
            var encoding = http.Request.Headers.ContentEncoding.ToString();
            if (encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || encoding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
                input = new GZipStream(http.Request.Body, CompressionMode.Decompress, leaveOpen: true);
            else if (encoding.Length == 0 || encoding.Equals("identity", StringComparison.OrdinalIgnoreCase)) input = http.Request.Body;
            else
            {
                response.ContentType = "text/plain; charset=utf-8";
                await TextAsync(http, StatusCodes.Status415UnsupportedMediaType, $"Unsupported Content-Encoding {Display.Quote(encoding)}: send gzip or nothing.");
                return;
            }
        }
        await using var inflating = input as GZipStream;
        // git's own stderr in stateless mode is for the server: whatever it says reaches the client in the response's
        // side band. It is kept (bounded) for the log when git fails.
        using var stderr = new BoundedBuffer(4096);
        var identity = caller is null ? (WharfIdentity)new AnonymousPrincipal() : caller.Principal;
        var status = await services.GetRequiredService<RepositorySessions>().ServeGitAsync(services, identity, repository, gitService, gitProtocol,
            advertise ? [GitProcessRunner.StatelessRpc, GitProcessRunner.AdvertiseRefs] : [GitProcessRunner.StatelessRpc],
            http.Connection.RemoteIpAddress?.ToString(), input, response.Body, stderr, cancellationToken);
        if (status != 0) LogGitFailed(logger, serviceName!, repository.FullName, status, stderr.Text);
    }

    private static byte[] PktLine(string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        return [.. Encoding.ASCII.GetBytes((payload.Length + 4).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)), .. payload];
    }

    /// <summary>401 with the Basic challenge, so git asks for (or its credential helper supplies) a user name and token.</summary>
    private static Task ChallengeAsync(HttpContext http, string message)
    {
        http.Response.Headers.WWWAuthenticate = GitHttpAuthentication.Challenge;
        return TextAsync(http, StatusCodes.Status401Unauthorized, message);
    }

    /// <summary>A refusal as text/plain: git prints such a body's lines as "remote: ..." before its own error.</summary>
    private static Task TextAsync(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/plain; charset=utf-8";
        http.Response.Headers.CacheControl = "no-cache";
        return http.Response.WriteAsync(message + "\n", http.RequestAborted);
    }

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "git {Service} over HTTP on {Repository} exited with {ExitStatus}: {Stderr}")]
    private static partial void LogGitFailed(ILogger logger, string service, string repository, int exitStatus, string stderr);

    /// <summary>A write-only stream keeping the first bytes written to it (git's stderr, for the log).</summary>
    private sealed class BoundedBuffer(int capacity) : Stream
    {
        private readonly MemoryStream _kept = new();
        public string Text => Display.Printable(Encoding.UTF8.GetString(_kept.ToArray()).Trim());
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _kept.Length;
        public override long Position { get => _kept.Length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) =>
            _kept.Write(buffer, offset, (int)Math.Min(count, Math.Max(0, capacity - _kept.Length)));
        protected override void Dispose(bool disposing)
        {
            if (disposing) _kept.Dispose();
            base.Dispose(disposing);
        }
    }
}
