using System.Runtime.InteropServices;
using Sundown.Core.Hosts;
using Sundown.Core.Inventory;
using Sundown.Core.Model;
using Sundown.Libvirt.SafeHandles;

namespace Sundown.Libvirt;

/// <summary>
/// One libvirt connection, as the Core's <see cref="IGuestHost"/>. Thread-safe: libvirt
/// connections may be shared between threads, and every error is read on the thread
/// that failed.
/// </summary>
public sealed partial class LibvirtHost : IGuestHost
{
    private readonly SafeVirConnectHandle _connection;

    private LibvirtHost(SafeVirConnectHandle connection, string uri)
    {
        _connection = connection;
        Uri = uri;
    }

    public string Uri { get; }

    /// <summary>
    /// Opens a connection. A read-only one suffices to list and plan, and works for users
    /// who may not change guests.
    /// </summary>
    /// <exception cref="LibvirtException">The host cannot be reached or refused the connection.</exception>
    public static LibvirtHost Open(string uri, bool readOnly = false)
    {
        LibvirtRuntime.EnsureInitialized();
        // libvirt's default authentication callback asks on the terminal, as virsh does
        // (remote URIs with SASL or a password).
        var connection = Interop.Libvirt.ConnectOpenAuth(uri, DefaultAuth(), readOnly ? Interop.Libvirt.ConnectReadOnly : 0);
        if (connection.IsInvalid)
        {
            var error = LibvirtException.FromLastError($"cannot connect to '{uri}'");
            connection.Dispose();
            throw error;
        }

        nint reported = Interop.Libvirt.ConnectGetURI(connection);
        string actualUri = TakeString(reported) ?? uri;
        var host = new LibvirtHost(connection, actualUri);
        host.KeepAliveUnlessInProcess();
        return host;
    }

    /// <summary>The libvirt library's version, e.g. 9000000 for 9.0.0.</summary>
    public static ulong LibraryVersion => LibvirtRuntime.LibraryVersion();

    public bool IsAlive => Interop.Libvirt.ConnectIsAlive(_connection) == 1;

    public IReadOnlyList<Guest> ListGuests()
    {
        var guests = new List<Guest>();
        foreach (var domain in ListDomains())
        {
            using (domain)
            {
                try
                {
                    guests.Add(ReadGuest(domain));
                }
                catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
                {
                    // Undefined between the listing and the reading: it is no longer on the host.
                }
            }
        }

        guests.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return guests;
    }

    public GuestStatus GetStatus(string uuid)
    {
        using var domain = Lookup(uuid);
        return ReadStatus(domain);
    }

    public void Shutdown(string uuid, ShutdownMethod method)
    {
        uint flags = method switch
        {
            ShutdownMethod.Acpi => Interop.Libvirt.ShutdownAcpiPowerButton,
            ShutdownMethod.Agent => Interop.Libvirt.ShutdownGuestAgent,
            _ => Interop.Libvirt.ShutdownDefault,
        };
        Act(uuid, "shut down", domain => Interop.Libvirt.DomainShutdownFlags(domain, flags));
    }

    public void Destroy(string uuid)
    {
        Act(uuid, "destroy", static domain => Interop.Libvirt.DomainDestroy(domain));
    }

    public void Suspend(string uuid)
    {
        Act(uuid, "suspend", static domain => Interop.Libvirt.DomainSuspend(domain));
    }

    public void Resume(string uuid)
    {
        Act(uuid, "resume", static domain => Interop.Libvirt.DomainResume(domain));
    }

    public void Wakeup(string uuid)
    {
        Act(uuid, "wake up", static domain => Interop.Libvirt.DomainPMWakeup(domain, 0));
    }

    public void ManagedSave(string uuid)
    {
        Act(uuid, "save", static domain => Interop.Libvirt.DomainManagedSave(domain, 0));
    }

    public void AbortJob(string uuid)
    {
        Act(uuid, "abort the job of", static domain => Interop.Libvirt.DomainAbortJob(domain));
    }

    public void Start(string uuid, bool paused = false)
    {
        uint flags = paused ? Interop.Libvirt.StartPaused : 0;
        Act(uuid, "start", domain => Interop.Libvirt.DomainCreateWithFlags(domain, flags));
    }

    public string? GetMetadata(string uuid, string namespaceUri)
    {
        using var domain = Lookup(uuid);
        string name = NameOf(domain);
        nint xml = Interop.Libvirt.DomainGetMetadata(domain, Interop.Libvirt.MetadataElement, namespaceUri, 0);
        if (xml == 0)
        {
            var error = LibvirtException.FromLastError($"reading metadata of '{name}'");
            return error.Code == LibvirtErrorCode.NoDomainMetadata ? null : throw error;
        }

        return TakeString(xml);
    }

    public void SetMetadata(string uuid, string namespaceUri, string prefix, string? xml)
    {
        using var domain = Lookup(uuid);
        string name = NameOf(domain);
        // LIVE|CONFIG on a running guest (CURRENT would leave the persistent config unchanged);
        // CONFIG alone on a stopped one, and LIVE alone on a transient one.
        uint flags = Interop.Libvirt.DomainIsPersistent(domain) == 1 ? Interop.Libvirt.AffectConfig : 0;
        if (ReadStatus(domain, name).State.IsActive())
        {
            flags |= Interop.Libvirt.AffectLive;
        }

        if (Interop.Libvirt.DomainSetMetadata(domain, Interop.Libvirt.MetadataElement, xml, prefix, namespaceUri, flags) < 0)
        {
            throw LibvirtException.FromLastError($"cannot set metadata of '{name}'");
        }
    }

