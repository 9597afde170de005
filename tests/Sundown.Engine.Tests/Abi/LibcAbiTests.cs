using System.Globalization;
using System.Runtime.InteropServices;
using Sundown.Engine.Config;
using Sundown.Testing;

namespace Sundown.Engine.Tests.Abi;

/// <summary>
/// The libc layouts and constants the engine relies on (struct statx, the open(2) flags)
/// against the C headers, as the binding's AbiTests do for libvirt's.
/// </summary>
public sealed class LibcAbiTests
{
    private const string Program = """
        #define _GNU_SOURCE
        #include <fcntl.h>
        #include <stddef.h>
        #include <stdio.h>
        #include <sys/file.h>
        #include <sys/stat.h>
        #include <errno.h>
        #define SHOW(name, value) printf("%s %lld\n", name, (long long)(value))
        #define CONST(name) SHOW(#name, name)
        int main(void)
        {
            SHOW("sizeof(statx)", sizeof(struct statx));
            SHOW("offsetof(statx.stx_mask)", offsetof(struct statx, stx_mask));
            SHOW("offsetof(statx.stx_uid)", offsetof(struct statx, stx_uid));
            SHOW("offsetof(statx.stx_gid)", offsetof(struct statx, stx_gid));
            SHOW("offsetof(statx.stx_mode)", offsetof(struct statx, stx_mode));
            SHOW("sizeof(statx.stx_mode)", sizeof(((struct statx *)0)->stx_mode));
            CONST(AT_FDCWD); CONST(AT_SYMLINK_NOFOLLOW); CONST(AT_EMPTY_PATH);
            CONST(STATX_TYPE); CONST(STATX_MODE); CONST(STATX_UID);
            CONST(O_RDONLY); CONST(O_WRONLY); CONST(O_RDWR); CONST(O_CREAT); CONST(O_EXCL); CONST(O_NONBLOCK);
            CONST(O_CLOEXEC); CONST(O_NOFOLLOW);
            CONST(LOCK_EX); CONST(LOCK_NB);
            CONST(ENOENT); CONST(EACCES); CONST(EWOULDBLOCK); CONST(EROFS); CONST(ELOOP);
            return 0;
        }
        """;

    [Fact(Timeout = 60_000)]
    public async Task Statx_layout_and_open_flags_match_the_c_headers()
    {
        Requires.Program("gcc");
        var header = await CompileAndRunAsync();

        var engine = new Dictionary<string, long>
        {
            ["sizeof(statx)"] = Marshal.SizeOf<StatxBuffer>(),
            ["offsetof(statx.stx_mask)"] = Offset(nameof(StatxBuffer.Mask)),
            ["offsetof(statx.stx_uid)"] = Offset(nameof(StatxBuffer.Uid)),
            ["offsetof(statx.stx_gid)"] = Offset(nameof(StatxBuffer.Gid)),
            ["offsetof(statx.stx_mode)"] = Offset(nameof(StatxBuffer.Mode)),
            ["sizeof(statx.stx_mode)"] = sizeof(ushort),
            ["AT_FDCWD"] = Interop.Libc.AtCurrentDirectory,
            ["AT_SYMLINK_NOFOLLOW"] = Interop.Libc.AtSymlinkNoFollow,
            ["AT_EMPTY_PATH"] = Interop.Libc.AtEmptyPath,
            ["STATX_TYPE"] = Interop.Libc.StatxType,
            ["STATX_MODE"] = Interop.Libc.StatxMode,
            ["STATX_UID"] = Interop.Libc.StatxUid,
            ["O_RDONLY"] = Interop.Libc.OpenReadOnly,
            ["O_WRONLY"] = Interop.Libc.OpenWriteOnly,
            ["O_RDWR"] = Interop.Libc.OpenReadWrite,
            ["O_CREAT"] = Interop.Libc.OpenCreate,
            ["O_EXCL"] = Interop.Libc.OpenExclusive,
            ["O_NONBLOCK"] = Interop.Libc.OpenNonBlocking,
            ["O_CLOEXEC"] = Interop.Libc.OpenCloseOnExec,
            ["O_NOFOLLOW"] = Interop.Libc.OpenNoFollow,
            ["LOCK_EX"] = Interop.Libc.LockExclusive,
            ["LOCK_NB"] = Interop.Libc.LockNonBlocking,
            ["ENOENT"] = Interop.Libc.ErrorNoEntry,
            ["EACCES"] = Interop.Libc.ErrorAccess,
            ["EWOULDBLOCK"] = Interop.Libc.ErrorWouldBlock,
            ["EROFS"] = Interop.Libc.ErrorReadOnlyFileSystem,
            ["ELOOP"] = Interop.Libc.ErrorLoop,
        };

        Assert.Equal(engine.Keys.Order(StringComparer.Ordinal), header.Keys.Order(StringComparer.Ordinal));
        Assert.All(engine, pair => Assert.True(
            header[pair.Key] == pair.Value, $"{pair.Key}: the header says {header[pair.Key]}, the engine {pair.Value}"));
    }

    private static long Offset(string field) => Marshal.OffsetOf<StatxBuffer>(field).ToInt64();

    private static async Task<Dictionary<string, long>> CompileAndRunAsync()
    {
        string dir = Directory.CreateTempSubdirectory("sundown-libc-abi-").FullName;
        try
        {
            string source = Path.Combine(dir, "abi.c");
            string program = Path.Combine(dir, "abi");
            await File.WriteAllTextAsync(source, Program);
            var compile = await ProcessRunner.RunAsync("gcc", [source, "-o", program]);
            Assert.True(compile.ExitCode == 0, compile.Error);
            var run = await ProcessRunner.RunAsync(program, []);
            Assert.Equal(0, run.ExitCode);
            return run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' '))
                .ToDictionary(parts => parts[0], parts => long.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
