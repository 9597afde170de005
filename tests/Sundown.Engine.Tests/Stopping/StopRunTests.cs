using System.Collections.Concurrent;
using System.Diagnostics;
using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;
using Sundown.Engine.Starting;
using Sundown.Engine.Stopping;
using Sundown.Engine.Tests.Simulation;
using Sundown.Testing;

namespace Sundown.Engine.Tests.Stopping;

/// <summary>Whole stops with the journal, on the simulated host and the real clock (its guests are quick).</summary>
public sealed class StopRunTests : IDisposable
{
    private static readonly TimeSpan s_quick = TimeSpan.FromMilliseconds(50);
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-stoprun-").FullName;
    private readonly SimulatedHost _world = new(TimeProvider.System);
    private readonly ConcurrentDictionary<(string Uuid, string Namespace), string> _metadata = new();
    private readonly List<string> _mounts = [];

    public void Dispose()
    {
        foreach (string mount in _mounts)
        {
            ProcessRunner.RunAsync("umount", [mount], timeout: TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();
        }

        Directory.Delete(_stateDir, recursive: true);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_interrupted_stop_is_finished_by_the_next_one_which_stops_every_guest_still_up_with_its_own_budget()
    {
        var quick = _world.Add("quick", new(AcpiDelay: s_quick));
        var deaf = _world.Add("deaf", new(AcpiDelay: null));
        var config = ConfigParser.Parse("[defaults]\nstop = [\"acpi 2s\"]\n", "t.toml");
        var request = new StopRequest(config, [_world.Uri], TimeSpan.FromSeconds(30), null, _stateDir);
        using var interrupt = new CancellationTokenSource(TimeSpan.FromMilliseconds(700));

        var first = await StopRun.RunAsync(request, Open, TimeProvider.System, null, interrupt.Token);
        Assert.Equal(ExitCodes.Interrupted, first.ExitCode);
        Assert.Equal(GuestState.Running, _world[deaf.Uuid].Info.State);

        var second = await StopRun.RunAsync(request with { Budget = TimeSpan.FromMinutes(1) }, Open, TimeProvider.System, null, CancellationToken.None);

        Assert.True(second.Continued);
        // The new request's budget, not what the killed run had left (less this stop's own set-up:
        // the lock, the journal, the connect and the listing count against it).
        Assert.InRange(second.Plan.Budget!.Value, TimeSpan.FromSeconds(59), TimeSpan.FromMinutes(1));
        // The run's budget is what the killed run spent plus the new minute: more than the minute,
        // by the part of the 0.7 s that the first run had begun (its own set-up, slow on a busy
        // machine, comes before its start: CI once saw 0.13 s of it).
        Assert.InRange(second.Report.BudgetSeconds!.Value, 60.01, 65);
        Assert.Equal(ExitCodes.SomeForced, second.ExitCode);
        Assert.Equal(GuestState.Shutoff, _world[deaf.Uuid].Info.State);
        var outcomes = second.Report.Guests.ToDictionary(g => g.Name, g => g.Outcome);
        Assert.Equal("shutdown", outcomes["quick"]);
        Assert.Equal("destroyed", outcomes["deaf"]);
        using var journal = Journal.Open(_stateDir);
        Assert.Single(journal.ListRuns());
        Assert.Equal(new[] { quick.Uuid, deaf.Uuid }.Order(StringComparer.Ordinal), journal.RestoreList().Select(g => g.Uuid).Order(StringComparer.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_whole_host_stop_after_an_interrupted_only_stop_is_a_new_run_that_asks_every_guest_by_acpi_first()
    {
        // The user's report: `stop --only X` interrupted, then `stop --budget 5m` destroyed every
        // running guest without one ACPI request, continuing a run whose budget was spent.
        var x = _world.Add("X", new(AcpiDelay: null));
        string[] others = ["a", "b", "c"];
        foreach (string name in others)
        {
            _world.Add(name, new(AcpiDelay: s_quick));
        }

        var config = ConfigParser.Parse("[defaults]\nstop = [\"acpi 1s\", \"destroy\"]\n", "t.toml");
        using var interrupt = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var onlyX = await StopRun.RunAsync(
            new StopRequest(config, [_world.Uri], TimeSpan.FromSeconds(2), ["X"], _stateDir), Open, TimeProvider.System, null, interrupt.Token);
        Assert.Equal(ExitCodes.Interrupted, onlyX.ExitCode);
        Assert.All(others, name => Assert.Equal(GuestState.Running, _world.Guests.Single(g => g.Info.Name == name).Info.State));
        // Past the killed run's own budget too: continuing it would leave no time at all.
        await Task.Delay(TimeSpan.FromSeconds(2));

        var whole = await StopRun.RunAsync(
            new StopRequest(config, [_world.Uri], TimeSpan.FromMinutes(5), null, _stateDir), Open, TimeProvider.System, null, CancellationToken.None);

        Assert.False(whole.Continued);
        Assert.InRange(whole.Plan.Budget!.Value, TimeSpan.FromSeconds(299), TimeSpan.FromMinutes(5));
        Assert.Equal(ExitCodes.SomeForced, whole.ExitCode);
        Assert.All(whole.Report.Guests, g => Assert.Equal("acpi", g.Steps.First().Action));
        Assert.All(others, name => Assert.Equal("shutdown", whole.Report.Guests.Single(g => g.Name == name).Outcome));
        Assert.Equal("destroyed", whole.Report.Guests.Single(g => g.Uuid == x.Uuid).Outcome);
        var abandoned = Assert.Single(whole.Report.Faults, f => f.Kind == FaultKinds.Continuation);
        Assert.Contains("whole-host stop", abandoned.Message, StringComparison.Ordinal);
        using var journal = Journal.Open(_stateDir);
        var runs = journal.ListRuns();
        Assert.Equal(2, runs.Count);
        Assert.All(runs, run => Assert.NotNull(run.FinishedAt));
    }

    [Fact(Timeout = 60_000)]
    public async Task An_only_stop_records_only_its_guests_and_leaves_the_others_running()
    {
        var web = _world.Add("web", new(AcpiDelay: s_quick));
        var db = _world.Add("db", new(AcpiDelay: s_quick));

        var result = await StopRun.RunAsync(
            new StopRequest(Config(""), [_world.Uri], TimeSpan.FromMinutes(1), ["web"], _stateDir), Open, TimeProvider.System, null, CancellationToken.None);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(GuestState.Running, _world[db.Uuid].Info.State);
        using var journal = Journal.Open(_stateDir);
        var run = journal.LoadRun(result.Report.Run)!;
        Assert.Equal([web.Uuid], run.Guests.Select(g => g.Uuid));
        Assert.Equal(["web"], run.Only!.Value);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_guest_with_a_bad_policy_element_is_stopped_with_the_configs_policy_and_a_metadata_fault()
    {
        var typo = _world.Add("typo", new(AcpiDelay: s_quick));
        var fine = _world.Add("fine", new(AcpiDelay: s_quick));
        _world[typo.Uuid].Info = _world[typo.Uuid].Info with
        {
            PolicyMetadata = """<policy xmlns="https://sundown.dev/xmlns/policy/1" stop="acpi soon, destroy"/>""",
        };
        var observed = new RecordingObserver();

        var result = await StopRun.RunAsync(
            new StopRequest(Config(""), [_world.Uri], TimeSpan.FromMinutes(1), null, _stateDir), Open, TimeProvider.System, observed, CancellationToken.None);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(GuestState.Shutoff, _world[typo.Uuid].Info.State);
        Assert.Equal(GuestState.Shutoff, _world[fine.Uuid].Info.State);
        var fault = Assert.Single(result.Report.Faults);
        Assert.Equal((FaultKinds.Metadata, "typo"), (fault.Kind, fault.Subject));
        Assert.Contains("'typo'", fault.Message, StringComparison.Ordinal);
        Assert.Contains("config's policy", fault.Message, StringComparison.Ordinal);
        Assert.Equal([fault], observed.Faults);
    }

    [Fact(Timeout = 60_000)]
    public async Task Of_two_hosts_one_refusing_the_others_guests_are_stopped_and_the_exit_is_4()
    {
        var web = _world.Add("web", new(AcpiDelay: s_quick));
        const string down = "sim:///down";

        var result = await StopRun.RunAsync(
            new StopRequest(Config(""), [down, _world.Uri], TimeSpan.FromMinutes(1), null, _stateDir),
            uri => uri == down ? throw new HostException(HostErrorKind.ConnectionLost, "Connection refused") : Open(uri),
            TimeProvider.System, null, CancellationToken.None);

        Assert.Equal(ExitCodes.SomeFailed, result.ExitCode);
        Assert.Equal(GuestState.Shutoff, _world[web.Uuid].Info.State);
        Assert.Equal("shutdown", Assert.Single(result.Report.Guests).Outcome);
        var fault = Assert.Single(result.Report.Faults);
        Assert.Equal((FaultKinds.Host, down), (fault.Kind, fault.Subject));
        Assert.Contains("Connection refused", fault.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_host_that_never_answers_costs_a_connect_timeout_inside_the_budget_and_the_other_is_stopped()
    {
        var web = _world.Add("web", new(AcpiDelay: s_quick));
        const string hanging = "sim:///hanging";
        using var never = new ManualResetEventSlim();
        var clock = Stopwatch.StartNew();

        // A budget of 4 s: the connect timeout is a quarter of it.
        var result = await StopRun.RunAsync(
            new StopRequest(Config(""), [hanging, _world.Uri], TimeSpan.FromSeconds(4), null, _stateDir),
            uri =>
            {
                if (uri == hanging)
                {
                    never.Wait();
                }

                return Open(uri);
            },
            TimeProvider.System, null, CancellationToken.None);
        never.Set();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"the stop took {clock.Elapsed}");
        Assert.Equal(ExitCodes.SomeFailed, result.ExitCode);
        Assert.Equal(GuestState.Shutoff, _world[web.Uuid].Info.State);
        Assert.Contains("no answer in 1s", Assert.Single(result.Report.Faults, f => f.Subject == hanging).Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_host_that_opens_then_never_lists_costs_a_list_timeout_and_the_other_is_stopped()
    {
        var web = _world.Add("web", new(AcpiDelay: s_quick));
        var frozen = new SimulatedHost(TimeProvider.System, "sim:///frozen");
        var stuck = frozen.Add("stuck", new(AcpiDelay: s_quick));
        using var never = new ManualResetEventSlim();
        var clock = Stopwatch.StartNew();

        var result = await StopRun.RunAsync(
            new StopRequest(Config(""), [frozen.Uri, _world.Uri], TimeSpan.FromSeconds(4), null, _stateDir),
            uri => uri == frozen.Uri ? new MetadataConnection(new SimulatedConnection(frozen), _metadata) { HoldListing = never } : Open(uri),
            TimeProvider.System, null, CancellationToken.None);
        never.Set();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"the stop took {clock.Elapsed}");
        Assert.Equal(ExitCodes.SomeFailed, result.ExitCode);
        Assert.Equal(GuestState.Shutoff, _world[web.Uuid].Info.State);
        Assert.Equal(GuestState.Running, frozen[stuck.Uuid].Info.State);
        Assert.Contains("no answer in 1s", Assert.Single(result.Report.Faults, f => f.Subject == frozen.Uri).Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_state_directory_that_cannot_be_created_gives_a_journal_in_memory_and_the_next_start_restores_from_the_guests_marks()
    {
        var web = _world.Add("web", new(AcpiDelay: s_quick));
        var paused = _world.Add("paused", new(AcpiDelay: s_quick, SaveTime: s_quick), GuestState.Paused);
        var cold = _world.Add("cold", new(AcpiDelay: s_quick), GuestState.Shutoff);
        _world.Add("transient", new(AcpiDelay: s_quick), persistent: false);
        // A file where the directory should be: root cannot create it either.
        string notADirectory = Path.Combine(_stateDir, "file");
        File.WriteAllText(notADirectory, "");
        var config = Config("[defaults]\nstop = [\"save\", \"acpi 1s\"]\n");

        var stop = await StopRun.RunAsync(
            new StopRequest(config, [_world.Uri], TimeSpan.FromMinutes(1), null, notADirectory), OpenWithMetadata, TimeProvider.System, null, CancellationToken.None);

        Assert.NotEqual(ExitCodes.SomeFailed, stop.ExitCode);
        Assert.Equal(4, stop.Report.Guests.Length);
        Assert.All(_world.Guests, g => Assert.Equal(GuestState.Shutoff, g.Info.State));
        Assert.Contains(stop.Report.Faults, f => f.Kind == FaultKinds.Journal && f.Message.Contains("without the lock", StringComparison.Ordinal));
        Assert.Contains(stop.Report.Faults, f => f.Kind == FaultKinds.Journal && f.Message.Contains("journal in memory", StringComparison.Ordinal));
        Assert.Contains(stop.Report.Faults, f => f.Kind == FaultKinds.Restore && f.Subject == "transient");
        // The guests to bring back, and no transient one: it has no persistent definition.
        Assert.Equal(
            new[] { paused.Uuid, web.Uuid }.Order(StringComparer.Ordinal),
            _metadata.Keys.Where(k => k.Namespace == RestoreMarks.Namespace).Select(k => k.Uuid).Order(StringComparer.Ordinal));
        Assert.Contains("state=\"paused\"", _metadata[(paused.Uuid, RestoreMarks.Namespace)], StringComparison.Ordinal);

        var start = await StartRun.RunAsync(new StartRequest(config, [_world.Uri], false, notADirectory), OpenWithMetadata, TimeProvider.System, null, CancellationToken.None);

        Assert.Equal(ExitCodes.Ok, start.ExitCode);
        Assert.Equal(["paused", "web"], start.Report.Guests.Select(g => g.Name).Order(StringComparer.Ordinal));
        Assert.Equal(GuestState.Running, _world[web.Uuid].Info.State);
        Assert.Equal(GuestState.Paused, _world[paused.Uuid].Info.State);
        Assert.Equal(GuestState.Shutoff, _world[cold.Uuid].Info.State);
        Assert.DoesNotContain(_metadata.Keys, k => k.Namespace == RestoreMarks.Namespace);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_read_only_state_directory_is_a_journal_fault_and_every_guest_is_still_stopped()
    {
        Requires.Root();
        string readOnly = await MountAsync("ro,size=1m");
        var web = _world.Add("web", new(AcpiDelay: s_quick));

        var stop = await StopRun.RunAsync(
            new StopRequest(Config(""), [_world.Uri], TimeSpan.FromMinutes(1), null, readOnly), OpenWithMetadata, TimeProvider.System, null, CancellationToken.None);

        Assert.Equal(ExitCodes.Ok, stop.ExitCode);
        Assert.Equal("shutdown", Assert.Single(stop.Report.Guests).Outcome);
        Assert.Equal(GuestState.Shutoff, _world[web.Uuid].Info.State);
        Assert.Contains(stop.Report.Faults, f => f.Kind == FaultKinds.Journal && f.Message.Contains("in memory", StringComparison.Ordinal));
        Assert.True(_metadata.ContainsKey((web.Uuid, RestoreMarks.Namespace)));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_full_disk_under_an_existing_journal_is_a_journal_fault_and_every_guest_is_still_stopped()
    {
        Requires.Root();
        string full = await MountAsync("size=256k");
        Journal.Open(full).Dispose();
        Fill(full);

        var web = _world.Add("web", new(AcpiDelay: s_quick));
        var db = _world.Add("db", new(AcpiDelay: s_quick));

        var stop = await StopRun.RunAsync(
            new StopRequest(Config(""), [_world.Uri], TimeSpan.FromMinutes(1), null, full), OpenWithMetadata, TimeProvider.System, null, CancellationToken.None);

        Assert.Equal(ExitCodes.Ok, stop.ExitCode);
        Assert.Equal(["shutdown", "shutdown"], stop.Report.Guests.Select(g => g.Outcome));
        Assert.Equal(GuestState.Shutoff, _world[web.Uuid].Info.State);
        Assert.Equal(GuestState.Shutoff, _world[db.Uuid].Info.State);
        Assert.Contains(stop.Report.Faults, f => f.Kind == FaultKinds.Journal);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_disk_that_fills_mid_run_leaves_the_report_whole_from_what_the_stop_saw()
    {
        Requires.Root();
        string disk = await MountAsync("size=512k");
        Journal.Open(disk).Dispose();
        var web = _world.Add("web", new(AcpiDelay: TimeSpan.FromMilliseconds(300)));
        var db = _world.Add("db", new(AcpiDelay: TimeSpan.FromMilliseconds(300)));
        // The disk fills once the run is journaled and before its first step.
        var observer = new RecordingObserver { OnPlanned = () => Fill(disk) };

        var stop = await StopRun.RunAsync(
            new StopRequest(Config(""), [_world.Uri], TimeSpan.FromMinutes(1), null, disk), OpenWithMetadata, TimeProvider.System, observer, CancellationToken.None);

        Assert.Equal(ExitCodes.Ok, stop.ExitCode);
        Assert.Equal(["shutdown", "shutdown"], stop.Report.Guests.Select(g => g.Outcome));
        Assert.NotNull(stop.Report.FinishedAt);
        Assert.Equal(GuestState.Shutoff, _world[web.Uuid].Info.State);
        Assert.Equal(GuestState.Shutoff, _world[db.Uuid].Info.State);
        Assert.Contains(stop.Report.Faults, f => f.Kind == FaultKinds.Journal && f.Message.Contains("not closed", StringComparison.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task Restore_marks_that_cannot_be_written_are_restore_faults_and_the_stop_goes_on()
    {
        var web = _world.Add("web", new(AcpiDelay: s_quick));
        string notADirectory = Path.Combine(_stateDir, "file");
        File.WriteAllText(notADirectory, "");

        var stop = await StopRun.RunAsync(
            new StopRequest(Config(""), [_world.Uri], TimeSpan.FromMinutes(1), null, notADirectory),
            uri => new MetadataConnection(Open(uri), _metadata) { RefuseWrites = true }, TimeProvider.System, null, CancellationToken.None);

        Assert.Equal(ExitCodes.Ok, stop.ExitCode);
        Assert.Equal(GuestState.Shutoff, _world[web.Uuid].Info.State);
        var fault = Assert.Single(stop.Report.Faults, f => f.Kind == FaultKinds.Restore);
        Assert.Equal("web", fault.Subject);
        Assert.Contains("metadata is read-only here", fault.Message, StringComparison.Ordinal);
    }

    /// <summary>Fills what is left of a small file system.</summary>
    private static void Fill(string directory)
    {
        try
        {
            File.WriteAllBytes(Path.Combine(directory, "filler"), new byte[4 * 1024 * 1024]);
        }
        catch (IOException)
        {
            // Full: what the file got is what was left.
        }
    }

    /// <summary>A tmpfs of its own under the state directory, unmounted at the end.</summary>
    private async Task<string> MountAsync(string options)
    {
        string directory = Directory.CreateDirectory(Path.Combine(_stateDir, $"mount-{_mounts.Count}")).FullName;
        var mount = await ProcessRunner.RunAsync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", directory], timeout: TimeSpan.FromSeconds(20));
        Requires.That(mount.ExitCode == 0, $"cannot mount a tmpfs: {mount.Error}");
        _mounts.Add(directory);
        return directory;
    }

    private IGuestHost Open(string uri) => new SimulatedConnection(_world);

    private IGuestHost OpenWithMetadata(string uri) => new MetadataConnection(Open(uri), _metadata);

    private static SundownConfig Config(string toml) => ConfigParser.Parse(toml, "t.toml");

    /// <summary>Keeps the faults it is told of.</summary>
    private sealed class RecordingObserver : IStopObserver
    {
        private readonly ConcurrentQueue<Fault> _faults = new();

        internal IReadOnlyList<Fault> Faults => [.. _faults];

        internal Action? OnPlanned { get; init; }

        public void Planned(Core.Planning.Plan plan, DateTimeOffset runStart) => OnPlanned?.Invoke();

        public void Progress(Sundown.Engine.Execution.StopProgress progress)
        {
        }

        public void Fault(Fault fault) => _faults.Enqueue(fault);
    }
}
