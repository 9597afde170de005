namespace Sundown.Core.Policy;

/// <summary>The OS families a <c>[[guest]]</c> rule can match, from the libosinfo id.</summary>
public enum OsFamily
{
    Linux,
    Windows,

    /// <summary>Anything else, including guests without OS metadata.</summary>
    Other,
}
