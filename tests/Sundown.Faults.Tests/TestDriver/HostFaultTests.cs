using Sundown.Faults.Tests.Harness;

namespace Sundown.Faults.Tests.TestDriver;

/// <summary>
/// Two hosts, one of them unreachable: the other host's guests are stopped, a <c>host</c> fault
/// names the bad one, exit 4 (some guest could not be stopped). A host that accepts the TCP
/// connection and never answers is bounded by the connect timeout (10 s) inside the budget.
/// The bad host is named first, so that nothing can hide behind opening hosts in order.
/// </summary>
public sealed class HostFaultTests
{
    private static readonly string[] s_names = ["web 1", "db ünïcødé"];
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(20);

    // The budget bounds the stop; past it: the binary's start and its exit on a loaded machine.
    private static readonly TimeSpan s_margin = TimeSpan.FromSeconds(5);

    [Fact(Timeout = 120_000)]
    public async Task Stop_with_one_host_refusing_connections_stops_the_other_hosts_guests_and_exits_4()
    {
        using var workspace = new Workspace();
        string host = TestDriverHost.Write(workspace, [.. s_names.Select(n => new TestDriverHost.Guest(n))]);
        const string refusing = "qemu+tcp://127.0.0.1:1/system";

        var stop = await SundownBinary.RunAsync(Stop(workspace, refusing, host));

        FaultAssert.Exit(4, stop);
        var report = StopReport.Parse(stop);
        FaultAssert.Outcomes(report, s_names, "shutdown", stop);
        FaultAssert.Reported("host", report, stop, mentioning: "127.0.0.1:1");
        FaultAssert.Within(s_budget, s_margin, stop);
    }

    [Fact(Timeout = 120_000)]
    public async Task Stop_with_one_host_that_accepts_and_never_answers_stops_the_other_within_its_budget_and_exits_4()
    {
        using var workspace = new Workspace();
        string host = TestDriverHost.Write(workspace, [.. s_names.Select(n => new TestDriverHost.Guest(n))]);
        using var silent = new SilentPeer();

        // The harness's own bound (60 s) is three budgets: today's stop hangs as long as the peer does.
        var stop = await SundownBinary.RunAsync(Stop(workspace, silent.Uri, host), timeout: TimeSpan.FromSeconds(60));

        Assert.True(silent.Accepted > 0, "the stop never connected to the silent peer: the fault was not made");
        FaultAssert.Exit(4, stop);
        var report = StopReport.Parse(stop);
        FaultAssert.Outcomes(report, s_names, "shutdown", stop);
        FaultAssert.Reported("host", report, stop, mentioning: $"127.0.0.1:{silent.Port}");
        FaultAssert.Within(s_budget, s_margin, stop);
    }

    private static string[] Stop(Workspace workspace, string badHost, string goodHost) =>
        ["stop", "-c", badHost, "-c", goodHost, "--config", workspace.Config(""), "--state-dir", workspace.StateDirectory, "--budget", "20s", "--json"];
}
