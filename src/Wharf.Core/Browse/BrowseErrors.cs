using Wharf.Core.Errors;

namespace Wharf.Core.Browse;

/// <summary>The refusals of the code browser, with their stable codes (the API's <c>error.code</c>).</summary>
public static class BrowseErrors
{
    public const string TimeoutCode = "browse-timeout";

    /// <summary>A read that ran past <see cref="BrowseLimits.Timeout"/> and was stopped.</summary>
    public static WharfException TooSlow(TimeSpan timeout) =>
        WharfException.Unavailable($"Reading the repository took longer than {Describe(timeout)}, so it was stopped. Try again, or ask the administrator to raise Browse:Timeout.", TimeoutCode);

    private static string Describe(TimeSpan t) =>
        t.TotalSeconds >= 1 && t.TotalSeconds == Math.Floor(t.TotalSeconds)
            ? $"{t.TotalSeconds:0} s"
            : $"{t.TotalMilliseconds:0} ms";
}
