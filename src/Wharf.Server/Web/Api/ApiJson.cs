using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Wharf.Core.Errors;

namespace Wharf.Server.Web.Api;

/// <summary>
/// Reads an API request's JSON body inside the handler, not by minimal-API binding: a body that binding
/// refuses never reaches the endpoint filter and gets ASP.NET's own empty 400 or 415, where a Bitbucket
/// client expects <c>{"type": "error", ...}</c>. Every fault here is an InvalidArgument with its own code
/// (<see cref="ApiErrors.BodyNotJson"/>, <see cref="ApiErrors.BodyInvalidJson"/>), so <see cref="ApiErrors"/> answers it.
/// </summary>
public static class ApiJson
{
    public static async Task<T> ReadAsync<T>(HttpRequest request, string example, CancellationToken cancellationToken) where T : class
    {
        if (!request.HasJsonContentType())
            throw Invalid($"The request body must be JSON sent with 'Content-Type: application/json', such as {example}.", ApiErrors.BodyNotJson,
                request.ContentType is { Length: > 0 } type ? $"Content-Type was '{type}'." : "No Content-Type was sent.");
        if (request.ContentLength == 0)
            throw Invalid($"The request body is empty; send a JSON object such as {example}.", ApiErrors.BodyInvalidJson, null);

        // The options the responses use: snake_case names (expires_on), as Bitbucket writes them.
        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        T? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<T>(request.Body, options, cancellationToken);
        }
        catch (JsonException e)
        {
            // Where, not the serializer's own text: that names .NET types, which mean nothing to a client.
            throw Invalid($"The request body is not valid JSON of the expected shape, such as {example}.", ApiErrors.BodyInvalidJson,
                string.Create(CultureInfo.InvariantCulture, $"The fault is at {e.Path ?? "$"} (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1})."));
        }
        return body ?? throw Invalid($"The request body must be a JSON object such as {example}.", ApiErrors.BodyInvalidJson, "The body is the JSON literal null.");
    }

    /// <summary>
    /// Puts the body's schema into the OpenAPI document. Not <c>Accepts&lt;T&gt;()</c>: that also makes routing
    /// answer another Content-Type with its own bare 415, before <see cref="ReadAsync{T}"/> can explain.
    /// </summary>
    public static RouteHandlerBuilder DocumentJsonBody<T>(this RouteHandlerBuilder endpoint) =>
        endpoint.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
            operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(typeof(T), null, cancellationToken) },
                },
            });

    private static WharfException Invalid(string message, string code, string? detail) =>
        new(ErrorCategory.InvalidArgument, message, code) { Detail = detail };
}
