namespace Sundown.Testing;

/// <summary>
/// What a test needs from the machine. Missing, the test skips with the reason on a
/// developer's machine, and fails under CI=true: CI provides everything, so a skip there
/// would hide a broken set-up.
/// </summary>
internal static class Requires
{
    internal static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    internal static void That(bool available, string reason)
    {
        if (available)
        {
            return;
        }

        if (InCi)
        {
            Assert.Fail($"CI=true but {reason}");
        }

        Assert.Skip(reason);
    }

    internal static void Root() => That(Environment.UserName == "root", "the test needs root");

    internal static void File(string path, string why) => That(System.IO.File.Exists(path), $"{path} is missing ({why})");

    internal static void Program(string name) => That(FindOnPath(name) is not null, $"'{name}' is not installed");

    internal static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(System.IO.File.Exists);
}
