using Sundown.Core.Model;

namespace Sundown.Core.Tests;

public sealed class GuestStateNamesTests
{
    [Fact]
    public void Every_state_has_the_contract_name_of_DESIGN()
    {
        string[] contract = ["running", "paused", "shutoff", "shutdown", "crashed", "pmsuspended", "blocked", "nostate"];

        var names = Enum.GetValues<GuestState>().Select(state => state.ToContractName());

        Assert.Equal(contract.Order(), names.Order());
    }

    [Theory]
    [InlineData(GuestState.Shutoff, false)]
    [InlineData(GuestState.NoState, false)]
    [InlineData(GuestState.Running, true)]
    [InlineData(GuestState.Paused, true)]
    [InlineData(GuestState.PmSuspended, true)]
    [InlineData(GuestState.Shutdown, true)]
    public void Only_shut_off_guests_are_inactive(GuestState state, bool active)
    {
        Assert.Equal(active, state.IsActive());
    }
}
