using Sundown.Core.Planning;
using Sundown.Engine.Execution;
using Sundown.Engine.Reports;

namespace Sundown.Engine.Stopping;

/// <summary>Watches a stop as it runs: the progress display on a terminal, log lines elsewhere.</summary>
public interface IStopObserver
{
    /// <summary>The plan is made and the first step is about to be taken.</summary>
    void Planned(Plan plan, DateTimeOffset runStart);

    /// <summary>A step began or ended, or a guest finished. Called from several threads.</summary>
    void Progress(StopProgress progress);

    /// <summary>A fault was found and worked around; the stop goes on. Called from several threads.</summary>
    void Fault(Fault fault);
}
