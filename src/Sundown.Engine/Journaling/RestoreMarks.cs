using System.Globalization;
using System.Xml;
using Sundown.Core.Hosts;
using Sundown.Core.Model;

namespace Sundown.Engine.Journaling;

/// <summary>
/// The restore list kept in the guests themselves when the journal cannot be kept on disk (the
/// state directory read-only, full or gone): each guest to bring back gets a metadata element
/// of our own in its persistent libvirt definition,
/// <c>&lt;restore run="N" at="ISO-8601" state="running|paused" order="N"/&gt;</c>.
/// It lives in libvirt's own config, not on the state disk that failed, and it travels with the
/// guest; <c>start</c> brings the marked guests back with the journal's list and removes each
/// mark once it has dealt with that guest. Transient guests have no persistent definition to
/// keep it in (and cannot be started again anyway): they get none.
/// </summary>
public static class RestoreMarks
{
    public const string Namespace = "https://sundown.dev/xmlns/restore/1";
    public const string Prefix = "sundownrestore";

    /// <summary>The element for one guest.</summary>
    public static string Xml(long run, DateTimeOffset at, string initialState, int order) =>
        string.Create(CultureInfo.InvariantCulture,
            $"<restore run=\"{run}\" at=\"{JournalTime.ToText(at)}\" state=\"{(initialState == "paused" ? "paused" : "running")}\" order=\"{order}\"/>");

    /// <summary>The guest's restore entry from its mark; null when the element is not one of ours.</summary>
    public static RestoreEntry? Parse(Guest guest, string xml)
    {
        try
        {
            var document = new XmlDocument { XmlResolver = null };
            document.LoadXml(xml);
            var element = document.DocumentElement!;
            if (element.LocalName != "restore"
                || !long.TryParse(element.GetAttribute("run"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long run)
                || !int.TryParse(element.GetAttribute("order"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int order)
                || !DateTimeOffset.TryParse(element.GetAttribute("at"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                return null;
            }

            string state = element.GetAttribute("state") == "paused" ? "paused" : "running";
            return new RestoreEntry(run, at, new RunGuestRecord(guest.Uri, guest.Uuid, guest.Name, state, order, true, null, null));
        }
        catch (XmlException)
        {
            return null;
        }
    }

    /// <summary>
    /// Marks the guests, all at once, each held to <paramref name="timeout"/> (a metadata write
    /// blocks in libvirt for as long as the daemon does). Never throws.
    /// </summary>
    /// <returns>The guests that could not be marked, with why.</returns>
    public static async Task<IReadOnlyList<(RunGuestRecord Guest, string Message)>> WriteAsync(
        IReadOnlyDictionary<string, IGuestHost> hosts, IEnumerable<RunGuestRecord> guests, long run, DateTimeOffset at, TimeSpan timeout, TimeProvider time)
    {
        var writes = guests.Select(async guest =>
        {
            if (!hosts.TryGetValue(guest.Uri, out var host))
            {
                return (guest, $"its host {guest.Uri} is not open");
            }

            string xml = Xml(run, at, guest.InitialState, guest.Order);
            return (guest, await BoundedAsync(() => host.SetMetadata(guest.Uuid, Namespace, Prefix, xml), timeout, time));
        });
        var results = await Task.WhenAll(writes);
        return [.. results.Where(static r => r.Item2 is not null).Select(static r => (r.guest, r.Item2!))];
    }

    /// <summary>Reads a guest's mark, held to <paramref name="timeout"/>; null when it has none or it cannot be read.</summary>
    public static async Task<(RestoreEntry? Entry, string? Error)> ReadAsync(IGuestHost host, Guest guest, TimeSpan timeout, TimeProvider time)
    {
        string? xml = null;
        string? error = await BoundedAsync(() => xml = host.GetMetadata(guest.Uuid, Namespace), timeout, time);
        return (xml is null ? null : Parse(guest, xml), error);
    }

    /// <summary>Removes a guest's mark, held to <paramref name="timeout"/>; the error, or null when done.</summary>
    public static Task<string?> RemoveAsync(IGuestHost host, string uuid, TimeSpan timeout, TimeProvider time) =>
        BoundedAsync(() => host.SetMetadata(uuid, Namespace, Prefix, null), timeout, time);

    /// <summary>Runs a blocking host call off the caller's thread, given up on at the timeout; the error, or null when it succeeded.</summary>
    private static async Task<string?> BoundedAsync(Action call, TimeSpan timeout, TimeProvider time)
    {
        try
        {
            await Task.Run(call).WaitAsync(timeout, time);
            return null;
        }
        catch (TimeoutException)
        {
            return $"no answer in {timeout.TotalSeconds:0.#}s";
        }
        catch (Exception e) when (e is HostException or NotSupportedException or InvalidOperationException)
        {
            return e.Message;
        }
    }
}
