using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Wharf.Interop.Tests.Infrastructure;

/// <summary>
/// Debian's haproxy in front of one or more `wharf serve` SSH ports, with the configuration of docs/OPERATIONS.md
/// ("HAProxy in front of the SSH port"): one frontend, one backend with <c>balance leastconn</c> and every node as
/// <c>send-proxy-v2 check check-send-proxy</c>. Only the addresses differ (loopback: haproxy listens on 127.0.0.1 and
/// reaches the nodes from 127.0.0.1, the address the nodes list in <c>Ssh:TrustedProxies</c>), and the frontend binds
/// one port instead of 22 and 443.
/// </summary>
public sealed class Haproxy : IDisposable
{
    private readonly Process process;
    private readonly List<string> lines = [];

    private Haproxy(Process process, int port)
    {
        this.process = process;
        Port = port;
    }

    /// <summary>The setting every node behind it needs: haproxy connects from 127.0.0.1.</summary>
    public static IReadOnlyDictionary<string, string?> NodeEnvironment { get; } =
        new Dictionary<string, string?> { ["WHARF_Ssh__TrustedProxies"] = "127.0.0.1" };

    /// <summary>The port haproxy listens on (127.0.0.1).</summary>
    public int Port { get; }

    /// <summary>The configuration file the fixture writes for <paramref name="nodePorts"/> (node1, node2, ... in order).</summary>
    public static string Configuration(int port, IReadOnlyList<int> nodePorts)
    {
        var config = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"""
            defaults
                mode tcp
                timeout connect 5s
                timeout client 15m
                timeout server 15m

            frontend wharf_ssh
                bind 127.0.0.1:{port}
                default_backend wharf_ssh_nodes

            backend wharf_ssh_nodes
                balance leastconn

            """));
        for (var i = 0; i < nodePorts.Count; i++)
        {
            config.Append(CultureInfo.InvariantCulture, $"    server node{i + 1} 127.0.0.1:{nodePorts[i]} send-proxy-v2 check check-send-proxy\n");
        }

        return config.ToString();
    }

    /// <summary>Writes the configuration into <paramref name="directory"/>, starts haproxy and waits until it accepts connections.</summary>
    public static async Task<Haproxy> StartAsync(string directory, IReadOnlyList<int> nodePorts)
    {
        var executable = Tools.Require("haproxy", "haproxy");
        var port = LocalPorts.Free();
        var config = Path.Combine(directory, "haproxy.cfg");
        await File.WriteAllTextAsync(config, Configuration(port, nodePorts));
        var haproxy = new Haproxy(Process.Start(ProcessRunner.StartInfo(executable, ["-db", "-f", config], directory))!, port);
        haproxy.process.ErrorDataReceived += (_, e) => haproxy.Add(e.Data);
        haproxy.process.OutputDataReceived += (_, e) => haproxy.Add(e.Data);
        haproxy.process.BeginErrorReadLine();
        haproxy.process.BeginOutputReadLine();
        haproxy.process.StandardInput.Close();
        for (var i = 0; i < 100 && !LocalPorts.Accepting(port); i++) await Task.Delay(100);
        if (!LocalPorts.Accepting(port))
        {
            haproxy.Dispose();
            throw new InvalidOperationException("haproxy did not start:\n" + haproxy.Log());
        }

        return haproxy;
    }

    private void Add(string? line)
    {
        if (line is null) return;
        lock (lines) lines.Add(line);
    }

    /// <summary>What haproxy wrote so far, for assertion messages.</summary>
    public string Log()
    {
        lock (lines) return "--- haproxy ---\n" + string.Join('\n', lines);
    }

    public void Dispose()
    {
        ProcessRunner.Kill(process);
        process.Dispose();
    }
}
