using Wharf.Core.Errors;

namespace Wharf.Server.Web.Api;

/// <summary>Bitbucket's paging over a list already in memory: <c>page</c> from 1, <c>pagelen</c> 1 to 100 (default 10).</summary>
public static class ApiPaging
{
    public const int DefaultPageLength = 10;
    public const int MaxPageLength = 100;

    public static PageDto<T> Page<T>(IReadOnlyList<T> all, int? page, int? pagelen, HttpRequest request)
    {
        var size = pagelen ?? DefaultPageLength;
        var number = page ?? 1;
        if (size is < 1 or > MaxPageLength || number < 1)
            throw WharfException.InvalidArgument($"page must be 1 or more and pagelen 1 to {MaxPageLength}.", "invalid-page");
        var values = all.Skip((number - 1) * size).Take(size).ToList();
        var next = (long)number * size < all.Count
            ? $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}?page={number + 1}&pagelen={size}"
            : null;
        return new PageDto<T>(values, number, size, all.Count, next);
    }

    public static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}";
}
