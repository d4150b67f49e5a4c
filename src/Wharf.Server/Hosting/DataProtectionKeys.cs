using Microsoft.AspNetCore.DataProtection;
using Wharf.Core;

namespace Wharf.Server.Hosting;

/// <summary>
/// The web sign-in cookie and the antiforgery tokens are sealed with ASP.NET Core data protection keys. ASP.NET
/// keeps them in the home directory of whoever runs the process; Wharf keeps them in the data directory instead,
/// so that every node sharing it accepts the cookies any node issued (a load balancer needs no sticky sessions)
/// and a server moved with its data directory keeps its sessions.
/// </summary>
public static class DataProtectionKeys
{
    public static string Directory(WharfPaths paths) => Path.Combine(paths.DataDirectory, "data-protection-keys");

    public static IServiceCollection AddWharfDataProtection(this IServiceCollection services, WharfPaths paths)
    {
        services.AddDataProtection().SetApplicationName("wharf").PersistKeysToFileSystem(new DirectoryInfo(Directory(paths)));
        return services;
    }
}
