using Wharf.Core;

namespace Wharf.Server.Web.Repositories;

/// <summary>
/// <c>{owner:owner}</c>: a first path segment that can be an account's name. Reserved names (<c>2.0</c>,
/// <c>account</c>, <c>static</c>, ...) never match, so a path under the API or the account pages that has no
/// route of its own stays a plain 404 of its part of the site instead of becoming a repository page (which for
/// an API client would be a redirect to the sign-in form).
/// </summary>
internal sealed class OwnerRouteConstraint : IRouteConstraint
{
    public const string Name = "owner";

    public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection) =>
        values.TryGetValue(routeKey, out var value) && value is string owner
        && Names.IsValidUserName(owner) && !Names.ReservedUserNames.Contains(owner);
}
