using System.Collections.Immutable;
using Sundown.Core.Config;
using Sundown.Core.Doctor;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Policy;
using Sundown.Core.Ups;
using Sundown.Engine.Config;
using Sundown.Engine.Hosts;
using Sundown.Engine.Inventory;
using Sundown.Engine.Journaling;
using Sundown.Engine.Power;

namespace Sundown.Engine.Doctor;

/// <summary>
/// One <c>sundown doctor</c>: reads the config, every host and guest, the machine's files and
/// the journal, and hands them to <see cref="Checks"/>. Read-only throughout. What cannot be
/// read (a bad config, an unreachable host, a guest's invalid metadata) is a finding, and the
/// rest is examined all the same: an audit says everything that is wrong at once.
/// </summary>
public static class DoctorRun
{
    /// <param name="openUps">The reader of the config's [ups] (the CLI's is NutUps, held to its timeout); null, or returning null, reads no UPS.</param>
    public static DoctorReport Examine(DoctorRequest request, Func<string, IGuestHost> open, Func<SundownConfig, IUps?>? openUps = null)
    {
        SundownConfig config;
        string? configProblem = null;
        try
        {
            config = ConfigFile.Load(request.ConfigPath);
        }
        catch (ConfigException e)
        {
            config = SundownConfig.Default;
            configProblem = e.Message;
        }

        // The UPS is read while the hosts are: a upsd that does not answer costs its timeout once, not on top.
        var upsReading = openUps?.Invoke(config) is { } ups ? ReadUps(ups) : null;
        var upsLogin = config.Ups is { Role: UpsRole.Secondary } && request.CheckUpsLogin is { } check ? check(config) : null;
        var uris = request.Uris.Count > 0 ? request.Uris : config.Connect;
        var guests = new List<(Guest Guest, GuestPolicy Policy)>();
        var unreachable = ImmutableArray.CreateBuilder<HostProblem>();
        var invalid = ImmutableArray.CreateBuilder<GuestProblem>();
        var saveDirectories = ImmutableArray.CreateBuilder<SaveDirectory>();
        var snapshots = ImmutableArray<GuestSnapshots>.Empty;
        // All hosts at once, each bounded: one that cannot be reached neither hides nor holds up the others.
        using (var hosts = HostSet.Open(uris, open))
        {
            unreachable.AddRange(hosts.Unreachable.Select(static host => new HostProblem(host.Uri, host.Message)));
            var inventory = GuestsWithPolicies.Read(hosts, config);
            guests.AddRange(inventory.Guests);
            invalid.AddRange(inventory.InvalidPolicies);
            unreachable.AddRange(inventory.Unlisted.Select(static host => new HostProblem(host.Uri, host.Message)));
            foreach (var host in hosts.Hosts.Where(host => !inventory.Unlisted.Any(u => u.Uri == host.Uri)))
            {
                if (SaveDirectoryOf(host.Uri, request.Paths) is { } directory)
                {
                    saveDirectories.Add(HostFactsReader.SaveDirectory(host.Uri, directory));
                }
            }

            snapshots = SnapshotFactsReader.Read(hosts.Hosts, guests);
        }

        var facts = new HostFacts(
            HostFactsReader.Read(request.Paths.QemuConf),
            HostFactsReader.LibvirtGuests(request.Paths),
            HostFactsReader.SundownUnit(request.Paths, request.RunningBinary),
            saveDirectories.ToImmutable(),
            HostFactsReader.History(request.StateDirectory, guests.Select(g => g.Guest)),
            configProblem,
            unreachable.ToImmutable(),
            invalid.ToImmutable())
        {
            LibvirtVersion = request.LibvirtVersion,
            LogindConfs = HostFactsReader.Logind(request.Paths),
            OsName = HostFactsReader.OsName(request.Paths),
            SqliteProblem = Journal.SqliteLoadFailure,
            LibvirtHooks = LibvirtHooksReader.Read(request.Paths),
            Ups = HostFactsReader.Ups(request.Paths, upsReading) with
            {
                LoginError = upsLogin?.GetAwaiter().GetResult(),
                LoginChecked = upsLogin is not null,
                PasswordReadableIn = config.Ups?.Credentials is not null ? ReadableByOthers(request.ConfigPath ?? ConfigFile.DefaultPath) : null,
            },
            Snapshots = snapshots,
        };
        return new DoctorReport(Checks.Run(facts, guests, config));
    }

    /// <summary>The file's full path when its mode lets others read it; null when not, or when it cannot be looked at.</summary>
    private static string? ReadableByOthers(string path)
    {
        try
        {
            return (File.GetUnixFileMode(path) & UnixFileMode.OtherRead) != 0 ? Path.GetFullPath(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Begun before the hosts are examined, and held to PowerBudget's timeout whatever the reader does.</summary>
    private static Task<(UpsReading? Reading, string? Error)> ReadUps(IUps ups) =>
        PowerBudget.TryReadAsync(ups, TimeProvider.System, CancellationToken.None);

    /// <summary>
    /// Where a host's managed saves go, when doctor can look: only the local system QEMU driver's.
    /// A remote host's directory is on another machine, a session daemon's in its user's home.
    /// </summary>
    private static string? SaveDirectoryOf(string uri, DoctorPaths paths) => uri == "qemu:///system" ? paths.SaveDir : null;
}
