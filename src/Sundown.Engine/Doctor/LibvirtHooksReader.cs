using System.Collections.Immutable;
using Sundown.Core.Doctor;

namespace Sundown.Engine.Doctor;

/// <summary>Reads libvirt's hook scripts under <see cref="DoctorPaths.LibvirtHooksDir"/>: daemon, qemu, and every file of qemu.d/.</summary>
internal static class LibvirtHooksReader
{
    internal static ImmutableArray<FileText> Read(DoctorPaths paths)
    {
        string dir = paths.LibvirtHooksDir;
        var files = new List<string> { Path.Combine(dir, "daemon"), Path.Combine(dir, "qemu") };
        try
        {
            string dropIns = Path.Combine(dir, "qemu.d");
            if (Directory.Exists(dropIns))
            {
                files.AddRange(Directory.GetFiles(dropIns).Order(StringComparer.Ordinal));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [new FileText(Path.Combine(dir, "qemu.d"), null, e.Message)];
        }

        return [.. files.Select(HostFactsReader.Read).Where(file => file.Exists)];
    }
}