    public void Dispose()
    {
        // A callback left registered keeps the connection open for ever (virConnectClose
        // returns 1) and never frees its GCHandle.
        UnsubscribeAll();
        _connection.Dispose();
        ReleaseKeepAliveLoop();
    }

    private unsafe List<SafeVirDomainHandle> ListDomains()
    {
        nint* array = null;
        // SAFETY: libvirt allocates the array; each element is one owned domain reference,
        // handed to a SafeHandle before the array itself is freed.
        int count = Interop.Libvirt.ConnectListAllDomains(_connection, &array, 0);
        if (count < 0)
        {
            throw LibvirtException.FromLastError($"listing guests on '{Uri}'");
        }

        var domains = new List<SafeVirDomainHandle>(count);
        for (int i = 0; i < count; i++)
        {
            domains.Add(new SafeVirDomainHandle(array[i]));
        }

        NativeMemory.Free(array);
        return domains;
    }

    private Guest ReadGuest(SafeVirDomainHandle domain)
    {
        string name = NameOf(domain);
        var status = ReadStatus(domain, name);
        if (Interop.Libvirt.DomainGetInfo(domain, out var info) < 0)
        {
            throw LibvirtException.FromLastError($"reading '{name}'");
        }

        int persistent = Interop.Libvirt.DomainIsPersistent(domain);
        if (persistent < 0)
        {
            throw LibvirtException.FromLastError($"reading '{name}'");
        }

        // A transient guest has neither autostart nor a managed-save image; some drivers
        // answer those questions with an error rather than "no".
        bool autostart = Interop.Libvirt.DomainGetAutostart(domain, out int on) == 0 && on != 0;
        bool managedSave = Interop.Libvirt.DomainHasManagedSaveImage(domain, 0) == 1;
        // libvirt 11.2+ only, looked up at run time: older ones have no such mark.
        bool autostartOnce = Interop.Libvirt.Optional.DomainGetAutostartOnce(domain, out int once) == 0 && once != 0;

        nint xml = Interop.Libvirt.DomainGetXMLDesc(domain, 0);
        if (xml == 0)
        {
            throw LibvirtException.FromLastError($"reading the definition of '{name}'");
        }

        var facts = DomainXml.Parse(TakeString(xml)!);
        return new Guest(
            Uri, name, UuidOf(domain), status.State, status.Reason, persistent == 1, autostart, managedSave,
            info.MaxMem.Value, info.NrVirtCpu, facts.Os, facts.HasAcpi, facts.HasAgentChannel, facts.Title)
        {
            PolicyMetadata = facts.PolicyXml,
            AutostartOnce = autostartOnce,
        };
    }

    private static GuestStatus ReadStatus(SafeVirDomainHandle domain) => ReadStatus(domain, NameOf(domain));

    private static GuestStatus ReadStatus(SafeVirDomainHandle domain, string name)
    {
        if (Interop.Libvirt.DomainGetState(domain, out int state, out int reason, 0) < 0)
        {
            throw LibvirtException.FromLastError($"reading the state of '{name}'");
        }

        return new GuestStatus(LibvirtStates.ToGuestState(state), reason);
    }

    internal SafeVirDomainHandle Lookup(string uuid)
    {
        var domain = Interop.Libvirt.DomainLookupByUUIDString(_connection, uuid);
        if (domain.IsInvalid)
        {
            var error = LibvirtException.FromLastError($"no guest with UUID {uuid} on '{Uri}'");
            domain.Dispose();
            throw error;
        }

        return domain;
    }

    /// <summary>Runs one domain call; on failure, the error is copied before anything else touches libvirt.</summary>
    private void Act(string uuid, string verb, Func<SafeVirDomainHandle, int> call)
    {
        using var domain = Lookup(uuid);
        // Every libvirt API resets the thread's last error on entry, virDomainGetName too:
        // the name is read before the call, never between the failure and the copy.
        string name = NameOf(domain);
        if (call(domain) < 0)
        {
            throw LibvirtException.FromLastError($"cannot {verb} '{name}'");
        }
    }

    private static string NameOf(SafeVirDomainHandle domain) =>
        Marshal.PtrToStringUTF8(Interop.Libvirt.DomainGetName(domain)) ?? "";

    private static unsafe string UuidOf(SafeVirDomainHandle domain)
    {
        byte* buffer = stackalloc byte[Interop.Libvirt.UuidStringBufferLength];
        // SAFETY: the buffer is VIR_UUID_STRING_BUFLEN bytes, as libvirt requires.
        if (Interop.Libvirt.DomainGetUUIDString(domain, buffer) < 0)
        {
            throw LibvirtException.FromLastError("reading a guest's UUID");
        }

        return Marshal.PtrToStringUTF8((nint)buffer)!;
    }

    /// <summary>Copies a <c>char*</c> that the caller owns, then frees it.</summary>
    private static unsafe string? TakeString(nint owned)
    {
        if (owned == 0)
        {
            return null;
        }

        string value = Marshal.PtrToStringUTF8(owned)!;
        // SAFETY: libvirt allocated it with malloc and handed ownership to us.
        NativeMemory.Free((void*)owned);
        return value;
    }

    // virConnectAuthPtrDefault is an exported variable, not a function: read its value.
    private static unsafe nint DefaultAuth()
    {
        nint variable = Interop.Libraries.LibvirtExport("virConnectAuthPtrDefault");
        // SAFETY: the export is a `virConnectAuthPtr` variable that lives as long as the library.
        return variable != 0 ? *(nint*)variable : 0;
    }
}
