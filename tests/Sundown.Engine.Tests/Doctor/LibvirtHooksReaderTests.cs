using Sundown.Engine.Doctor;

namespace Sundown.Engine.Tests.Doctor;

/// <summary>Reading libvirt's hook scripts under a test root (as doctor --root does).</summary>
public sealed class LibvirtHooksReaderTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sundown-hooksroot-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void Daemon_qemu_and_every_file_of_qemu_d_are_read_and_nothing_else()
    {
        string hooks = Path.Combine(_root.FullName, "etc/libvirt/hooks");
        Directory.CreateDirectory(Path.Combine(hooks, "qemu.d"));
        File.WriteAllText(Path.Combine(hooks, "daemon"), "virsh shutdown x\n");
        File.WriteAllText(Path.Combine(hooks, "qemu.d", "b"), "b\n");
        File.WriteAllText(Path.Combine(hooks, "qemu.d", "a"), "a\n");
        File.WriteAllText(Path.Combine(hooks, "network"), "not a guest hook\n");

        var files = LibvirtHooksReader.Read(new DoctorPaths(_root.FullName));

        Assert.Equal(
            [Path.Combine(hooks, "daemon"), Path.Combine(hooks, "qemu.d", "a"), Path.Combine(hooks, "qemu.d", "b")],
            files.Select(f => f.Path));
        Assert.Equal("virsh shutdown x\n", files[0].Text);
    }

    [Fact]
    public void No_hooks_directory_is_no_hooks()
    {
        Assert.Empty(LibvirtHooksReader.Read(new DoctorPaths(_root.FullName)));
    }
}
