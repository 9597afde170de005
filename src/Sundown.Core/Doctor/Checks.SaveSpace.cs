using Sundown.Core.Model;
using Sundown.Core.Policy;

namespace Sundown.Core.Doctor;

public static partial class Checks
{
    /// <summary>
    /// Free space below this many times the memory to save is tight: an image holds the guest's
    /// device state and definition besides its memory, and whatever else writes to that
    /// filesystem during the stop takes from the same room.
    /// </summary>
    private const double SaveSpaceMargin = 1.2;

    /// <summary>Room for the managed-save images of every running guest whose ladder saves it.</summary>
    private static void SaveSpace(HostFacts facts, IReadOnlyList<(Guest Guest, GuestPolicy Policy)> guests, List<Finding> findings)
    {
        foreach (var directory in facts.SaveDirectories)
        {
            // Transient guests cannot be saved: the plan skips their save step.
            var saved = guests
                .Where(g => g.Guest.Uri == directory.Uri && g.Guest.State.IsActive() && g.Guest.Persistent && g.Policy.Stop.Contains(StepKind.Save))
                .Select(g => g.Guest)
                .ToList();
            if (saved.Count == 0)
            {
                continue;
            }

            if (directory.AvailableBytes is not { } free)
            {
                findings.Add(NotChecked($"cannot read the free space in {directory.Path}: the room for managed saves was not checked"));
                continue;
            }

            double need = saved.Sum(g => g.MemoryKiB * 1024.0);
            string names = string.Join(", ", saved.Take(5).Select(g => g.Name)) + (saved.Count > 5 ? $" and {saved.Count - 5} more" : "");
            string what = $"{Plural(saved.Count, "running guest")} whose ladders save ({names}) need up to {Bytes(need)} of managed-save images in {directory.Path}";
            if (free < need)
            {
                findings.Add(new Finding(
                    Severity.Error, FindingCodes.SaveSpaceShort, FindingSubject.Host(directory.Uri),
                    $"{what}, which has {Bytes(free)} free: the saves that do not fit fail, and those guests go on to their next step (shut down or forced off)",
                    "free space on that filesystem, or take save out of some ladders"));
            }
            else if (free < need * SaveSpaceMargin)
            {
                findings.Add(new Finding(
                    Severity.Warning, FindingCodes.SaveSpaceTight, FindingSubject.Host(directory.Uri),
                    $"{what}, which has {Bytes(free)} free, less than {(SaveSpaceMargin - 1) * 100:0}% to spare: an image is a little larger than the memory it holds, and anything else written there meanwhile can make a save fail",
                    "free space on that filesystem, or take save out of some ladders"));
            }
        }
    }
}
