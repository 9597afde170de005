using System.Runtime.InteropServices;

namespace Sundown.Engine.Config;

/// <summary>
/// struct statx of &lt;linux/stat.h&gt;, up to the fields Sundown reads; 256 bytes on every
/// architecture. Kept free of anything else so that AbiTests can compile it and compare
/// its layout with the C header's.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 256)]
internal struct StatxBuffer
{
    internal uint Mask;
    internal uint BlockSize;
    internal ulong Attributes;
    internal uint LinkCount;
    internal uint Uid;
    internal uint Gid;
    internal ushort Mode;
}
