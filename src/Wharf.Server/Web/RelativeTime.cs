using System.Globalization;

namespace Wharf.Server.Web;

/// <summary>"just now", "5 minutes ago", "in 3 days", "on 2026-01-31": how the pages say when something happened.</summary>
public static class RelativeTime
{
    public static string Describe(DateTimeOffset at, DateTimeOffset now)
    {
        var delta = now - at;
        var future = delta < TimeSpan.Zero;
        var span = future ? -delta : delta;
        if (span < TimeSpan.FromMinutes(1)) return future ? "in under a minute" : "just now";
        string amount;
        if (span < TimeSpan.FromHours(1)) amount = Count((int)span.TotalMinutes, "minute");
        else if (span < TimeSpan.FromDays(1)) amount = Count((int)span.TotalHours, "hour");
        else if (span < TimeSpan.FromDays(31)) amount = Count((int)span.TotalDays, "day");
        else return "on " + at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return future ? "in " + amount : amount + " ago";
    }

    private static string Count(int n, string unit) => n == 1 ? $"1 {unit}" : $"{n.ToString(CultureInfo.InvariantCulture)} {unit}s";
}
