using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Wharf.Server.Operations;

/// <summary>
/// Renders one <see cref="Meter"/> in the Prometheus text exposition format (version 0.0.4). A
/// <see cref="MeterListener"/> keeps a running value per instrument and label set: counters add,
/// observable instruments keep their last observation (they report totals), histograms count into fixed
/// buckets. Small on purpose: Wharf has a dozen series, and no other exporter is needed to read them.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    // Seconds, from a ls-remote (milliseconds) to a large push (minutes).
    private static readonly double[] Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    // Instrument → label text ("{a=\"1\"}") → value; instruments in the order they were published.
    private readonly Dictionary<Instrument, SortedDictionary<string, Series>> _series = [];

    public PrometheusExporter(WharfMetrics metrics)
    {
        var meter = metrics.Meter;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // By reference, not by name: several hosts in one process (tests) each have their own meter.
            if (!ReferenceEquals(instrument.Meter, meter)) return;
            lock (_lock) _series.TryAdd(instrument, new SortedDictionary<string, Series>(StringComparer.Ordinal));
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = Labels(tags);
        lock (_lock)
        {
            if (!_series.TryGetValue(instrument, out var byLabels)) return;
            if (!byLabels.TryGetValue(labels, out var series)) byLabels[labels] = series = new Series();
            if (IsHistogram(instrument))
            {
                series.Count++;
                series.Sum += value;
                series.Buckets ??= new long[Buckets.Length];
                for (var b = 0; b < Buckets.Length; b++)
                    if (value <= Buckets[b]) series.Buckets[b]++;
            }
            else if (instrument.IsObservable) series.Value = value;
            else series.Value += value;
        }
    }

    /// <summary>Observes the observable instruments, then writes every series.</summary>
    public string Render()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        lock (_lock)
        {
            foreach (var (instrument, byLabels) in _series)
            {
                var name = Name(instrument);
                var type = IsHistogram(instrument) ? "histogram" : Kind(instrument);
                text.Append("# HELP ").Append(name).Append(' ').Append(Escape(instrument.Description ?? "", help: true)).Append('\n');
                text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
                foreach (var (labels, series) in byLabels)
                {
                    if (type != "histogram")
                    {
                        text.Append(name).Append(labels).Append(' ').Append(Number(series.Value)).Append('\n');
                        continue;
                    }
                    for (var b = 0; b < Buckets.Length; b++)
                        Bucket(text, name, labels, Number(Buckets[b]), series.Buckets![b]);
                    Bucket(text, name, labels, "+Inf", series.Count);
                    text.Append(name).Append("_sum").Append(labels).Append(' ').Append(Number(series.Sum)).Append('\n');
                    text.Append(name).Append("_count").Append(labels).Append(' ').Append(series.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
                }
            }
        }
        return text.ToString();
    }

    private static void Bucket(StringBuilder text, string name, string labels, string le, long count)
    {
        // le joins the other labels inside the braces.
        var inner = labels.Length == 0 ? "" : labels[1..^1] + ",";
        text.Append(name).Append("_bucket{").Append(inner).Append("le=\"").Append(le).Append("\"} ")
            .Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    private static bool IsHistogram(Instrument instrument) => instrument is Histogram<double> or Histogram<long> or Histogram<int>;

    private static string Kind(Instrument instrument) =>
        instrument is ObservableGauge<long> or ObservableGauge<int> or ObservableGauge<double>
            or UpDownCounter<long> or ObservableUpDownCounter<long> or Gauge<long> or Gauge<double>
            ? "gauge" : "counter";

    /// <summary>Dots become underscores; the unit and "_total" are appended as Prometheus' naming rules ask.</summary>
    private static string Name(Instrument instrument)
    {
        var name = instrument.Name.Replace('.', '_');
        var unit = instrument.Unit switch { "s" => "_seconds", "By" => "_bytes", _ => "" };
        if (!name.EndsWith(unit, StringComparison.Ordinal)) name += unit;
        if (!IsHistogram(instrument) && Kind(instrument) == "counter") name += "_total";
        return name;
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var pairs = new List<KeyValuePair<string, object?>>(tags.ToArray());
        pairs.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return "{" + string.Join(",", pairs.Select(p => $"{p.Key}=\"{Escape(Convert.ToString(p.Value, CultureInfo.InvariantCulture) ?? "", help: false)}\"")) + "}";
    }

    private static string Escape(string value, bool help)
    {
        var s = value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
        return help ? s : s.Replace("\"", "\\\"", StringComparison.Ordinal);
    }

    private static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : value.ToString("R", CultureInfo.InvariantCulture);

    public void Dispose() => _listener.Dispose();

    private sealed class Series
    {
        public double Value;
        public long Count;
        public double Sum;
        public long[]? Buckets;
    }
}
