namespace Sundown.Cli.Tests;

/// <summary>A test-driver host of two running guests, one of them with a sundown policy element that does not parse.</summary>
internal sealed class PolicyHostFile : IDisposable
{
    private PolicyHostFile(string path) => Path = path;

    internal string Path { get; }

    internal string Uri => $"test://{Path}";

    internal static PolicyHostFile Create()
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"sundown-policyhost-{Guid.NewGuid():N}.xml");
        File.WriteAllText(path, """
            <node>
              <domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">
                <name>typo</name>
                <memory unit="KiB">131072</memory>
                <vcpu>1</vcpu>
                <os><type>hvm</type></os>
                <metadata>
                  <sundown:policy xmlns:sundown="https://sundown.dev/xmlns/policy/1" stop="acpi soon, destroy"/>
                </metadata>
                <test:runstate>1</test:runstate>
              </domain>
              <domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">
                <name>fine</name>
                <memory unit="KiB">131072</memory>
                <vcpu>1</vcpu>
                <os><type>hvm</type></os>
                <test:runstate>1</test:runstate>
              </domain>
            </node>
            """);
        return new PolicyHostFile(path);
    }

    public void Dispose() => File.Delete(Path);
}
