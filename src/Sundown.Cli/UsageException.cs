namespace Sundown.Cli;

/// <summary>The command line asks for something that cannot be done: exit 2, nothing touched.</summary>
internal sealed class UsageException(string message) : Exception(message);
