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

    /// <summary>Something the operator should know that is not a fault (the UPS is on battery and set the budget).</summary>
    void Notice(string message)
    {
    }

    /// <summary>
    /// The run's budget was made shorter while it runs (the UPS's battery ends before the plan's
    /// deadline): <paramref name="budget"/> from the run's start (as <see cref="Plan.Budget"/> counts), and why.
    /// Called from the thread that follows the UPS.
    /// </summary>
    void Tightened(TimeSpan budget, string message)
    {
    }

    /// <summary>A hook ended (well or not: one that did not is a <see cref="Fault"/> too). Called from several threads.</summary>
    void HookEnded(Hooks.HookResult hook)
    {
    }
}
