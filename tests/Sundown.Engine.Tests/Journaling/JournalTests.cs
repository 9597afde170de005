using Microsoft.Data.Sqlite;
using Sundown.Engine.Journaling;

namespace Sundown.Engine.Tests.Journaling;

/// <summary>The journal on a real SQLite file in a temporary state directory.</summary>
public sealed class JournalTests : IDisposable
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 25, 22, 0, 0, TimeSpan.Zero);
    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("sundown-journal-");

    // Some tests open the database with Microsoft.Data.Sqlite before any Journal does.
    public JournalTests() => SystemSqlite.EnsureLoaded();

    public void Dispose() => _state.Delete(recursive: true);

    [Fact]
    public void A_whole_run_reads_back_as_it_was_written()
    {
        using var journal = Journal.Open(_state.FullName);
        long run = journal.BeginRun(RunKind.Stop, s_t0, TimeSpan.FromMinutes(5));
        RunGuestRecord[] guests =
        [
            Guest("web", "running", order: 20, restore: true),
            Guest("db \"main\" $(rm -rf /) ☃", "paused", order: 10, restore: true),
            Guest("idle", "shutoff", order: 0, restore: false),
        ];
        journal.RecordGuests(run, guests);
        long acpi = journal.StepStarted(run, "qemu:///system", guests[0].Uuid, "acpi", At(1.5));
        journal.StepEnded(acpi, At(4.25), StepResult.Ok, null);
        long save = journal.StepStarted(run, "qemu:///system", guests[1].Uuid, "save", At(5));
        journal.StepEnded(save, At(6), StepResult.Error, "operation failed: 'virtiofs' device");
        journal.GuestFinished(run, "qemu:///system", guests[0].Uuid, GuestOutcome.Shutdown, 2.75);
        journal.GuestFinished(run, "qemu:///system", guests[1].Uuid, GuestOutcome.Failed, 1);
        journal.GuestFinished(run, "qemu:///system", guests[2].Uuid, GuestOutcome.AlreadyOff, 0);
        journal.FinishRun(run, At(7), exitCode: 4);

        var loaded = journal.LoadRun(run);

        Assert.NotNull(loaded);
        Assert.Equal((run, RunKind.Stop, s_t0, At(7), 300.0, 4), (loaded.Id, loaded.Kind, loaded.StartedAt, loaded.FinishedAt, loaded.BudgetSeconds, loaded.ExitCode));
        Assert.Equal(
            [
                guests[0] with { Outcome = GuestOutcome.Shutdown, Seconds = 2.75 },
                guests[1] with { Outcome = GuestOutcome.Failed, Seconds = 1 },
                guests[2] with { Outcome = GuestOutcome.AlreadyOff, Seconds = 0 },
            ],
            loaded.Guests);
        Assert.Equal(
            [
                new StepRecord(acpi, "qemu:///system", guests[0].Uuid, "acpi", At(1.5), At(4.25), StepResult.Ok, null),
                new StepRecord(save, "qemu:///system", guests[1].Uuid, "save", At(5), At(6), StepResult.Error, "operation failed: 'virtiofs' device"),
            ],
            loaded.Steps);
        Assert.Null(journal.LoadRun(run + 1));
    }

    [Fact]
    public void Empty_text_is_kept_empty_and_every_text_as_stored_by_the_commands_before()
    {
        using var journal = Journal.Open(_state.FullName);
        long run = journal.BeginRun(RunKind.Stop, s_t0, null);
        // A name SQLite's UTF-16 binding must carry whole: astral plane, NUL, quotes.
        RunGuestRecord guest = new("qemu:///system", "uuid-x", "\U0001F600 a\0b 'c' \"d\"", "running", -3, false, null, null);
        journal.RecordGuests(run, [guest]);
        long step = journal.StepStarted(run, guest.Uri, guest.Uuid, "acpi", At(0.001));
        journal.StepEnded(step, At(59.999), StepResult.Error, "");

        var loaded = journal.LoadRun(run)!;

        Assert.Equal(guest, loaded.Guests.Single());
        Assert.Equal(new StepRecord(step, guest.Uri, guest.Uuid, "acpi", At(0.001), At(59.999), StepResult.Error, ""), loaded.Steps.Single());
        Assert.Equal("text", Scalar("SELECT typeof(error) FROM step"));
        Assert.Equal("2026-11-25T22:00:59.999Z", Scalar("SELECT ended_at FROM step"));
    }

    [Fact]
    public void A_run_killed_mid_step_is_found_unfinished_with_its_steps()
    {
        long run, step;
        string uuid;
        using (var journal = Journal.Open(_state.FullName))
        {
            run = journal.BeginRun(RunKind.Stop, s_t0, null);
            var guest = Guest("web", "running", order: 0, restore: true);
            uuid = guest.Uuid;
            journal.RecordGuests(run, [guest]);
            long done = journal.StepStarted(run, "qemu:///system", uuid, "acpi", At(1));
            journal.StepEnded(done, At(61), StepResult.Timeout, null);
            step = journal.StepStarted(run, "qemu:///system", uuid, "save", At(61));

            // What a kill leaves on disk: the database and its write-ahead log as they are
            // now, never closed nor checkpointed.
            var crashed = Directory.CreateDirectory(Path.Combine(_state.FullName, "crashed"));
            foreach (string suffix in new[] { "", "-wal" })
            {
                File.Copy(Path.Combine(_state.FullName, Journal.FileName + suffix), Path.Combine(crashed.FullName, Journal.FileName + suffix));
            }
        }

        using var reopened = Journal.Open(Path.Combine(_state.FullName, "crashed"));
        var unfinished = reopened.FindUnfinishedRun(RunKind.Stop);

        Assert.NotNull(unfinished);
        Assert.Equal(run, unfinished.Id);
        Assert.Null(unfinished.FinishedAt);
        Assert.Equal(["acpi", "save"], unfinished.Steps.Select(s => s.Action));
        Assert.Equal(new StepRecord(step, "qemu:///system", uuid, "save", At(61), null, null, null), unfinished.Steps[1]);
        Assert.Null(Assert.Single(unfinished.Guests).Outcome);
        Assert.Null(reopened.FindUnfinishedRun(RunKind.Start));
    }

    [Fact]
    public void Every_write_is_visible_to_a_second_journal_on_the_same_directory_before_the_first_closes()
    {
        using var first = Journal.Open(_state.FullName);
        long run = first.BeginRun(RunKind.Start, s_t0, null);
        var guest = Guest("web", "shutoff", order: 0, restore: false);
        first.RecordGuests(run, [guest]);
        first.StepStarted(run, guest.Uri, guest.Uuid, "start", At(1));

        using var second = Journal.Open(_state.FullName);

        Assert.Equal(run, second.FindUnfinishedRun(RunKind.Start)?.Id);
        Assert.Single(second.LoadRun(run)!.Steps);
    }

    [Fact]
    public void A_finished_run_or_one_followed_by_another_run_is_not_continued()
    {
        using var journal = Journal.Open(_state.FullName);
        long finished = journal.BeginRun(RunKind.Stop, s_t0, null);
        journal.FinishRun(finished, At(1), 0);
        Assert.Null(journal.FindUnfinishedRun(RunKind.Stop));

        // A stop that died, then a start after the reboot: that stop is history now.
        journal.BeginRun(RunKind.Stop, At(10), null);
        Assert.NotNull(journal.FindUnfinishedRun(RunKind.Stop));
        long start = journal.BeginRun(RunKind.Start, At(100), null);
        journal.FinishRun(start, At(101), 0);

        Assert.Null(journal.FindUnfinishedRun(RunKind.Stop));
        Assert.Null(journal.FindUnfinishedRun(RunKind.Start));
    }

    [Fact]
    public void A_guest_recorded_again_when_a_run_is_continued_keeps_its_first_record()
    {
        using var journal = Journal.Open(_state.FullName);
        long run = journal.BeginRun(RunKind.Stop, s_t0, null);
        var guest = Guest("web", "running", order: 0, restore: true);
        journal.RecordGuests(run, [guest]);

        journal.RecordGuests(run, [guest with { InitialState = "shutoff", Restore = false }]);

        Assert.Equal(guest, Assert.Single(journal.LoadRun(run)!.Guests));
    }

    [Fact]
    public void The_restore_list_is_every_unconsumed_stops_entries_with_the_newest_entry_per_guest()
    {
        using var journal = Journal.Open(_state.FullName);
        // A manual stop, then the reboot's stop: it finds web and db already off.
        long manual = journal.BeginRun(RunKind.Stop, s_t0, null);
        var web = Guest("web", "running", order: 20, restore: true);
        var db = Guest("db", "running", order: 10, restore: true);
        journal.RecordGuests(manual, [web, db]);
        journal.FinishRun(manual, At(1), 0);
        long reboot = journal.BeginRun(RunKind.Stop, At(100), null);
        var dbPaused = Guest("db", "paused", order: 10, restore: true);
        var cache = Guest("cache", "running", order: 0, restore: true);
        journal.RecordGuests(reboot, [Guest("web", "shutoff", 20, restore: false), dbPaused, cache]);
        journal.FinishRun(reboot, At(101), 0);

        var entries = journal.RestoreEntries();

        Assert.Equal([web, dbPaused, cache], entries.Select(e => e.Guest));
        Assert.Equal([manual, reboot, reboot], entries.Select(e => e.StopRun));
        Assert.Equal(At(100), entries[1].StoppedAt);
    }

    [Fact]
    public void A_start_consumes_the_restore_list_entry_by_entry_and_leaves_the_rest()
    {
        using var journal = Journal.Open(_state.FullName);
        long first = journal.BeginRun(RunKind.Stop, s_t0, null);
        var web = Guest("web", "running", order: 20, restore: true);
        var db = Guest("db", "running", order: 10, restore: true);
        journal.RecordGuests(first, [web, db]);
        long second = journal.BeginRun(RunKind.Stop, At(100), null);
        journal.RecordGuests(second, [web]);
        long start = journal.BeginRun(RunKind.Start, At(200), null);

        journal.ConsumeRestoreEntry(start, web.Uri, web.Uuid);

        // Both stops' entries for web are consumed; db, which the start never reached, stays.
        Assert.Equal([db], journal.RestoreList());
        journal.ConsumeRestoreEntry(start, db.Uri, db.Uuid);
        Assert.Empty(journal.RestoreList());
        Assert.Throws<ArgumentException>(() => journal.ConsumeRestoreEntry(999, db.Uri, db.Uuid));
    }

    [Fact]
    public void Discarding_takes_the_chosen_hosts_and_names_off_the_restore_list()
    {
        using var journal = Journal.Open(_state.FullName);
        long stop = journal.BeginRun(RunKind.Stop, s_t0, null);
        var web = Guest("web", "running", order: 0, restore: true);
        var db = Guest("db", "running", order: 0, restore: true);
        var remote = web with { Uri = "qemu+ssh://other/system", Uuid = "uuid-remote" };
        journal.RecordGuests(stop, [web, db, remote]);

        var byName = journal.DiscardRestoreEntries(At(10), uris: null, names: ["db"]);
        var byHost = journal.DiscardRestoreEntries(At(11), uris: ["qemu+ssh://other/system"], names: null);

        Assert.Equal([db], byName);
        Assert.Equal([remote], byHost);
        Assert.Equal([web], journal.RestoreList());
        Assert.Equal([web], journal.DiscardRestoreEntries(At(12), null, null));
        Assert.Empty(journal.RestoreList());
    }

    [Fact]
    public void The_restore_list_is_empty_without_a_stop()
    {
        using var journal = Journal.Open(_state.FullName);
        long start = journal.BeginRun(RunKind.Start, s_t0, null);
        journal.RecordGuests(start, [Guest("web", "shutoff", 0, restore: false)]);

        Assert.Empty(journal.RestoreList());
    }

    [Fact]
    public void A_stops_only_names_are_kept_with_its_run_and_a_whole_host_run_has_none()
    {
        using var journal = Journal.Open(_state.FullName);

        long only = journal.BeginRun(RunKind.Stop, s_t0, null, ["web", "db", "web"]);
        long whole = journal.BeginRun(RunKind.Stop, At(1), null);

        Assert.Equal(["db", "web"], journal.LoadRun(only)!.Only!.Value);
        Assert.Null(journal.LoadRun(whole)!.Only);
    }

    [Fact]
    public void A_journal_of_schema_1_keeps_what_a_start_consumed_and_only_its_newest_stops_list()
    {
        string path = Path.Combine(_state.FullName, Journal.FileName);
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = Journal.MigrationStep(0) + """
                PRAGMA user_version = 1;
                INSERT INTO run (id, kind, started_at) VALUES (1, 'stop', '2026-11-25T22:00:00.000Z');
                INSERT INTO run (id, kind, started_at) VALUES (2, 'start', '2026-11-25T22:10:00.000Z');
                UPDATE run SET restore_consumed_by = 2 WHERE id = 1;
                INSERT INTO run (id, kind, started_at) VALUES (3, 'stop', '2026-11-25T23:00:00.000Z');
                INSERT INTO run (id, kind, started_at) VALUES (4, 'stop', '2026-11-26T00:00:00.000Z');
                INSERT INTO run_guest (run, uri, uuid, name, initial_state, start_order, restore) VALUES
                    (1, 'qemu:///system', 'uuid-a', 'a', 'running', 0, 1),
                    (3, 'qemu:///system', 'uuid-b', 'b', 'running', 0, 1),
                    (4, 'qemu:///system', 'uuid-c', 'c', 'running', 0, 1);
                """;
            command.ExecuteNonQuery();
        }

        using var journal = Journal.Open(_state.FullName);

        // Before, only the newest stop's list counted, and run 1's was consumed: c alone comes back.
        Assert.Equal(["c"], journal.RestoreList().Select(g => g.Name));
        Assert.Equal((long)Journal.SchemaVersion, Scalar("PRAGMA user_version"));
    }

    [Fact]
    public void A_continued_runs_budget_is_set_anew_and_a_missing_run_is_refused()
    {
        using var journal = Journal.Open(_state.FullName);
        long run = journal.BeginRun(RunKind.Stop, s_t0, TimeSpan.FromSeconds(30));

        journal.SetRunBudget(run, TimeSpan.FromSeconds(320));

        Assert.Equal(320.0, journal.LoadRun(run)!.BudgetSeconds);
        journal.SetRunBudget(run, null);
        Assert.Null(journal.LoadRun(run)!.BudgetSeconds);
        Assert.Throws<ArgumentException>(() => journal.SetRunBudget(run + 1, null));
    }

    [Fact]
    public void A_journal_in_memory_has_the_same_schema_and_reads_back_what_was_written()
    {
        using var journal = Journal.OpenInMemory();
        long run = journal.BeginRun(RunKind.Stop, s_t0, TimeSpan.FromMinutes(1), ["web"]);
        var web = Guest("web", "running", order: 0, restore: true);
        journal.RecordGuests(run, [web]);
        journal.GuestFinished(run, web.Uri, web.Uuid, GuestOutcome.Shutdown, 1.5);

        var loaded = journal.LoadRun(run)!;

        Assert.True(journal.IsInMemory);
        Assert.Equal(web with { Outcome = GuestOutcome.Shutdown, Seconds = 1.5 }, Assert.Single(loaded.Guests));
        Assert.Equal(["web"], loaded.Only!.Value);
        Assert.Equal(["web"], journal.RestoreList().Select(g => g.Name));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_state.FullName));
    }

    [Fact]
    public void Save_speed_is_the_slowest_of_the_last_twenty_successful_saves_of_guests_with_known_memory()
    {
        using var journal = Journal.Open(_state.FullName);
        long run = journal.BeginRun(RunKind.Stop, s_t0, null);
        // 1 GiB in 20 s (51.2 MiB/s), the slowest, but twenty saves came after it.
        Step(journal, run, "big", "save", At(0), At(20), StepResult.Ok);
        for (int i = 0; i < 20; i++)
        {
            // 100 MiB in 0.5 s: 200 MiB/s, and 100 MiB in 1 s for one: 100 MiB/s.
            Step(journal, run, "small", "save", At(30 + i), At(30 + i + (i == 7 ? 1 : 0.5)), StepResult.Ok);
        }

        Step(journal, run, "small", "save", At(40), At(50), StepResult.Error); // failed: not a measure
        Step(journal, run, "unknown", "save", At(50), At(150), StepResult.Ok); // memory unknown
        Step(journal, run, "small", "acpi", At(60), At(160), StepResult.Ok);  // not a save
        Dictionary<string, ulong> memory = new() { ["big"] = 1024 * 1024, ["small"] = 100 * 1024 };

        Assert.Equal(100.0 * 1024 * 1024, journal.SaveBytesPerSecond(memory)!.Value, precision: 3);
    }

    [Fact]
    public void Save_speed_is_unknown_without_a_successful_save()
    {
        using var journal = Journal.Open(_state.FullName);
        long run = journal.BeginRun(RunKind.Stop, s_t0, null);
        Step(journal, run, "a", "save", At(0), At(1), StepResult.Error);
        journal.StepStarted(run, "qemu:///system", "a", "save", At(2)); // never ended

        Assert.Null(journal.SaveBytesPerSecond(new Dictionary<string, ulong> { ["a"] = 1024 }));
    }

    [Fact]
    public void A_typical_shutdown_is_the_longest_of_the_guests_last_five_graceful_ones()
    {
        using var journal = Journal.Open(_state.FullName);
        long run = journal.BeginRun(RunKind.Stop, s_t0, null);
        Step(journal, run, "web", "acpi", At(0), At(90), StepResult.Ok);       // the sixth from last: too old
        double[] seconds = [3, 4, 12.5, 5, 4];
        for (int i = 0; i < seconds.Length; i++)
        {
            Step(journal, run, "web", i % 2 == 0 ? "acpi" : "agent", At(100 * (i + 1)), At((100 * (i + 1)) + seconds[i]), StepResult.Ok);
        }

        Step(journal, run, "web", "acpi", At(1000), At(1120), StepResult.Timeout); // did not shut down
        Step(journal, run, "web", "save", At(1200), At(1300), StepResult.Ok);      // not graceful
        Step(journal, run, "other", "acpi", At(1300), At(1400), StepResult.Ok);   // another guest

        Assert.Equal(TimeSpan.FromSeconds(12.5), journal.TypicalShutdown("web"));
        Assert.Null(journal.TypicalShutdown("never-stopped"));
    }

    [Fact]
    public void Runs_are_listed_newest_first_with_their_guest_counts()
    {
        using var journal = Journal.Open(_state.FullName);
        long stop = journal.BeginRun(RunKind.Stop, s_t0, TimeSpan.FromMinutes(5));
        journal.RecordGuests(stop, [Guest("a", "running", 0, true), Guest("b", "running", 0, true)]);
        journal.FinishRun(stop, At(30), 3);
        long start = journal.BeginRun(RunKind.Start, At(100), null);

        Assert.Equal(
            [
                new RunSummary(start, RunKind.Start, At(100), null, null, 0),
                new RunSummary(stop, RunKind.Stop, s_t0, At(30), 3, 2),
            ],
            journal.ListRuns());
        Assert.Equal(start, journal.LastRun()?.Id);
        Assert.Equal(stop, journal.LastRun(RunKind.Stop)?.Id);
    }

    [Fact]
    public void Times_are_kept_as_utc_text_with_milliseconds()
    {
        var local = new DateTimeOffset(2026, 3, 29, 3, 30, 15, 123, TimeSpan.FromHours(2)).AddTicks(4567);
        using (var journal = Journal.Open(_state.FullName))
        {
            long run = journal.BeginRun(RunKind.Stop, local, null);

            var loaded = journal.LoadRun(run)!;

            Assert.Equal(TimeSpan.Zero, loaded.StartedAt.Offset);
            Assert.Equal(new DateTimeOffset(2026, 3, 29, 1, 30, 15, 123, TimeSpan.Zero), loaded.StartedAt);
        }

        Assert.Equal("2026-03-29T01:30:15.123Z", Scalar("SELECT started_at FROM run"));
    }

    [Fact]
    public void Open_creates_a_private_state_directory_and_a_versioned_schema_in_wal_mode()
    {
        string state = Path.Combine(_state.FullName, "var", "lib", "sundown");

        Journal.Open(state).Dispose();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(state));
        Assert.Equal((long)Journal.SchemaVersion, Scalar("PRAGMA user_version", state));
        Assert.Equal("wal", Scalar("PRAGMA journal_mode", state));
    }

    [Fact]
    public void A_journal_from_a_newer_sundown_is_refused_untouched()
    {
        Journal.Open(_state.FullName).Dispose();
        Scalar("PRAGMA user_version = 99");

        var error = Assert.Throws<JournalException>(() => Journal.Open(_state.FullName));

        Assert.Contains("schema version 99", error.Message);
        Assert.Equal(99L, Scalar("PRAGMA user_version"));
    }

    [Fact]
    public void A_file_that_is_not_a_journal_is_refused_with_its_path()
    {
        string path = Path.Combine(_state.FullName, Journal.FileName);
        File.WriteAllText(path, new string('x', 4096));

        var error = Assert.Throws<JournalException>(() => Journal.Open(_state.FullName));

        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Writes_from_many_threads_all_land()
    {
        using var journal = Journal.Open(_state.FullName);
        long run = journal.BeginRun(RunKind.Stop, s_t0, null);
        var guests = Enumerable.Range(0, 16).Select(i => Guest($"g{i}", "running", 0, true)).ToArray();
        journal.RecordGuests(run, guests);

        Parallel.ForEach(guests, new ParallelOptions { MaxDegreeOfParallelism = 8 }, guest =>
        {
            long step = journal.StepStarted(run, guest.Uri, guest.Uuid, "acpi", At(1));
            journal.StepEnded(step, At(2), StepResult.Ok, null);
            journal.GuestFinished(run, guest.Uri, guest.Uuid, GuestOutcome.Shutdown, 1);
        });

        var loaded = journal.LoadRun(run)!;
        Assert.Equal(16, loaded.Steps.Count(step => step.Result == StepResult.Ok));
        Assert.All(loaded.Guests, guest => Assert.Equal(GuestOutcome.Shutdown, guest.Outcome));
    }

    [Fact]
    public void Writes_about_what_is_not_in_the_journal_are_refused()
    {
        using var journal = Journal.Open(_state.FullName);
        long run = journal.BeginRun(RunKind.Stop, s_t0, null);

        Assert.Throws<ArgumentException>(() => journal.StepStarted(run + 1, "qemu:///system", "a", "acpi", s_t0));
        Assert.Throws<ArgumentException>(() => journal.StepEnded(42, s_t0, StepResult.Ok, null));
        Assert.Throws<ArgumentException>(() => journal.GuestFinished(run, "qemu:///system", "a", GuestOutcome.Shutdown, 1));
        Assert.Throws<ArgumentException>(() => journal.FinishRun(run + 1, s_t0, 0));
        Assert.Empty(journal.LoadRun(run)!.Steps);
    }

    [Fact(Timeout = 60_000)]
    public async Task Many_guests_recording_at_once_all_land_each_guests_steps_in_its_order()
    {
        using var journal = Journal.Open(_state.FullName);
        long run = journal.BeginRun(RunKind.Stop, s_t0, null);
        var guests = Enumerable.Range(0, 300).Select(i => Guest($"g{i}", "running", 0, true)).ToArray();
        journal.RecordGuests(run, guests);

        // As the executor does: every guest at once, each awaiting its record before its next step.
        await Task.WhenAll(guests.Select(guest => Task.Run(async () =>
        {
            foreach (var (action, t) in new[] { ("resume", 1.0), ("acpi", 2.0), ("destroy", 3.0) })
            {
                long step = await journal.StepStartedAsync(run, guest.Uri, guest.Uuid, action, At(t));
                await journal.StepEndedAsync(step, At(t + 0.5), StepResult.Ok, null);
            }

            await journal.GuestFinishedAsync(run, guest.Uri, guest.Uuid, GuestOutcome.Destroyed, 3.5);
        })));

        var loaded = journal.LoadRun(run)!;
        Assert.Equal(900, loaded.Steps.Length);
        Assert.All(loaded.Guests, guest => Assert.Equal(GuestOutcome.Destroyed, guest.Outcome));
        foreach (var guest in guests)
        {
            var steps = loaded.Steps.Where(step => step.Uuid == guest.Uuid).ToList();
            Assert.Equal(["resume", "acpi", "destroy"], steps.Select(step => step.Action));
            Assert.All(steps, step => Assert.Equal((StepResult.Ok, step.StartedAt.AddSeconds(0.5)), (step.Result!.Value, step.EndedAt!.Value)));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_failed_commit_fails_every_write_of_its_batch_and_later_writes_land()
    {
        using var journal = Journal.Open(_state.FullName);
        long run = journal.BeginRun(RunKind.Stop, s_t0, null);
        var guests = Enumerable.Range(0, 20).Select(i => Guest($"g{i}", "running", 0, true)).ToArray();
        journal.RecordGuests(run, guests);
        using var other = Connect();
        // A fault SQLite reports in the middle of a batch (as a full disk would).
        Execute(other, "CREATE TRIGGER fault BEFORE INSERT ON step WHEN NEW.action = 'boom' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");

        // Hold the write lock from another connection: the writer blocks on the first write,
        // and the others queue up behind it into one batch, 'boom' in the middle of it.
        Execute(other, "BEGIN IMMEDIATE");
        var first = journal.StepStartedAsync(run, guests[0].Uri, guests[0].Uuid, "acpi", At(1));
        await Task.Delay(200, TestContext.Current.CancellationToken);
        var writes = guests[1..].Select((guest, i) => journal.StepStartedAsync(run, guest.Uri, guest.Uuid, i == 9 ? "boom" : "acpi", At(1))).ToList();
        Execute(other, "COMMIT");

        var boom = await Assert.ThrowsAsync<JournalException>(() => writes[9]);
        Assert.Contains("disk on fire", boom.Message);
        await first;
        int failed = 0;
        foreach (var write in writes)
        {
            try
            {
                await write;
            }
            catch (JournalException e)
            {
                Assert.Same(boom, e);
                failed++;
            }
        }

        // Nothing of the failed batch is in the journal; everything else is.
        Assert.True(failed > 1, "the fault failed only its own write: it shared no batch");
        Assert.Equal(1 + writes.Count - failed, journal.LoadRun(run)!.Steps.Length);

        Execute(other, "DROP TRIGGER fault");
        long later = await journal.StepStartedAsync(run, guests[9].Uri, guests[9].Uuid, "acpi", At(2));
        await journal.StepEndedAsync(later, At(3), StepResult.Ok, null);
        Assert.Equal(StepResult.Ok, journal.LoadRun(run)!.Steps.Single(step => step.Id == later).Result);
    }

    [Fact(Timeout = 60_000)]
    public async Task Dispose_waits_for_the_writes_handed_over_and_they_are_in_the_file()
    {
        long run;
        List<Task<long>> writes;
        var journal = Journal.Open(_state.FullName);
        run = journal.BeginRun(RunKind.Stop, s_t0, null);
        var guests = Enumerable.Range(0, 50).Select(i => Guest($"g{i}", "running", 0, true)).ToArray();
        journal.RecordGuests(run, guests);

        writes = [.. guests.Select(guest => journal.StepStartedAsync(run, guest.Uri, guest.Uuid, "acpi", At(1)))];
        journal.Dispose();

        Assert.All(writes, write => Assert.True(write.IsCompletedSuccessfully));
        Assert.Equal(50L, Scalar("SELECT count(*) FROM step"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => journal.StepStartedAsync(run, guests[0].Uri, guests[0].Uuid, "acpi", At(2)));
    }

    private static DateTimeOffset At(double seconds) => s_t0.AddSeconds(seconds);

    private static RunGuestRecord Guest(string name, string state, int order, bool restore) =>
        new("qemu:///system", $"uuid-{name}", name, state, order, restore, null, null);

    private static void Step(Journal journal, long run, string uuid, string action, DateTimeOffset started, DateTimeOffset ended, StepResult result) =>
        journal.StepEnded(journal.StepStarted(run, "qemu:///system", uuid, action, started), ended, result, null);

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(_state.FullName, Journal.FileName)};Pooling=False");
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Reads the file directly, as the sqlite3 shell would.</summary>
    private object? Scalar(string sql, string? state = null)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(state ?? _state.FullName, Journal.FileName)};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
