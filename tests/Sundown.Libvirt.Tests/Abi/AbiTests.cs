using System.Runtime.InteropServices;
using Sundown.Core.Hosts;
using Sundown.Testing;

namespace Sundown.Libvirt.Tests.Abi;

/// <summary>
/// The binding's struct layouts and constants against the C headers it was written from:
/// a small C program prints the header's values, and each must equal the binding's. Against
/// libvirt 9.0's headers (this machine's, Debian 12) and libvirt 11.3's (Debian 13's, from
/// the whole-host test image).
/// </summary>
public sealed class AbiTests
{
    [Fact(Timeout = 60_000)]
    public async Task Struct_layouts_and_constants_match_the_libvirt_9_headers()
    {
        Requires.Program("gcc");
        Requires.File("/usr/include/libvirt/libvirt.h", "install libvirt-dev");

        var header = await CompileAndRunAsync(includeDirectory: null);

        AssertMatchesBinding(header);
    }

    [Fact(Timeout = 900_000)]
    public async Task Struct_layouts_and_constants_match_the_libvirt_11_3_headers_of_debian_13()
    {
        Requires.Program("gcc");
        string image = await TrixieImage.DirectoryAsync();
        string headers = Path.Combine(image, "root", "usr", "include", "libvirt");
        Requires.File(Path.Combine(headers, "libvirt.h"), "the Debian 13 image holds libvirt-dev's headers");
        Assert.Contains("# define LIBVIR_VERSION_NUMBER 11003000", await File.ReadAllTextAsync(Path.Combine(headers, "libvirt-common.h")), StringComparison.Ordinal);
        // Only libvirt's headers from the image: the C library's stay this machine's.
        string include = Directory.CreateTempSubdirectory("sundown-abi-include-").FullName;
        try
        {
            File.CreateSymbolicLink(Path.Combine(include, "libvirt"), headers);

            var header = await CompileAndRunAsync(include);

            AssertMatchesBinding(header);
        }
        finally
        {
            Directory.Delete(include, recursive: true);
        }
    }

    private static void AssertMatchesBinding(Dictionary<string, long> header)
    {
        var binding = BindingValues();

        Assert.Empty(binding.Keys.Except(header.Keys));
        Assert.All(binding, pair => Assert.True(
            header[pair.Key] == pair.Value, $"{pair.Key}: the header says {header[pair.Key]}, the binding {pair.Value}"));
    }

    private static Dictionary<string, long> BindingValues()
    {
        var values = new Dictionary<string, long>
        {
            ["sizeof(virError)"] = Marshal.SizeOf<Interop.Libvirt.VirError>(),
            ["offsetof(virError.code)"] = Offset<Interop.Libvirt.VirError>(nameof(Interop.Libvirt.VirError.Code)),
            ["offsetof(virError.domain)"] = Offset<Interop.Libvirt.VirError>(nameof(Interop.Libvirt.VirError.Domain)),
            ["offsetof(virError.message)"] = Offset<Interop.Libvirt.VirError>(nameof(Interop.Libvirt.VirError.Message)),
            ["offsetof(virError.level)"] = Offset<Interop.Libvirt.VirError>(nameof(Interop.Libvirt.VirError.Level)),
            ["offsetof(virError.str1)"] = Offset<Interop.Libvirt.VirError>(nameof(Interop.Libvirt.VirError.Str1)),
            ["offsetof(virError.int1)"] = Offset<Interop.Libvirt.VirError>(nameof(Interop.Libvirt.VirError.Int1)),
            ["offsetof(virError.net)"] = Offset<Interop.Libvirt.VirError>(nameof(Interop.Libvirt.VirError.Net)),
            ["sizeof(virDomainInfo)"] = Marshal.SizeOf<Interop.Libvirt.VirDomainInfo>(),
            ["offsetof(virDomainInfo.state)"] = Offset<Interop.Libvirt.VirDomainInfo>(nameof(Interop.Libvirt.VirDomainInfo.State)),
            ["offsetof(virDomainInfo.maxMem)"] = Offset<Interop.Libvirt.VirDomainInfo>(nameof(Interop.Libvirt.VirDomainInfo.MaxMem)),
            ["offsetof(virDomainInfo.memory)"] = Offset<Interop.Libvirt.VirDomainInfo>(nameof(Interop.Libvirt.VirDomainInfo.Memory)),
            ["offsetof(virDomainInfo.nrVirtCpu)"] = Offset<Interop.Libvirt.VirDomainInfo>(nameof(Interop.Libvirt.VirDomainInfo.NrVirtCpu)),
            ["offsetof(virDomainInfo.cpuTime)"] = Offset<Interop.Libvirt.VirDomainInfo>(nameof(Interop.Libvirt.VirDomainInfo.CpuTime)),
            ["VIR_UUID_STRING_BUFLEN"] = Interop.Libvirt.UuidStringBufferLength,
            ["VIR_CONNECT_RO"] = Interop.Libvirt.ConnectReadOnly,
            ["VIR_DOMAIN_NOSTATE"] = LibvirtStates.NoState,
            ["VIR_DOMAIN_RUNNING"] = LibvirtStates.Running,
            ["VIR_DOMAIN_BLOCKED"] = LibvirtStates.Blocked,
            ["VIR_DOMAIN_PAUSED"] = LibvirtStates.Paused,
            ["VIR_DOMAIN_SHUTDOWN"] = LibvirtStates.Shutdown,
            ["VIR_DOMAIN_SHUTOFF"] = LibvirtStates.Shutoff,
            ["VIR_DOMAIN_CRASHED"] = LibvirtStates.Crashed,
            ["VIR_DOMAIN_PMSUSPENDED"] = LibvirtStates.PmSuspended,
            ["VIR_DOMAIN_SHUTDOWN_DEFAULT"] = Interop.Libvirt.ShutdownDefault,
            ["VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN"] = Interop.Libvirt.ShutdownAcpiPowerButton,
            ["VIR_DOMAIN_SHUTDOWN_GUEST_AGENT"] = Interop.Libvirt.ShutdownGuestAgent,
            ["VIR_DOMAIN_START_PAUSED"] = Interop.Libvirt.StartPaused,
            ["VIR_DOMAIN_METADATA_ELEMENT"] = Interop.Libvirt.MetadataElement,
            ["VIR_DOMAIN_AFFECT_LIVE"] = Interop.Libvirt.AffectLive,
            ["VIR_DOMAIN_AFFECT_CONFIG"] = Interop.Libvirt.AffectConfig,
            ["VIR_DOMAIN_EVENT_ID_LIFECYCLE"] = Interop.Libvirt.DomainEventIdLifecycle,
            ["VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY"] = Interop.Libvirt.SnapshotCreateDiskOnly,
            ["VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE"] = Interop.Libvirt.SnapshotCreateQuiesce,
            ["VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC"] = Interop.Libvirt.SnapshotCreateAtomic,
            ["VIR_FROM_RPC"] = LibvirtException.FromRpc,
        };

        // StateReasons: the SHUTOFF reasons and STOPPED event details the engine decides on.
        foreach (var field in s_stateReasons)
        {
            values[field.Name] = field.Value;
        }

        foreach (var kind in Enum.GetValues<LifecycleEventKind>())
        {
            values[$"VIR_DOMAIN_EVENT_{kind.ToString().ToUpperInvariant()}"] = (long)kind;
        }

        foreach (var code in Enum.GetValues<LibvirtErrorCode>())
        {
            values[$"VIR_ERR_{ToUpperSnake(code.ToString())}"] = (long)code;
        }

        return values;
    }

