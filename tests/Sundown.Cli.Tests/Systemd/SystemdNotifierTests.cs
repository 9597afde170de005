using System.Collections.Immutable;
using Microsoft.Extensions.Time.Testing;
using Sundown.Cli.Systemd;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Engine.Execution;
using Sundown.Engine.Journaling;
using Sundown.Libvirt.Tests;

namespace Sundown.Cli.Tests.Systemd;

/// <summary>sd_notify messages during a stop: the notifier over a real socket on virtual time, and a whole stop in-process.</summary>
[Collection(nameof(NotifySocketCollection))]
public sealed class SystemdNotifierTests
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_margin = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 30_000)]
    public void Stop_sends_stopping_then_extends_the_timeout_every_interval_but_never_past_the_deadline_plus_margin()
    {
        using var listener = NotifyListener.AtPath();
        var time = new FakeTimeProvider();
        using var notifier = new SystemdNotifier(listener.Address, time, s_interval, s_margin);

        notifier.Planned(PlanOf(TimeSpan.FromSeconds(30), "a", "b"), time.GetUtcNow());
        var first = Lines(listener.WaitFor(1));
        time.Advance(s_interval);
        var tick = Lines(listener.WaitFor(2));
        for (int count = 3; count <= 11; count++)         // 50 s in: 10 s left before 30 s + 30 s
        {
            time.Advance(s_interval);
            listener.WaitFor(count);
        }

        var nearLimit = Lines(listener.Messages[10]);
        time.Advance(s_interval);                         // 55 s in: 5 s left
        var lastExtension = Lines(listener.WaitFor(12));
        time.Advance(s_interval);                         // 60 s in: the limit
        var atLimit = Lines(listener.WaitFor(13));

        Assert.Equal("STOPPING=1", first[0]);
        // The whole window at once (30 s + 30 s): systemd's timer is then held off until the limit however late the ticks.
        Assert.Contains("EXTEND_TIMEOUT_USEC=60000000", first);
        Assert.Contains(first, line => line.StartsWith("STATUS=stopping guests: 2 of 2 still up", StringComparison.Ordinal));
        Assert.Contains("EXTEND_TIMEOUT_USEC=10000000", tick);
        Assert.Contains("EXTEND_TIMEOUT_USEC=10000000", nearLimit);
        Assert.Contains("EXTEND_TIMEOUT_USEC=5000000", lastExtension);
        Assert.DoesNotContain(atLimit, line => line.StartsWith("EXTEND_TIMEOUT_USEC=", StringComparison.Ordinal));
        Assert.Contains(atLimit, line => line.StartsWith("STATUS=", StringComparison.Ordinal));
    }

    [Fact(Timeout = 30_000)]
    public void Status_counts_the_guests_still_up_on_an_abstract_socket()
    {
        using var listener = NotifyListener.Abstract();
        var time = new FakeTimeProvider();
        using var notifier = new SystemdNotifier(listener.Address, time, s_interval, s_margin);
        notifier.Planned(PlanOf(null, "a", "b"), time.GetUtcNow());

        notifier.Progress(new StopProgress(time.GetUtcNow(), "test:///default", "uuid-a", "a", "acpi", null, null, null));
        notifier.Progress(new StopProgress(time.GetUtcNow(), "test:///default", "uuid-a", "a", null, null, GuestOutcome.Shutdown, null));
        time.Advance(s_interval);

        Assert.Contains("STATUS=stopping guests: 1 of 2 still up, 5.0s elapsed", Lines(listener.WaitFor(2)));
    }

    [Fact(Timeout = 30_000)]
    public void Without_a_budget_the_plans_worst_case_bounds_the_extensions()
    {
        using var listener = NotifyListener.AtPath();
        var time = new FakeTimeProvider();
        using var notifier = new SystemdNotifier(listener.Address, time, s_interval, s_margin);

        notifier.Planned(PlanOf(null, "a"), time.GetUtcNow());   // worst case 2 min: the limit is 2 min 30 s
        for (int count = 2; count <= 30; count++)                // one message per tick: a datagram queue holds few
        {
            time.Advance(s_interval);
            listener.WaitFor(count);
        }

        Assert.Contains("EXTEND_TIMEOUT_USEC=5000000", Lines(listener.Messages[29]));   // 145 s in
        time.Advance(s_interval);
        Assert.DoesNotContain(Lines(listener.WaitFor(31)), line => line.StartsWith("EXTEND_TIMEOUT_USEC=", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_NOTIFY_SOCKET_there_is_no_notifier()
    {
        string? saved = Environment.GetEnvironmentVariable(SystemdNotifier.SocketVariable);
        try
        {
            Environment.SetEnvironmentVariable(SystemdNotifier.SocketVariable, null);
            Assert.Null(SystemdNotifier.FromEnvironment(TimeProvider.System, s_margin));
            Environment.SetEnvironmentVariable(SystemdNotifier.SocketVariable, "vsock:2:1234");
            Assert.Null(SystemdNotifier.FromEnvironment(TimeProvider.System, s_margin));
        }
        finally
        {
            Environment.SetEnvironmentVariable(SystemdNotifier.SocketVariable, saved);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_stop_under_systemd_sends_stopping_and_extends_its_timeout() => await Task.Run(() =>
    {
        using var listener = NotifyListener.AtPath();
        using var file = TestHostFile.Create(50);
        string stateDir = Directory.CreateTempSubdirectory("sundown-state-").FullName;
        string? savedSocket = Environment.GetEnvironmentVariable(SystemdNotifier.SocketVariable);
        string? savedInterval = Environment.GetEnvironmentVariable(SystemdNotifier.IntervalVariable);
        CliRunner.Result result;
        try
        {
            Environment.SetEnvironmentVariable(SystemdNotifier.SocketVariable, listener.Address);
            // The test driver stops a guest at once, so the stop may end before a tick: the ticks are
            // the virtual-time tests' subject (and the whole-host test's, under a real systemd). A
            // short interval lets some happen here all the same.
            Environment.SetEnvironmentVariable(SystemdNotifier.IntervalVariable, "5");
            result = CliRunner.Run("stop", "-c", file.Uri, "--budget", "30s", "--state-dir", stateDir);
        }
        finally
        {
            Environment.SetEnvironmentVariable(SystemdNotifier.SocketVariable, savedSocket);
            Environment.SetEnvironmentVariable(SystemdNotifier.IntervalVariable, savedInterval);
            Directory.Delete(stateDir, recursive: true);
        }

        Assert.True(result.ExitCode == 0, result.Error);
        listener.WaitFor(1);
        var messages = listener.Messages;
        // The first message, sent as the stop begins (before the config, the UPS and the hosts),
        // already extends the timeout; the one sent once the plan is made says STOPPING=1.
        Assert.Contains(Lines(messages[0]), line => line.StartsWith("EXTEND_TIMEOUT_USEC=", StringComparison.Ordinal));
        Assert.Contains("STATUS=stopping guests: reading the config, the UPS and the hosts", Lines(messages[0]));
        var planned = Assert.Single(messages, message => message.StartsWith("STOPPING=1\n", StringComparison.Ordinal));
        Assert.Contains(Lines(planned), line => line.StartsWith("EXTEND_TIMEOUT_USEC=", StringComparison.Ordinal));
        Assert.All(messages, message => Assert.Contains("STATUS=stopping guests: ", message, StringComparison.Ordinal));
        // The console shows what it always does: no priority prefixes, nothing about systemd.
        Assert.StartsWith("Stopping ", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("<6>", result.Output, StringComparison.Ordinal);
    });

    [Fact(Timeout = 30_000)]
    public void Before_the_plan_the_stop_extends_the_timeout_every_interval_up_to_its_limit_then_the_plan_takes_over()
    {
        // The unit's TimeoutStopSec= is static (120 s): a stop that tries twice before its plan
        // must not be killed by it, nor one that hangs before its plan kept alive without end.
        using var listener = NotifyListener.AtPath();
        var time = new FakeTimeProvider();
        using var notifier = new SystemdNotifier(listener.Address, time, s_interval, s_margin);

        notifier.Begin();
        var first = Lines(listener.WaitFor(1));
        int ticks = (int)(SystemdNotifier.BeforePlanLimit / s_interval);     // 36 for 3 min
        for (int count = 2; count <= ticks; count++)
        {
            time.Advance(s_interval);
            listener.WaitFor(count);
        }

        var lastExtension = Lines(listener.Messages[ticks - 1]);             // 175 s in: 5 s left
        time.Advance(s_interval);
        var atLimit = Lines(listener.WaitFor(ticks + 1));                    // 180 s in: none
        notifier.Planned(PlanOf(TimeSpan.FromSeconds(30), "a"), time.GetUtcNow());
        var planned = Lines(listener.WaitFor(ticks + 2));

        Assert.Contains("EXTEND_TIMEOUT_USEC=180000000", first);
        Assert.DoesNotContain("STOPPING=1", first);
        Assert.Contains("STATUS=stopping guests: reading the config, the UPS and the hosts", first);
        Assert.Contains("EXTEND_TIMEOUT_USEC=5000000", lastExtension);
        Assert.DoesNotContain(atLimit, line => line.StartsWith("EXTEND_TIMEOUT_USEC=", StringComparison.Ordinal));
        Assert.Equal("STOPPING=1", planned[0]);
        Assert.Contains("EXTEND_TIMEOUT_USEC=60000000", planned);
        Assert.Contains(planned, line => line.StartsWith("STATUS=stopping guests: 1 of 1 still up", StringComparison.Ordinal));
    }

    [Fact(Timeout = 30_000)]
    public void Watchs_notifier_extends_but_never_says_stopping()
    {
        // From a running unit's main process, STOPPING=1 would make systemd stop sundown-watch.service.
        using var listener = NotifyListener.AtPath();
        var time = new FakeTimeProvider();
        using var notifier = new SystemdNotifier(listener.Address, time, s_interval, s_margin, announceStopping: false);

        notifier.Planned(PlanOf(TimeSpan.FromSeconds(30), "a"), time.GetUtcNow());
        var first = Lines(listener.WaitFor(1));
        time.Advance(s_interval);
        var tick = Lines(listener.WaitFor(2));

        Assert.DoesNotContain("STOPPING=1", first);
        Assert.Contains("EXTEND_TIMEOUT_USEC=60000000", first);
        Assert.Contains("EXTEND_TIMEOUT_USEC=10000000", tick);
        Assert.DoesNotContain("STOPPING=1", tick);

        // Watch lives on after its stop: once the stop's limit (30 s + 30 s) is reached, it falls silent.
        for (int count = 3; count <= 13; count++)
        {
            time.Advance(s_interval);
            listener.WaitFor(count);
        }

        time.Advance(s_interval * 3);
        Thread.Sleep(200);
        Assert.Equal(13, listener.Messages.Count);
    }

    private static string[] Lines(string message) => message.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A plan of guests that each run one two-minute ACPI step.</summary>
    private static Plan PlanOf(TimeSpan? budget, params string[] names)
    {
        var guests = names.Select(name => new PlannedGuest(
            new Guest("test:///default", name, $"uuid-{name}", GuestState.Running, 1, true, false, false, 1024, 1, null, true, false, null),
            GuestPolicy.Default,
            [new PlannedStep(StepKind.Acpi, TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(2), TimeSpan.Zero)],
            false,
            [])).ToImmutableArray();
        var worstCase = TimeSpan.FromMinutes(2);
        return new Plan(budget, [new PlanTier(0, budget, TimeSpan.Zero, TimeSpan.Zero, worstCase, guests)], []);
    }
}
