using System.Text.RegularExpressions;

namespace Sundown.Core.Doctor;

public static partial class Checks
{
    /// <summary>
    /// What in a libvirt hook script (<c>/etc/libvirt/hooks/daemon</c>, <c>qemu</c>, <c>qemu.d/*</c>)
    /// stops guests: a virsh shutdown, destroy, managedsave or save, libvirt-guests, or virDomain
    /// calls of the same. Comment lines are not read.
    /// </summary>
    private static readonly Regex s_stopsGuests = new(
        @"\bvirsh\b[^\n]*\b(shutdown|destroy|managedsave|save)\b|libvirt-guests|\bvirDomain(Shutdown|Destroy|ManagedSave|Save)",
        RegexOptions.CultureInvariant);

    /// <summary>
    /// A libvirt hook that also stops guests (the circulating guides put a shutdown loop in the
    /// daemon hook) races Sundown for the same guests at shutdown: two ladders, two budgets, a
    /// save from one under the other's shutdown. A warning: Sundown still stops what is left.
    /// </summary>
    private static void LibvirtHooks(HostFacts facts, List<Finding> findings)
    {
        foreach (var hook in facts.LibvirtHooks)
        {
            if (hook.Text is not { } text)
            {
                continue;
            }

            var code = string.Join('\n', text.Split('\n').Where(line => !line.TrimStart().StartsWith('#')));
            if (s_stopsGuests.Match(code) is not { Success: true } match)
            {
                continue;
            }

            findings.Add(new Finding(
                Severity.Warning, FindingCodes.LibvirtHookStopsGuests, FindingSubject.Machine,
                $"the libvirt hook {hook.Path} also stops guests ('{match.Value.Trim()}'): it and Sundown handle the same guests at shutdown, each with its own timing",
                $"take the guests' stop out of {hook.Path} and let Sundown do it; what it did around a guest's stop belongs in Sundown's pre_stop/post_stop hooks (sundown.toml(5))"));
        }
    }
}
