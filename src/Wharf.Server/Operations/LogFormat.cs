using Microsoft.Extensions.Logging.Console;
using Wharf.Core.Errors;

namespace Wharf.Server.Operations;

/// <summary>
/// <c>Logging:Format</c>: <c>text</c> (default, one readable line per event) or <c>json</c> (one JSON object per
/// line, with the event id and every named value under <c>State</c>, for Loki, Elasticsearch or journald
/// pipelines). Either way the console goes to stderr; stdout keeps only the "listening" lines scripts read.
/// </summary>
public static class LogFormat
{
    public const string Key = "Logging:Format";

    public static void Configure(ILoggingBuilder logging, IConfiguration configuration)
    {
        var format = configuration[Key];
        logging.ClearProviders();
        switch (format?.Trim().ToLowerInvariant())
        {
            case null or "" or "text":
                logging.AddSimpleConsole(o => o.SingleLine = true);
                break;
            case "json":
                logging.AddJsonConsole(o =>
                {
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                    o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
                });
                break;
            default:
                throw WharfException.InvalidArgument($"Invalid setting '{Key}': '{format}'. Use 'text' or 'json'.");
        }
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}
