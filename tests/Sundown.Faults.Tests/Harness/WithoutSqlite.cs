using System.Diagnostics;
using Sundown.Testing;

namespace Sundown.Faults.Tests.Harness;

/// <summary>
/// Runs the published binary in a private mount namespace (<c>unshare --mount</c>) where the host's
/// <c>libsqlite3.so.0</c> cannot be loaded, as on a host without libsqlite3-0 (a build from source,
/// <c>dpkg --force-depends</c>) or with a broken one. An overlay over the library's directory changes
/// only that name: the rest of the directory (libc, libvirt) stays as it is, and the mount goes with
/// the namespace when the run ends, so nothing is left to unmount.
/// </summary>
internal static class WithoutSqlite
{
    /// <summary>Where Debian's libsqlite3-0 puts it (<c>/lib</c> is a link to <c>usr/lib</c>); the loader finds it through ld.so.cache.</summary>
    private const string LibraryDirectory = "/usr/lib/x86_64-linux-gnu";

    private const string Soname = "libsqlite3.so.0";

    /// <summary>The ways the library is made unloadable, as the tests name them.</summary>
    internal static readonly string[] Breakages = ["missing", "an empty file", "another library"];

    // $1 the directory, $2 upper, $3 work, $4 whether the name must be gone; then the binary's arguments.
    // "missing" is an overlay whiteout (a 0/0 character device in the upper directory): the name is
    // absent below the mount. The check then asks ld.so.cache where the loader would look, and fails
    // the run (exit 98) if the library is still there, so a test never passes on a library it did not hide.
    private const string Script = """
        set -eu
        PATH=$PATH:/usr/sbin:/sbin
        lib=$1 upper=$2 work=$3 missing=$4
        shift 4
        if [ "$missing" = yes ]; then mknod "$upper/libsqlite3.so.0" c 0 0; fi
        mount -t overlay overlay -o "lowerdir=$lib,upperdir=$upper,workdir=$work" "$lib"
        if [ "$missing" = yes ]; then
          for path in $(ldconfig -p | awk '$1 == "libsqlite3.so.0" { print $NF }') "$lib/libsqlite3.so.0"; do
            if [ -e "$path" ]; then echo "harness: $path is still there" >&2; exit 98; fi
          done
        fi
        exec "$0" "$@"
        """;

    /// <summary>Runs <c>sundown ARGS</c> with <c>libsqlite3.so.0</c> broken as <paramref name="breakage"/> says (one of <see cref="Breakages"/>).</summary>
    internal static async Task<SundownBinary.Run> RunAsync(Workspace workspace, string breakage, IEnumerable<string> arguments)
    {
        SundownBinary.Require();
        Requires.Root();
        Requires.Program("unshare");
        // Fresh per run: overlayfs wants an empty work directory, and each run its own upper one.
        string layer = workspace.PathOf($"sqlite-overlay-{Guid.NewGuid():N}");
        string upper = Directory.CreateDirectory(Path.Combine(layer, "upper")).FullName;
        string work = Directory.CreateDirectory(Path.Combine(layer, "work")).FullName;
        switch (breakage)
        {
            case "missing":
                break;
            case "an empty file":
                // dlopen: "file too short".
                await File.WriteAllBytesAsync(Path.Combine(upper, Soname), []);
                break;
            case "another library":
                // A real library of this machine, loadable, without SQLite's functions.
                string zlib = Path.Combine(LibraryDirectory, "libz.so.1");
                Requires.File(zlib, "zlib1g is required on Debian");
                File.Copy(new FileInfo(zlib).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? zlib, Path.Combine(upper, Soname));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(breakage), breakage, "not one of WithoutSqlite.Breakages");
        }

        var clock = Stopwatch.StartNew();
        var result = await ProcessRunner.RunAsync(
            "unshare",
            ["--mount", "--propagation", "private", "--", "bash", "-c", Script, SundownBinary.Path, LibraryDirectory, upper, work, breakage == "missing" ? "yes" : "no", .. arguments],
            timeout: TimeSpan.FromMinutes(2));
        var run = new SundownBinary.Run(result.ExitCode, result.Output, result.Error, clock.Elapsed);
        Assert.True(run.ExitCode is not (98 or 32), $"the harness could not break {Soname} ({breakage}):\n{run.Describe()}");
        return run;
    }
}
