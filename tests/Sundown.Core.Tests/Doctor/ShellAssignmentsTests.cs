using Sundown.Core.Doctor;

namespace Sundown.Core.Tests.Doctor;

public sealed class ShellAssignmentsTests
{
    [Fact]
    public void Top_level_assignments_count_and_the_last_one_wins()
    {
        var assignments = ShellAssignments.Parse("""
            # action taken on host shutdown
            #ON_SHUTDOWN=shutdown
            ON_SHUTDOWN=suspend
            export URIS='default qemu:///system'   # quoted
            ON_BOOT="start"
            ON_SHUTDOWN=shutdown # the later one
            stop() {
                ON_SHUTDOWN=indented
            }
            """);

        Assert.Equal(("shutdown", 6), (assignments["ON_SHUTDOWN"].Value, assignments["ON_SHUTDOWN"].Line));
        Assert.Equal("default qemu:///system", assignments["URIS"].Value);
        Assert.Equal("start", assignments["ON_BOOT"].Value);
        Assert.Equal(3, assignments.Count);
    }
}
