using System.Reflection;
using System.Runtime.InteropServices;
using SQLitePCL;

namespace Sundown.Engine.Journaling;

/// <summary>
/// Points Microsoft.Data.Sqlite at the host's own SQLite, libsqlite3.so.0 (Debian's libsqlite3-0),
/// instead of a copy shipped beside the binary: security fixes then come with the distribution's
/// updates (Debian policy §4.13, no convenience copies of libraries).
/// </summary>
internal static class SystemSqlite
{
    // The SONAME, not libsqlite3.so: the unversioned link exists only with libsqlite3-dev.
    internal const string Soname = "libsqlite3.so.0";

    /// <summary>What puts the library back, said wherever its absence is.</summary>
    internal const string Fix = "apt install libsqlite3-0";

    // SQLitePCLRaw's provider imports its functions from the library named "sqlite3", which the
    // runtime would look for as libsqlite3.so.
    private const string ProviderLibraryName = "sqlite3";

    // Tried once per process: the resolver can be set only once, and a library that failed to
    // load does not appear while the process runs.
    private static readonly Lazy<string?> s_failure = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Null once SQLite is loaded and SQLitePCLRaw's provider set; else why it cannot be, one
    /// line naming the library and the fix. Loads it on first use.
    /// </summary>
    public static string? LoadFailure => s_failure.Value;

    /// <summary>Loads SQLite once per process, before the first connection.</summary>
    /// <exception cref="JournalException">It cannot be loaded (every time): <see cref="LoadFailure"/>.</exception>
    public static void EnsureLoaded()
    {
        if (LoadFailure is { } failure)
        {
            throw new JournalException(failure);
        }
    }

    private static string? Load()
    {
        try
        {
            var provider = typeof(SQLite3Provider_sqlite3).Assembly;
            // The provider's imports are not direct P/Invokes, so Native AOT resolves them at their
            // first call too, through this resolver.
            NativeLibrary.SetDllImportResolver(provider, ResolveSqlite);
            // Loaded here, not at the first statement, so a missing library is one clear error.
            _ = NativeLibrary.Load(Soname);
            // Calls sqlite3_libversion_number: a file of that name that is not SQLite fails here.
            raw.SetProvider(new SQLite3Provider_sqlite3());
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Not only DllNotFoundException (no such file): a file that is not a library of this
            // machine (BadImageFormatException), a library without SQLite's functions
            // (EntryPointNotFoundException), whatever else loading it throws. Each is the same
            // fault for the journal, and must not escape as something else.
            return $"SQLite cannot be loaded ({Reason(e)}): {Fix}";
        }
    }

    /// <summary>
    /// The loader's own words on one line, naming the library: the runtime's message wraps
    /// dlerror's text (which names the file) in advice over several lines, and names the provider's
    /// "sqlite3" for a missing function.
    /// </summary>
    private static string Reason(Exception e)
    {
        string[] lines = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string last = lines.Length > 0 ? lines[^1] : e.GetType().Name;
        string named = last.Contains(Soname, StringComparison.Ordinal) ? last : $"{Soname}: {last}";
        return $"{named} ({e.GetType().Name})";
    }

    private static nint ResolveSqlite(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == ProviderLibraryName ? NativeLibrary.Load(Soname) : 0;
}
