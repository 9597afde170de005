using Sundown.Core.Policy;

namespace Sundown.Core.Tests;

public sealed class StepKindNamesTests
{
    [Fact]
    public void Every_step_kind_has_the_word_configs_plans_and_journals_use()
    {
        string[] contract = ["agent", "acpi", "save", "destroy", "resume", "wakeup", "snapshot"];

        var names = Enum.GetValues<StepKind>().Select(kind => kind.ToName());

        Assert.Equal(contract, names);
    }

    [Theory]
    [InlineData(StepKind.Agent)]
    [InlineData(StepKind.Acpi)]
    [InlineData(StepKind.Save)]
    [InlineData(StepKind.Destroy)]
    public void A_ladder_steps_name_reads_back_as_its_kind(StepKind kind)
    {
        Assert.Equal(kind, StepKinds.FromName(kind.ToName()));
    }
}
