using Sundown.Core.Inventory;

namespace Sundown.Core.Tests;

public sealed class DomainXmlTests
{
    private const string Windows = """
        <domain type='kvm'>
          <name>win &amp; "co"</name>
          <title>Finance desktop</title>
          <metadata>
            <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
              <libosinfo:os id="http://microsoft.com/win/10"/>
            </libosinfo:libosinfo>
            <other:cfg xmlns:other="urn:other"><title>not the domain's title</title></other:cfg>
          </metadata>
          <features><acpi/><apic/></features>
          <devices>
            <disk type='file'><target dev='vda' bus='virtio'/></disk>
            <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
          </devices>
        </domain>
        """;

    [Fact]
    public void Parse_reads_os_title_acpi_and_agent_channel()
    {
        var facts = DomainXml.Parse(Windows);

        Assert.Equal(new DomainFacts("http://microsoft.com/win/10", HasAcpi: true, HasAgentChannel: true, "Finance desktop"), facts);
    }

    [Fact]
    public void Parse_keeps_the_guests_own_policy_element_and_it_resolves()
    {
        const string xml = """
            <domain><name>db</name><metadata>
              <sundown:policy xmlns:sundown="https://sundown.dev/xmlns/policy/1" order="10" stop="acpi 5m"/>
            </metadata></domain>
            """;

        var facts = DomainXml.Parse(xml);

        Assert.NotNull(facts.PolicyXml);
        var overrides = Sundown.Core.Policy.PolicyMetadata.Parse(facts.PolicyXml);
        Assert.Equal(10, overrides.Order);
        Assert.Equal("acpi 5m → destroy", overrides.Stop!.ToString());
    }

    [Fact]
    public void Parse_of_a_bare_domain_finds_nothing()
    {
        var facts = DomainXml.Parse("<domain type='qemu'><name>x</name><devices><disk><target dev='vda'/></disk></devices></domain>");

        Assert.Equal(new DomainFacts(null, HasAcpi: false, HasAgentChannel: false, null), facts);
    }

    [Fact]
    public void Parse_ignores_a_spice_channel_and_acpi_outside_features()
    {
        const string xml = """
            <domain><pm><acpi/></pm><devices>
              <channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>
            </devices></domain>
            """;

        var facts = DomainXml.Parse(xml);

        Assert.False(facts.HasAcpi);
        Assert.False(facts.HasAgentChannel);
    }

    [Fact]
    public void Parse_refuses_a_document_type_declaration_and_expands_no_entity()
    {
        const string xml = """
            <!DOCTYPE domain [<!ENTITY os "http://microsoft.com/win/11">]>
            <domain><metadata><libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0"><libosinfo:os id="&os;"/></libosinfo:libosinfo></metadata></domain>
            """;

        Assert.Throws<FormatException>(() => DomainXml.Parse(xml));
    }

    [Fact]
    public void Parse_reads_one_definition_after_another_with_the_same_names()
    {
        string Domain(string os) => $"""<domain><metadata><libosinfo:libosinfo xmlns:libosinfo="{DomainXml.LibosinfoNamespace}"><libosinfo:os id="{os}"/></libosinfo:libosinfo></metadata><features><acpi/></features></domain>""";

        var first = DomainXml.Parse(Domain("http://microsoft.com/win/11"));
        var second = DomainXml.Parse(Domain("http://debian.org/debian/12"));

        Assert.Equal(("http://microsoft.com/win/11", true), (first.Os, first.HasAcpi));
        Assert.Equal(("http://debian.org/debian/12", true), (second.Os, second.HasAcpi));
    }

    [Theory]
    [InlineData("not xml at all")]
    [InlineData("<domain><name>unclosed</domain>")]
    [InlineData("<network><name>default</name></network>")]
    public void Parse_refuses_what_is_not_a_domain(string xml)
    {
        Assert.Throws<FormatException>(() => DomainXml.Parse(xml));
    }
}
