using System.Globalization;
using Wharf.Core.Errors;

namespace Wharf.Core.Keys;

/// <summary>
/// An expiry as people type it, the same for the API (<c>expires_on</c>), the CLI (<c>--expires</c>) and the
/// keys page (<c>Expires</c>): a date such as <c>2027-01-31</c>, meaning the key stops working at the start of
/// that day, UTC (the end of the day is not implied), or a full ISO 8601 time. Blank means no expiry.
/// Whether it lies in the future is <see cref="SshKeyService"/>'s rule.
/// </summary>
public static class KeyExpiry
{
    public static DateTimeOffset? Parse(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            return time.ToUniversalTime();
        throw WharfException.InvalidArgument(
            $"Invalid {field} {Display.Quote(text)}: use a date such as 2027-01-31 or an ISO 8601 time.", KeyErrors.ExpiryInvalid);
    }
}
