using Wharf.Server.Cli;

// wharf: one executable for the server and its admin commands.
//   Cli/WharfCommands.cs   the verbs (serve, admin user/key/repo), each in its own file
//   Hosting/               serve: ASP.NET Core host, data directory, service composition
//   Ssh/                   the SSH front door: key lookup, git exec, greeting, logs
//   Web/                   HTTP endpoints
//   Admin/                 admin verbs over the same services
// sshd's two commands ask a running `wharf serve` first, before anything below is built (OpenSsh/FrontEndClient.cs).
if (Wharf.Server.OpenSsh.FrontEndClient.TryRun(args, Wharf.Server.OpenSsh.SelfInvocation.Words()) is { } answered) return answered;
return await new CliApp(WharfCommands.All).RunAsync(args, CliContext.System, CancellationToken.None);
