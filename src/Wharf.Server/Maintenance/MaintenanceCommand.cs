using System.Globalization;
using System.Text;
using Wharf.Core.Errors;
using Wharf.Core.Repositories;

namespace Wharf.Server.Maintenance;

/// <summary>The body of <c>wharf admin repo maintain OWNER/NAME</c>: one run now, whatever the thresholds, and its report.</summary>
public static class MaintenanceCommand
{
    public static async Task<string> RunAsync(IServiceProvider services, RepositoryInfo repository, CancellationToken cancellationToken)
    {
        var name = Display.Printable(repository.FullName);
        if (repository.Scm == Scm.Hg)
            return $"{name} is a Mercurial repository: Wharf maintains only git repositories (Mercurial's revlogs need no repacking). Nothing was done.";
        var result = await services.GetRequiredService<RepositoryMaintainer>().RunAsync(repository.Path, force: true, pushes: 0, cancellationToken);
        if (result.Outcome == MaintenanceOutcome.Busy)
            throw WharfException.Unavailable($"Maintenance of {name} did not run: {result.Busy}. Nothing was changed; try again when it has finished.");
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Maintained {name} in {Seconds(result.Took)}\n");
        text.Append(CultureInfo.InvariantCulture, $"before: {result.Before}\n");
        text.Append(CultureInfo.InvariantCulture, $"after:  {result.After}\n");
        foreach (var step in result.Steps ?? [])
            text.Append(CultureInfo.InvariantCulture, $"ran: {step.Command} ({Seconds(step.Took)})\n");
        text.Append(CultureInfo.InvariantCulture, $"files: {string.Join(", ", result.Files ?? [])}");
        return text.ToString();
    }

    private static string Seconds(TimeSpan took) => took.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";
}
