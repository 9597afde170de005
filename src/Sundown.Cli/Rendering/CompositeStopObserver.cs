using Sundown.Core.Planning;
using Sundown.Engine.Execution;
using Sundown.Engine.Reports;
using Sundown.Engine.Stopping;

namespace Sundown.Cli.Rendering;

/// <summary>Several watchers of one stop: the console, and systemd when it runs the stop.</summary>
internal sealed class CompositeStopObserver(IReadOnlyList<IStopObserver> observers) : IStopObserver
{
    public void Planned(Plan plan, DateTimeOffset runStart)
    {
        foreach (var observer in observers)
        {
            observer.Planned(plan, runStart);
        }
    }

    public void Progress(StopProgress progress)
    {
        foreach (var observer in observers)
        {
            observer.Progress(progress);
        }
    }

    public void Fault(Fault fault)
    {
        foreach (var observer in observers)
        {
            observer.Fault(fault);
        }
    }

    public void Notice(string message)
    {
        foreach (var observer in observers)
        {
            observer.Notice(message);
        }
    }

    public void Tightened(TimeSpan budget, string message)
    {
        foreach (var observer in observers)
        {
            observer.Tightened(budget, message);
        }
    }
}
