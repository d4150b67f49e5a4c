using System.Diagnostics;
using System.Diagnostics.Metrics;
using Wharf.Ssh.Server;

namespace Wharf.Server.Operations;

/// <summary>
/// Wharf's instruments (System.Diagnostics.Metrics), exported at <c>/metrics</c> by <see cref="PrometheusExporter"/>.
/// The SSH numbers are read from the library's <see cref="SshServerStatistics"/> when scraped, so the
/// protocol code only does interlocked adds; git operations are recorded as they end.
/// Names are Prometheus names with dots: <c>wharf.ssh.connections</c> is exported as <c>wharf_ssh_connections_total</c>.
/// </summary>
public sealed class WharfMetrics : IDisposable
{
    public const string MeterName = "Wharf";

    private readonly Counter<long> _gitOperations;
    private readonly Histogram<double> _gitDuration;

    public WharfMetrics(IMeterFactory meters, SshServerStatistics ssh)
    {
        Meter = meters.Create(MeterName);
        Meter.CreateObservableGauge("wharf.ssh.connections.open", () => ssh.ConnectionsOpen,
            description: "SSH connections open now, logged in or not.");
        Meter.CreateObservableGauge("wharf.ssh.connections.alive", () => ssh.ConnectionsAlive,
            description: "SSH connections still held by the server, until every task and timer they started has ended.");
        Meter.CreateObservableGauge("wharf.ssh.background_tasks", () => ssh.BackgroundTasksRunning,
            description: "Tasks and timers started by SSH connections (watchdogs, sessions, rekeys) and still running.");
        Meter.CreateObservableCounter("wharf.ssh.connections", () => ssh.ConnectionsAccepted,
            description: "SSH connections accepted since start.");
        Meter.CreateObservableCounter("wharf.ssh.connections.refused", () => ssh.ConnectionsRefused,
            description: "SSH connections refused at the door (connection limits, shutting down).");
        Meter.CreateObservableCounter("wharf.ssh.authentications", () => new[]
        {
            new Measurement<long>(ssh.AuthenticationsSucceeded, new KeyValuePair<string, object?>("result", "success")),
            new Measurement<long>(ssh.AuthenticationsFailed, new KeyValuePair<string, object?>("result", "failure")),
        }, description: "SSH logins: success, or a connection that tried and ended without logging in.");
        Meter.CreateObservableCounter("wharf.ssh.bytes", () => new[]
        {
            new Measurement<long>(ssh.BytesReceived, new KeyValuePair<string, object?>("direction", "in")),
            new Measurement<long>(ssh.BytesSent, new KeyValuePair<string, object?>("direction", "out")),
        }, unit: "By", description: "SSH packet bytes received (in) and sent (out), encryption overhead included.");
        _gitOperations = Meter.CreateCounter<long>("wharf.git.operations",
            description: "git and hg commands run over SSH, by service and exit status (refused: not allowed or not found).");
        _gitDuration = Meter.CreateHistogram<double>("wharf.git.operation.duration", unit: "s",
            description: "Time from the exec request to the exit status, by service.");
    }

    public Meter Meter { get; }

    /// <summary>Records one finished command. <paramref name="status"/> is git's exit code, or "refused".</summary>
    public void GitOperation(string service, string status, TimeSpan elapsed)
    {
        var tags = new TagList { { "service", service }, { "status", status } };
        _gitOperations.Add(1, tags);
        _gitDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("service", service));
    }

    public void Dispose() => Meter.Dispose();
}
