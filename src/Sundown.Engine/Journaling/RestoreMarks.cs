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
    /// How many metadata calls run at once: libvirtd serves a connection's calls a few at a time
    /// (<c>max_client_requests</c>, 5 by default), and a stop's other calls need one of those too.
    /// </summary>
    private const int AtOnce = 4;

    /// <summary>
    /// Marks the guests, <see cref="AtOnce"/> at a time, all within <paramref name="within"/> (a
    /// metadata write blocks in libvirt for as long as the daemon does). Never throws.
    /// </summary>
    /// <returns>The guests that could not be marked, with why.</returns>
    public static async Task<IReadOnlyList<(RunGuestRecord Guest, string Message)>> WriteAsync(
        IReadOnlyDictionary<string, IGuestHost> hosts, IEnumerable<RunGuestRecord> guests, long run, DateTimeOffset at, TimeSpan within, TimeProvider time)
    {
        var results = await BoundedAsync(guests, guest =>
        {
            if (!hosts.TryGetValue(guest.Uri, out var host))
            {
                throw new InvalidOperationException($"its host {guest.Uri} is not open");
            }

            host.SetMetadata(guest.Uuid, Namespace, Prefix, Xml(run, at, guest.InitialState, guest.Order));
            return true;
        }, within, time);
        return [.. results.Where(static r => r.Error is not null).Select(static r => (r.Item, r.Error!))];
    }

    /// <summary>Reads the guests' marks, <see cref="AtOnce"/> at a time, all within <paramref name="within"/>. Never throws.</summary>
    /// <returns>Each guest's mark (null without one), or why it could not be read.</returns>
    public static async Task<IReadOnlyList<(Guest Guest, RestoreEntry? Entry, string? Error)>> ReadAsync(
        IEnumerable<(IGuestHost Host, Guest Guest)> guests, TimeSpan within, TimeProvider time)
    {
        var results = await BoundedAsync(guests, g => g.Host.GetMetadata(g.Guest.Uuid, Namespace) is { } xml ? Parse(g.Guest, xml) : null, within, time);
        return [.. results.Select(static r => (r.Item.Guest, r.Result, r.Error))];
    }

    /// <summary>Removes a guest's mark, held to <paramref name="timeout"/>; the error, or null when done.</summary>
    public static async Task<string?> RemoveAsync(IGuestHost host, string uuid, TimeSpan timeout, TimeProvider time)
    {
        var results = await BoundedAsync([uuid], id =>
        {
            host.SetMetadata(id, Namespace, Prefix, null);
            return true;
        }, timeout, time);
        return results[0].Error;
    }

    /// <summary>
    /// Runs a blocking host call per item off the caller's thread, <see cref="AtOnce"/> at a time,
    /// every one given up on when <paramref name="within"/> has passed: one deadline for the lot,
    /// however many there are. Never throws for an item: its error is returned with it.
    /// </summary>
    private static async Task<(T Item, TResult? Result, string? Error)[]> BoundedAsync<T, TResult>(
        IEnumerable<T> items, Func<T, TResult> call, TimeSpan within, TimeProvider time)
    {
        using var deadline = new CancellationTokenSource(within, time);
        using var slots = new SemaphoreSlim(AtOnce);
        return await Task.WhenAll(items.Select(async item =>
        {
            try
            {
                await slots.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                return (item, default(TResult), (string?)$"not reached in {within.TotalSeconds:0.#}s");
            }

            // A slot freed by a call given up on at the deadline must not start another call that
            // nobody would wait for.
            if (deadline.IsCancellationRequested)
            {
                slots.Release();
                return (item, default, $"not reached in {within.TotalSeconds:0.#}s");
            }

            try
            {
                return (item, await Task.Run(() => call(item)).WaitAsync(deadline.Token), null);
            }
            catch (OperationCanceledException)
            {
                return (item, default, $"no answer in {within.TotalSeconds:0.#}s");
            }
            catch (Exception e) when (e is HostException or NotSupportedException or InvalidOperationException)
            {
                return (item, default, e.Message);
            }
            finally
            {
                slots.Release();
            }
        }));
    }
}
