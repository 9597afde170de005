using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sundown.Engine.Config;

/// <summary>
/// A file's type, permission bits and owner, read with statx(2): from an open descriptor (no
/// check-then-open race) or from a path. .NET exposes a file's mode but not its owner.
/// </summary>
internal readonly record struct FileStatus(uint Mode, uint Uid)
{
    private const uint TypeMask = 0xF000;
    private const uint TypeDirectory = 0x4000;
    private const uint TypeRegular = 0x8000;
    private const uint TypeSymlink = 0xA000;
    private const uint Sticky = 0x200;
    private const uint GroupOrOthersWrite = 0x12;

    internal bool IsDirectory => (Mode & TypeMask) == TypeDirectory;

    internal bool IsRegularFile => (Mode & TypeMask) == TypeRegular;

    internal bool IsSymlink => (Mode & TypeMask) == TypeSymlink;

    internal bool IsSticky => (Mode & Sticky) != 0;

    internal bool WritableByGroupOrOthers => (Mode & GroupOrOthersWrite) != 0;

    /// <summary>The permission bits alone, as chmod takes them.</summary>
    internal UnixFileMode Permissions => (UnixFileMode)(Mode & 0xFFF);

    /// <summary>The permission bits in octal, as ls and chmod write them: "0644".</summary>
    internal string OctalPermissions => "0" + Convert.ToString(Mode & 0xFFF, 8);

    internal static uint CurrentUid => Interop.Libc.GetEffectiveUid();

    /// <summary>The file an open descriptor refers to.</summary>
    /// <exception cref="IOException">statx failed.</exception>
    internal static FileStatus Of(SafeFileHandle file)
    {
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            int fd = (int)file.DangerousGetHandle();
            return Read(fd, "", Interop.Libc.AtEmptyPath, $"descriptor {fd}");
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>The file at a path; with <paramref name="followLinks"/> false, a symbolic link itself.</summary>
    /// <exception cref="IOException">statx failed (ENOENT too).</exception>
    internal static FileStatus Of(string path, bool followLinks) =>
        Read(Interop.Libc.AtCurrentDirectory, path, followLinks ? 0 : Interop.Libc.AtSymlinkNoFollow, path);

    private static FileStatus Read(int directory, string path, int flags, string what)
    {
        if (Interop.Libc.Statx(directory, path, flags, Interop.Libc.StatxType | Interop.Libc.StatxMode | Interop.Libc.StatxUid, out var buffer) != 0)
        {
            throw new IOException($"cannot read the status of {what}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        return new FileStatus(buffer.Mode, buffer.Uid);
    }
}
