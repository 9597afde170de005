using System.Runtime.InteropServices;

namespace Sundown.Engine.Config;

/// <summary>Who owns a file; .NET exposes a file's mode but not its owner.</summary>
internal static class FileOwner
{
    internal static unsafe uint UidOf(string path)
    {
        byte* buffer = stackalloc byte[Interop.Libc.StatSize];
        // SAFETY: the buffer is sizeof(struct stat) bytes; st_uid is read at its x86-64 offset.
        if (Interop.Libc.Stat(path, buffer) != 0)
        {
            throw new IOException($"cannot stat {path}: errno {Marshal.GetLastPInvokeError()}");
        }

        return *(uint*)(buffer + Interop.Libc.StatUidOffset);
    }

    internal static uint CurrentUid() => Interop.Libc.GetEffectiveUid();
}
