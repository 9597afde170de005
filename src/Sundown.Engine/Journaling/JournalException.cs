namespace Sundown.Engine.Journaling;

/// <summary>
/// The journal or the state directory cannot be used: not creatable, not writable, corrupt,
/// or written by a newer Sundown. The message names the file and the reason.
/// </summary>
public sealed class JournalException(string message, Exception? inner = null) : Exception(message, inner);
