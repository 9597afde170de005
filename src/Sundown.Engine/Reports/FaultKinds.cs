namespace Sundown.Engine.Reports;

/// <summary>The words of <see cref="Fault.Kind"/>, as the JSON report carries them (a stable contract).</summary>
public static class FaultKinds
{
    /// <summary>The config file could not be read, parsed or trusted; a fallback was used.</summary>
    public const string Config = "config";

    /// <summary>A guest's own policy element is invalid; the config's policy was used for it.</summary>
    public const string Metadata = "metadata";

    /// <summary>The state directory or the journal could not be used; the run went on without it.</summary>
    public const string Journal = "journal";

    /// <summary>A host could not be reached, or stopped answering.</summary>
    public const string Host = "host";

    /// <summary>An interrupted run could not be continued as it was, or was continued.</summary>
    public const string Continuation = "continuation";

    /// <summary>The restore list could not be kept where it belongs.</summary>
    public const string Restore = "restore";

    /// <summary>The UPS could not be read, or answered what cannot be used; the configured budget held.</summary>
    public const string Ups = "ups";

    /// <summary>Something unforeseen went wrong in the stop at shutdown; it was retried rather than given up.</summary>
    public const string Internal = "internal";

    /// <summary>A hook failed, hung (and was killed at its deadline) or could not be started; the stop went on.</summary>
    public const string Hook = "hook";
}
