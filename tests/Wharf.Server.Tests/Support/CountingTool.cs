namespace Wharf.Server.Tests.Support;

/// <summary>A wrapper script that writes each command line of a tool (git, hg) to a log before running it, to count processes.</summary>
public static class CountingTool
{
    /// <summary>Writes the wrapper at <paramref name="wrapper"/>, appending to <paramref name="log"/>; returns its path.</summary>
    public static string Write(string wrapper, string tool, string log)
    {
        File.WriteAllText(wrapper, $"#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{log}'\nexec {tool} \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return wrapper;
    }
}
