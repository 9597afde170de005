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

    // SQLitePCLRaw's provider imports its functions from the library named "sqlite3", which the
    // runtime would look for as libsqlite3.so.
    private const string ProviderLibraryName = "sqlite3";

    private static readonly Lazy<Exception?> s_loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Sets SQLitePCLRaw's provider once per process, before the first connection; throws
    /// <see cref="DllNotFoundException"/> (every time) when the host has no libsqlite3.so.0.
    /// </summary>
    public static void EnsureLoaded()
    {
        if (s_loaded.Value is { } failure)
        {
            throw new DllNotFoundException(failure.Message, failure);
        }
    }

    private static Exception? Load()
    {
        var provider = typeof(SQLite3Provider_sqlite3).Assembly;
        // The provider's imports are not direct P/Invokes, so Native AOT resolves them at their
        // first call too, through this resolver.
        NativeLibrary.SetDllImportResolver(provider, ResolveSqlite);
        try
        {
            // Loaded here, not at the first statement, so a missing library is one clear error.
            _ = NativeLibrary.Load(Soname);
        }
        catch (DllNotFoundException e)
        {
            return e;
        }

        raw.SetProvider(new SQLite3Provider_sqlite3());
        return null;
    }

    private static nint ResolveSqlite(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == ProviderLibraryName ? NativeLibrary.Load(Soname) : 0;
}
