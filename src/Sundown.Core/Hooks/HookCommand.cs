using System.Collections.Immutable;

namespace Sundown.Core.Hooks;

/// <summary>
/// A hook's argv: run as is, never through a shell, the first element an absolute path. An
/// empty argv is "no hook" (<c>pre_stop = []</c> in a <c>[[guest]]</c> rule turns off the one of
/// <c>[defaults]</c>).
/// </summary>
public sealed record HookCommand
{
    private HookCommand(ImmutableArray<string> argv) => Argv = argv;

    public ImmutableArray<string> Argv { get; }

    public bool IsNone => Argv.IsEmpty;

    public static HookCommand None { get; } = new(ImmutableArray<string>.Empty);

    /// <summary>The command, or null with <paramref name="error"/> saying what is wrong.</summary>
    public static HookCommand? TryCreate(IReadOnlyList<string> argv, out string? error)
    {
        error = null;
        if (argv.Count == 0)
        {
            return None;
        }

        if (!argv[0].StartsWith('/'))
        {
            error = $"the program '{argv[0]}' must be an absolute path (a hook is an argv array run without a shell, e.g. [\"/usr/local/bin/notify\", \"stopping\"])";
            return null;
        }

        for (int i = 0; i < argv.Count; i++)
        {
            if (argv[i].Contains('\0'))
            {
                error = $"argument {i} holds a NUL character";
                return null;
            }
        }

        return new HookCommand([.. argv]);
    }

    public bool Equals(HookCommand? other) => other is not null && Argv.SequenceEqual(other.Argv);

    public override int GetHashCode() => Argv.Aggregate(0, (hash, arg) => HashCode.Combine(hash, arg));

    public override string ToString() => string.Join(' ', Argv.Select(Quote));

    /// <summary>For display only (plan, doctor): the argv as a shell would need it, never run that way.</summary>
    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "/._-=:,+@%".Contains(c)) ? arg : "'" + arg.Replace("'", "'\\''") + "'";
}
