namespace Sundown.Core.Config;

/// <summary>The configuration is refused, whole. Line and column are 1-based; 0 when the problem is not at one place.</summary>
public sealed class ConfigException(string file, int line, int column, string problem)
    : Exception(line > 0 ? $"{file}:{line}:{column}: {problem}" : $"{file}: {problem}")
{
    public string File { get; } = file;

    public int Line { get; } = line;

    public int Column { get; } = column;

    public string Problem { get; } = problem;
}
