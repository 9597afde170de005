namespace Sundown.Core.Doctor;

/// <summary>
/// The codes of every finding. They are a contract (scripts filter on them, docs/doctor.md
/// explains each): add new ones, never rename one.
/// </summary>
public static class FindingCodes
{
    public const string ConfigInvalid = "config-invalid";
    public const string HostUnreachable = "host-unreachable";
    public const string PolicyMetadataInvalid = "policy-metadata-invalid";
    public const string NotChecked = "not-checked";

    public const string LibvirtGuestsActive = "libvirt-guests-active";
    public const string LibvirtAutoShutdownActive = "libvirt-auto-shutdown-active";
    public const string QemuConfIgnoredKey = "qemu-conf-ignored-key";
    public const string LibvirtAutoShutdownCutShort = "libvirt-auto-shutdown-cut-short";

    public const string SundownUnitMissing = "sundown-unit-missing";
    public const string SundownUnitNotEnabled = "sundown-unit-not-enabled";
    public const string SundownUnitMasked = "sundown-unit-masked";
    public const string SundownUnitStale = "sundown-unit-stale";
    public const string SundownUnitTimeout = "sundown-unit-timeout";
    public const string SundownUnitTimeoutTight = "sundown-unit-timeout-tight";
    public const string SundownUnitNoBudget = "sundown-unit-no-budget";
    public const string SundownUnitFixedBudget = "sundown-unit-fixed-budget";

    public const string NoAcpi = "no-acpi";
    public const string WindowsWithoutAgent = "windows-without-agent";
    public const string AgentWithoutChannel = "agent-without-channel";
    public const string AutostartAndRestore = "autostart-and-restore";
    public const string AutostartOnceAndRestore = "autostart-once-and-restore";
    public const string TransientGuest = "transient-guest";
    public const string TransientCannotSave = "transient-cannot-save";

    public const string SqliteMissing = "sqlite-missing";

    public const string SaveSpaceShort = "save-space-short";
    public const string SaveSpaceTight = "save-space-tight";

    public const string BudgetForcesOff = "budget-forces-off";
    public const string TimeoutBelowHistory = "timeout-below-history";

    public const string UpsUnreachable = "ups-unreachable";
    public const string UpsMarginExceedsRuntime = "ups-margin-exceeds-runtime";
    public const string NutLowBatteryTooLate = "nut-low-battery-too-late";
    public const string UpsmonNoShutdownCmd = "upsmon-no-shutdowncmd";
    public const string UpsRoleMismatch = "ups-role-mismatch";
    public const string UpsLoginRefused = "ups-login-refused";
    public const string UpsPasswordReadable = "ups-password-readable";
    public const string RackHostSyncShort = "rack-hostsync-short";
    public const string RackMargins = "rack-margins";

    public const string SnapshotsLeftBehind = "snapshots-left-behind";
    public const string SnapshotsBeyondKept = "snapshots-beyond-kept";
    public const string SnapshotChainLong = "snapshot-chain-long";
    public const string LibvirtHookStopsGuests = "libvirt-hook-stops-guests";
}
