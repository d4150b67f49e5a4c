using System.Text.Encodings.Web;

namespace Wharf.Server.Web;

/// <summary>
/// The encoder Razor uses for page text, for code (and tests) that must predict what a page shows. Pages themselves
/// are Razor components (<see cref="WebPage"/>); nothing builds HTML from strings.
/// </summary>
public static class Html
{
    /// <summary>HTML-encodes text for element content and quoted attribute values, as Razor does.</summary>
    public static string E(string? text) => HtmlEncoder.Default.Encode(text ?? "");
}
