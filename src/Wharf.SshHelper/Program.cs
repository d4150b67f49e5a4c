using System.Diagnostics;
using Wharf.Server.OpenSsh;

// wharf-ssh-helper keys authorized --user %u --type %t --key %k --data DATA   (sshd's AuthorizedKeysCommand)
// wharf-ssh-helper shell --key-id N --data DATA                              (the forced command it prints)
// Asks wharf serve over DATA/run/wharf.sock (FrontEndClient); when nothing answers there, or for any other
// arguments, runs the wharf program in the same directory with the same arguments, standard streams and
// environment, and exits with its status.
var host = Environment.ProcessPath ?? Path.Combine(AppContext.BaseDirectory, "wharf-ssh-helper");
var directory = AppContext.BaseDirectory;
// Run as `dotnet wharf-ssh-helper.dll` (a build without Native AOT): the forced command and wharf need the muxer too.
var muxer = Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
string[] self = muxer ? [host, Path.Combine(directory, "wharf-ssh-helper.dll")] : [host];
if (FrontEndClient.TryRun(args, self) is { } answered) return answered;

ProcessStartInfo start;
if (muxer && File.Exists(Path.Combine(directory, "wharf.dll")))
{
    start = new ProcessStartInfo(host, [Path.Combine(directory, "wharf.dll"), .. args]);
}
else if (File.Exists(Path.Combine(directory, "wharf")))
{
    start = new ProcessStartInfo(Path.Combine(directory, "wharf"), args);
}
else
{
    Console.Error.WriteLine($"wharf-ssh-helper: wharf serve does not answer on its socket, and there is no wharf program in {directory} to run instead.");
    return 1;
}
start.UseShellExecute = false;
using var process = Process.Start(start)!;
process.WaitForExit();
return process.ExitCode;
