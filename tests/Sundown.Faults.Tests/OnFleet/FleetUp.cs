using Sundown.Integration.Tests;

namespace Sundown.Faults.Tests.OnFleet;

/// <summary>Brings a small fleet up on a host that holds only the tests' guests.</summary>
internal static class FleetUp
{
    /// <summary>
    /// Requires the fleet, refuses a host with guests the tests did not create, clears old fleet
    /// guests and starts these. A TCG guest booting while the shared CPUs are busy can panic in
    /// early boot ("IO-APIC + timer doesn't work"): that is the machine, not Sundown, so one boot
    /// that fails that way is tried once more before the test fails.
    /// </summary>
    internal static async Task<IReadOnlyList<Fleet.FleetGuest>> StartAsync(params string[] spec)
    {
        await Fleet.RequireAsync();
        await Fleet.RequireNoForeignGuestsAsync();
        await Fleet.DownAsync();
        try
        {
            return await Fleet.UpAsync(spec);
        }
        catch (Exception e) when (e.Message.Contains("guests did not boot", StringComparison.Ordinal))
        {
            await Fleet.DownAsync();
            await Task.Delay(TimeSpan.FromSeconds(10));
            return await Fleet.UpAsync(spec);
        }
    }
}
