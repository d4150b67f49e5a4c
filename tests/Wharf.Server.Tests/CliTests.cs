using Wharf.Core.Errors;
using Wharf.Server.Cli;

namespace Wharf.Server.Tests;

public sealed class CliTests : IDisposable
{
    private readonly TestData _data = new();
    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task UnknownCommandPrintsTheCommandListAndExits2()
    {
        var r = await _data.RunAsync("admin", "frobnicate");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("wharf: unknown command 'admin frobnicate'.\nusage:\n  wharf serve [--http ADDR:PORT] [--ssh ADDR:PORT[;ADDR:PORT...]] [--data DIR] [--database URL]\n", r.Error);
    }

    [Fact]
    public async Task UnknownOptionIsNamedAndExits2()
    {
        var r = await _data.RunAsync("admin", "repo", "create", "alice/site", "--force");
        Assert.Equal((2, "wharf: unknown option '--force' for 'admin repo create'.\nusage: wharf admin repo create OWNER/NAME [--hg] [--public] [--data DIR] [--database URL]\n"), (r.ExitCode, r.Error));
    }

    [Fact]
    public async Task ExtraArgumentIsRefused()
    {
        var r = await _data.RunAsync("admin", "user", "create", "alice", "bob", "--email", "a@example.org");
        Assert.Equal((2, "wharf: unexpected argument 'bob'.\nusage: wharf admin user create NAME --email EMAIL [--admin] [--password-stdin] [--data DIR] [--database URL]\n"), (r.ExitCode, r.Error));
    }

    [Fact]
    public async Task OptionWithoutValueIsRefused()
    {
        var output = new StringWriter();
        var error = new StringWriter { NewLine = "\n" };
        var code = await new CliApp(WharfCommands.All).RunAsync(["admin", "user", "create", "alice", "--email"],
            new CliContext(new StringReader(""), output, error, _ => null), CancellationToken.None);
        Assert.Equal((2, "wharf: option '--email' needs a value (EMAIL).\nusage: wharf admin user create NAME --email EMAIL [--admin] [--password-stdin] [--data DIR] [--database URL]\n"), (code, error.ToString()));
    }

    [Fact]
    public async Task WharfDataEnvironmentVariableChoosesTheDataDirectoryWhenNoOptionIsGiven()
    {
        var dir = Path.Combine(_data.Root, "from-env");
        var error = new StringWriter();
        var code = await new CliApp(WharfCommands.All).RunAsync(["admin", "user", "create", "alice", "--email", "a@example.org"],
            new CliContext(new StringReader(""), new StringWriter(), error, name => name == "WHARF_DATA" ? dir : null), CancellationToken.None);
        Assert.Equal(0, code);
        Assert.True(File.Exists(Path.Combine(dir, "wharf.db")));
    }

    [Fact]
    public async Task HelpGoesToStdoutAndExitsZero()
    {
        var output = new StringWriter();
        var code = await new CliApp(WharfCommands.All).RunAsync(["--help"],
            new CliContext(new StringReader(""), output, new StringWriter(), _ => null), CancellationToken.None);
        Assert.Equal(0, code);
        Assert.Contains("wharf admin key add USER [--label LABEL] [--expires DATE] [--usage USAGE] [--data DIR] [--database URL]", output.ToString());
    }

    [Theory]
    [InlineData(ErrorCategory.InvalidArgument, 2)]
    [InlineData(ErrorCategory.NotFound, 3)]
    [InlineData(ErrorCategory.AlreadyExists, 4)]
    [InlineData(ErrorCategory.PermissionDenied, 5)]
    [InlineData(ErrorCategory.Unavailable, 6)]
    public void EachErrorCategoryHasItsOwnExitCode(ErrorCategory category, int exitCode) =>
        Assert.Equal(exitCode, ExitCodes.For(category));

    [Fact]
    public void EveryErrorCategoryIsMapped() =>
        Assert.Equal(Enum.GetValues<ErrorCategory>().Length,
            Enum.GetValues<ErrorCategory>().Select(ExitCodes.For).Where(c => c != ExitCodes.InternalError).Distinct().Count());
}
