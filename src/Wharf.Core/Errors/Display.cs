using System.Globalization;
using System.Text;

namespace Wharf.Core.Errors;

/// <summary>
/// The one control-character rule for text people typed or pasted (labels, key comments, names), and the one
/// filter that makes untrusted text safe to echo back: a terminal must never receive control characters from it.
/// </summary>
public static class Display
{
    /// <summary>
    /// What no stored label, comment or name may hold: C0 and C1 controls and DEL (escape sequences, line
    /// breaks, tabs), the Unicode line and paragraph separators (line breaks too), and half of a surrogate
    /// pair (not a character; it cannot be stored as UTF-8).
    /// </summary>
    public static bool HasUnsafe(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (IsUnsafe(c)) return true;
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
                else return true;
            }
            else if (char.IsLowSurrogate(c)) return true;
        }
        return false;
    }

    /// <summary>The same text with every unsafe character (<see cref="HasUnsafe"/>) replaced by <paramref name="replacement"/>.</summary>
    public static string Printable(string text, char replacement = '?')
    {
        if (!HasUnsafe(text)) return text;
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
                continue;
            }
            sb.Append(IsUnsafe(c) || char.IsSurrogate(c) ? replacement : c);
        }
        return sb.ToString();
    }

    public static string Quote(string? value, int maxLength = 64)
    {
        if (value is null) return "''";
        var cut = value.Length > maxLength ? value[..maxLength] : value;
        return "'" + Printable(cut) + (value.Length > maxLength ? "…" : "") + "'";
    }

    private static bool IsUnsafe(char c) =>
        char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
