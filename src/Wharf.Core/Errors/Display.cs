using System.Text;

namespace Wharf.Core.Errors;

/// <summary>Makes untrusted text safe to echo back in an error: a terminal must never receive control characters from it.</summary>
public static class Display
{
    public static string Quote(string? value, int maxLength = 64)
    {
        if (value is null) return "''";
        var sb = new StringBuilder(Math.Min(value.Length, maxLength) + 2);
        sb.Append('\'');
        foreach (var c in value.Length > maxLength ? value[..maxLength] : value)
            sb.Append(char.IsControl(c) ? '?' : c);
        if (value.Length > maxLength) sb.Append('…');
        sb.Append('\'');
        return sb.ToString();
    }
}