    private static readonly (string Name, int Value)[] s_stateReasons =
    [
        ("VIR_DOMAIN_SHUTOFF_UNKNOWN", StateReasons.ShutoffUnknown),
        ("VIR_DOMAIN_SHUTOFF_SHUTDOWN", StateReasons.ShutoffShutdown),
        ("VIR_DOMAIN_SHUTOFF_DESTROYED", StateReasons.ShutoffDestroyed),
        ("VIR_DOMAIN_SHUTOFF_CRASHED", StateReasons.ShutoffCrashed),
        ("VIR_DOMAIN_SHUTOFF_MIGRATED", StateReasons.ShutoffMigrated),
        ("VIR_DOMAIN_SHUTOFF_SAVED", StateReasons.ShutoffSaved),
        ("VIR_DOMAIN_SHUTOFF_FAILED", StateReasons.ShutoffFailed),
        ("VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT", StateReasons.ShutoffFromSnapshot),
        ("VIR_DOMAIN_SHUTOFF_DAEMON", StateReasons.ShutoffDaemon),
        ("VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN", StateReasons.StoppedShutdown),
        ("VIR_DOMAIN_EVENT_STOPPED_DESTROYED", StateReasons.StoppedDestroyed),
        ("VIR_DOMAIN_EVENT_STOPPED_CRASHED", StateReasons.StoppedCrashed),
        ("VIR_DOMAIN_EVENT_STOPPED_MIGRATED", StateReasons.StoppedMigrated),
        ("VIR_DOMAIN_EVENT_STOPPED_SAVED", StateReasons.StoppedSaved),
        ("VIR_DOMAIN_EVENT_STOPPED_FAILED", StateReasons.StoppedFailed),
        ("VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT", StateReasons.StoppedFromSnapshot),
    ];

    private static long Offset<T>(string field) => Marshal.OffsetOf<T>(field).ToInt64();

    // NoDomainMetadata -> NO_DOMAIN_METADATA
    private static string ToUpperSnake(string pascal) =>
        string.Concat(pascal.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : c.ToString())).ToUpperInvariant();

    /// <param name="includeDirectory">Where libvirt/*.h come from; null for the installed /usr/include.</param>
    private static async Task<Dictionary<string, long>> CompileAndRunAsync(string? includeDirectory)
    {
        string dir = Directory.CreateTempSubdirectory("sundown-abi-").FullName;
        try
        {
            string program = Path.Combine(dir, "abi");
            string[] include = includeDirectory is null ? [] : ["-I", includeDirectory];
            var compile = await ProcessRunner.RunAsync("gcc", [.. include, Path.Combine(AppContext.BaseDirectory, "Abi", "abi.c"), "-o", program]);
            Assert.True(compile.ExitCode == 0, compile.Error);
            var run = await ProcessRunner.RunAsync(program, []);
            Assert.Equal(0, run.ExitCode);
            return run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' '))
                .ToDictionary(parts => parts[0], parts => long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
