// The planner alone on a simulated host: N synthetic guests with a mix of states, OS, config
// rules, per-guest metadata and tiers. Times what `plan` and `stop` do between the inventory
// and the first libvirt call (policy resolution, Planner.Build, and Planner.Schedule for every
// guest), with no libvirt and no journal. Prints one Markdown row per size:
// | guests | tiers | wall (ms) | allocated (MiB) |, wall the median of 5 runs after a warm-up.
//
//   dotnet bin/.../sundown-planner-bench.dll [N]...     (default 10000)
//   dotnet bin/.../sundown-planner-bench.dll --smoke    (200 guests: proves it runs)
using System.Diagnostics;
using System.Globalization;
using Sundown.Core.Config;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;

int[] sizes = args is ["--smoke"] ? [200]
    : args.Length > 0 ? [.. args.Select(a => int.Parse(a, CultureInfo.InvariantCulture))]
    : [10_000];

// The README's kind of config: databases after their apps, web first, Windows saved, a budget.
var config = ConfigParser.Parse(
    """
    budget = "10m"
    [limits]
    saves = 4
    [defaults]
    stop = ["acpi 2m", "destroy"]
    [[guest]]
    match = "db-*"
    order = 10
    stop = ["acpi 5m", "destroy"]
    [[guest]]
    match = "web-*"
    order = 30
    [[guest]]
    match = "batch-[0-4]*"
    order = 20
    stop = ["acpi 30s", "save", "destroy"]
    [[guest]]
    os = "windows"
    stop = ["save", "agent 1m", "acpi 3m", "destroy"]
    """,
    "planner-bench.toml");

foreach (int n in sizes)
{
    var guests = Enumerable.Range(0, n).Select(MakeGuest).ToList();
    int tiers = Run(guests).Tiers.Length;
    Run(guests); // warm-up: first-call costs (type loading, regex construction) are not the planner's

    var walls = new List<double>();
    long allocated = 0;
    for (int run = 0; run < 5; run++)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        Run(guests);
        walls.Add(watch.Elapsed.TotalMilliseconds);
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
    }

    walls.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {n,8} | {tiers,5} | {walls[walls.Count / 2],9:0.0} | {allocated / 1048576.0,15:0.0} |"));
}

Plan Run(List<Guest> guests)
{
    var entries = guests.Select(guest => (guest, PolicyResolver.Resolve(guest, config, guest.PolicyMetadata))).ToList();
    var plan = Planner.Build(entries, config.Budget, config.Limits, Estimates.Default);
    foreach (var tier in plan.Tiers)
    {
        foreach (var guest in tier.Guests)
        {
            Planner.Schedule(guest, tier, tier.WorstCaseStart);
        }
    }

    return plan;
}

// Deterministic: guest i is always the same guest.
static Guest MakeGuest(int i)
{
    string[] kinds = ["db", "app", "web", "batch"];
    var state = (i % 10) switch
    {
        < 6 => GuestState.Running,
        6 => GuestState.Paused,
        7 => GuestState.Shutoff,
        8 => GuestState.PmSuspended,
        _ => GuestState.Crashed,
    };
    string? os = (i % 3) switch
    {
        0 => "http://microsoft.com/win/11",
        1 => "http://debian.org/debian/12",
        _ => null,
    };
    // Some guests carry their own policy, with an order of their own: a few dozen tiers.
    string? metadata = i % 50 == 0
        ? $"""<policy xmlns="{PolicyMetadata.Namespace}" order="{(i / 50 % 40) + 100}" stop="acpi 1m, save, destroy"/>"""
        : null;
    return new Guest(
        "qemu:///system", $"{kinds[i % 4]}-{i:D5}", Guid.CreateVersion7().ToString(), state, 1, Persistent: i % 13 != 0,
        Autostart: false, ManagedSave: false, MemoryKiB: (ulong)((i % 7) + 1) * 512 * 1024, Vcpus: (i % 4) + 1, os,
        HasAcpi: true, HasAgentChannel: i % 2 == 0, Title: null)
    { PolicyMetadata = metadata };
}
