using Sundown.Core.Model;
using Sundown.Core.Policy;

namespace Sundown.Core.Doctor;

public static partial class Checks
{
    /// <summary>Each guest against its own ladder: what its definition lets the steps do.</summary>
    private static void Guests(IReadOnlyList<(Guest Guest, GuestPolicy Policy)> guests, List<Finding> findings)
    {
        foreach (var (guest, policy) in guests)
        {
            var subject = FindingSubject.Of(guest);
            string name = Quoted(guest.Name);
            var ladder = policy.Stop.Steps;
            int acpi = IndexOf(ladder, StepKind.Acpi);
            if (!guest.HasAcpi && acpi >= 0)
            {
                findings.Add(new Finding(
                    Severity.Warning, FindingCodes.NoAcpi, subject,
                    $"it has no <acpi/> feature, so the power button does nothing: its acpi step waits {Time(ladder[acpi].Timeout ?? TimeSpan.Zero)} for nothing, then it is {Outcome(ladder[acpi + 1].Kind)}",
                    $"add <features><acpi/></features> to its definition (virsh edit {name}; it takes effect at its next cold boot), or take acpi out of its ladder"));
            }

            bool hasAgentStep = policy.Stop.Contains(StepKind.Agent);
            if (OsFamilies.Of(guest.Os) == OsFamily.Windows && !guest.HasAgentChannel)
            {
                string agentStep = hasAgentStep ? "; its ladder's agent step fails at once" : "";
                findings.Add(new Finding(
                    Severity.Warning, FindingCodes.WindowsWithoutAgent, subject,
                    $"a Windows guest ({guest.Os}) without a QEMU guest-agent channel: Windows may ignore the ACPI power button (with no one signed in, or by its power settings), and the agent's shutdown is the dependable way{agentStep}",
                    "add <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel> to its <devices>, install the QEMU guest agent in Windows (virtio-win), and put agent first in its ladder: stop = [\"agent 1m\", \"acpi 3m\", \"destroy\"]"));
            }
            else if (hasAgentStep && !guest.HasAgentChannel)
            {
                findings.Add(new Finding(
                    Severity.Info, FindingCodes.AgentWithoutChannel, subject,
                    "its ladder has an agent step, but it has no guest-agent channel: the step fails at once and the next one follows",
                    "add <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel> to its <devices> and run qemu-guest-agent in it, or take agent out of its ladder"));
            }

            if (guest.Autostart && policy.Restore != RestoreRule.Never)
            {
                findings.Add(new Finding(
                    Severity.Info, FindingCodes.AutostartAndRestore, subject,
                    $"libvirt autostarts it when its daemon starts, and Sundown's start restores it too (restore = \"{policy.Restore.ToString().ToLowerInvariant()}\"): libvirt boots it first, outside Sundown's order and start delay, and Sundown then finds it running and leaves it alone",
                    $"let one of them start it: virsh autostart --disable {name} to have Sundown restore it in order, or restore = \"never\" for it in the config to leave it to libvirt"));
            }

            if (guest.AutostartOnce && policy.Restore != RestoreRule.Never)
            {
                findings.Add(new Finding(
                    Severity.Warning, FindingCodes.AutostartOnceAndRestore, subject,
                    $"it is marked autostart-once (by libvirt's own auto_shutdown_restore when it saved or powered it off, or by virsh autostart --once): libvirt starts it at the next start of its daemon, beside Sundown's restore (restore = \"{policy.Restore.ToString().ToLowerInvariant()}\"), outside Sundown's order and start delay, even if it was off when the host went down",
                    $"virsh autostart --once --disable {name}, and leave libvirt's auto_shutdown_* settings \"none\" (with auto_shutdown_restore = 0) so that nothing marks it again"));
            }

            if (!guest.Persistent)
            {
                string fix = $"make it persistent: virsh dumpxml {name} > guest.xml, then virsh define guest.xml";
                findings.Add(policy.Stop.Contains(StepKind.Save)
                    ? new Finding(
                        Severity.Warning, FindingCodes.TransientCannotSave, subject,
                        "a transient guest cannot be managed-saved: its ladder's save step is skipped, so it is shut down or forced off instead, and, gone once it stops, it does not come back when the host starts again",
                        fix)
                    : new Finding(
                        Severity.Info, FindingCodes.TransientGuest, subject,
                        "a transient guest: it is gone once it stops, so nothing brings it back when the host starts again (Sundown's start cannot restore it)",
                        fix));
            }
        }
    }

    private static int IndexOf(System.Collections.Immutable.ImmutableArray<LadderStep> ladder, StepKind kind)
    {
        for (int i = 0; i < ladder.Length; i++)
        {
            if (ladder[i].Kind == kind)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Outcome(StepKind next) => next switch
    {
        StepKind.Agent => "asked to shut down through its agent",
        StepKind.Save => "saved",
        _ => "forced off",
    };
}
