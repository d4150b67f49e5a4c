using Wharf.Server.Admin;
using Wharf.Server.Cli;
using Wharf.Server.Hosting;

// wharf: one executable for the server and its admin commands. Each verb lives in its own file.
var wharf = new CliApp(
[
    ServeCommand.Command,          // wharf serve [--http ADDR:PORT] [--ssh ADDR:PORT] [--data DIR]
    UserCommands.Create,           // wharf admin user create NAME --email EMAIL
    KeyCommands.Add,               // wharf admin key add USER [--label LABEL]   < key.pub
    RepositoryCommands.Create,     // wharf admin repo create OWNER/NAME
]);

return await wharf.RunAsync(args, CliContext.System, CancellationToken.None);
