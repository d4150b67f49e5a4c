using System.Globalization;
using Npgsql;
using Wharf.Core.Errors;

namespace Wharf.Data;

/// <summary>
/// Reads where a PostgreSQL database is: a URL <c>postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require</c>
/// (libpq's form, also <c>postgresql://</c>; user and password percent-encoded) or an Npgsql keyword string
/// (<c>Host=db;Username=wharf;Password=...;Database=wharf</c>). Query parameters are Npgsql connection
/// string keywords. Every refusal is an InvalidArgument whose message never contains the password.
/// </summary>
public static class PostgresConnection
{
    public const int DefaultPort = 5432;
    public const string Example = "postgres://USER:PASSWORD@HOST:PORT/DATABASE";

    /// <param name="text">The URL or keyword string.</param>
    /// <param name="source">Where it came from, for the message: "--database", "WHARF_DATABASE", "ConnectionStrings:Wharf".</param>
    public static NpgsqlConnectionStringBuilder Parse(string text, string source)
    {
        var trimmed = text.Trim();
        if (trimmed.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
            trimmed.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            return FromUrl(trimmed, source);
        if (trimmed.Contains('='))
            return FromKeywords(trimmed, source);
        throw Invalid(source, $"expected {Example}");
    }

    private static NpgsqlConnectionStringBuilder FromUrl(string url, string source)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            throw Invalid(source, $"not a URL of the form {Example}");
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : uri.Host,
            Port = uri.Port > 0 ? uri.Port : DefaultPort,
        };
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':');
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0) builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0 || database.Contains('/'))
            throw Invalid(source, $"the URL must name one database after the host: {Example}");
        builder.Database = database;

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            if (key.Equals("password", StringComparison.OrdinalIgnoreCase))
                throw Invalid(source, "put the password in the URL's user part (postgres://USER:PASSWORD@HOST/DATABASE), not in a parameter");
            try
            {
                builder[key] = value;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
            {
                throw Invalid(source, $"unknown or invalid parameter {Display.Quote(key)}");
            }
        }
        return builder;
    }

    private static NpgsqlConnectionStringBuilder FromKeywords(string text, string source)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(text);
            if (string.IsNullOrEmpty(builder.Host)) throw Invalid(source, "the connection string names no Host");
            return builder;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            // Npgsql's message can quote the offending part, which may be the password: say less.
            throw Invalid(source, "not a valid Npgsql connection string (Host=...;Username=...;Password=...;Database=...)");
        }
    }

    /// <summary>The target as a URL without its password: <c>postgres://wharf@db.example:5432/wharf</c>.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder builder)
    {
        var user = string.IsNullOrEmpty(builder.Username) ? "" : Uri.EscapeDataString(builder.Username) + "@";
        var host = builder.Host ?? "";
        if (host.Contains(':') && !host.Contains(',')) host = "[" + host + "]";
        return string.Create(CultureInfo.InvariantCulture,
            $"postgres://{user}{host}:{builder.Port}/{Uri.EscapeDataString(builder.Database ?? "")}");
    }

    private static WharfException Invalid(string source, string reason) =>
        WharfException.InvalidArgument($"Invalid {source}: {reason}.");
}
