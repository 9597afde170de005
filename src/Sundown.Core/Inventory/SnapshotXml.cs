using System.Globalization;
using System.Security;
using System.Text;
using System.Xml;
using Sundown.Core.Hosts;

namespace Sundown.Core.Inventory;

/// <summary>
/// The XML of disk-only snapshots: which of a domain's disks get an overlay, the
/// <c>&lt;domainsnapshot&gt;</c> document that asks for it, and what libvirt says of a snapshot.
/// </summary>
public static class SnapshotXml
{
    /// <summary>One disk of a domain, as far as a snapshot cares.</summary>
    /// <param name="Target">The guest-side name (<c>vda</c>): how a snapshot's XML names the disk.</param>
    /// <param name="File">The top image of its chain, for a file-backed disk.</param>
    /// <param name="ChainLength">Images in its backing chain, its top included (1: no backing file).</param>
    public sealed record Disk(string Target, string? File, string? Format, bool FileBacked, bool ReadOnly, int ChainLength)
    {
        /// <summary>An overlay can be put on it: a writable disk (not a CD-ROM) whose image is a file.</summary>
        public bool Snapshottable => FileBacked && !ReadOnly;
    }

    /// <summary>Every disk of a domain (<c>device='disk'</c>; CD-ROMs and floppies are not snapshotted).</summary>
    /// <exception cref="FormatException">The text is not a well-formed domain.</exception>
    public static IReadOnlyList<Disk> Disks(string domainXml)
    {
        var document = Load(domainXml, "domain");
        var disks = new List<Disk>();
        foreach (XmlElement disk in document.SelectNodes("/domain/devices/disk")!)
        {
            string device = disk.GetAttribute("device");
            string? target = (disk["target"])?.GetAttribute("dev");
            if (device is not ("" or "disk") || string.IsNullOrEmpty(target))
            {
                continue;
            }

            bool fileBacked = disk.GetAttribute("type") == "file";
            string? file = disk["source"]?.GetAttribute("file") is { Length: > 0 } f ? f : null;
            string? format = disk["driver"]?.GetAttribute("type") is { Length: > 0 } t ? t : null;
            int chain = 1;
            for (var store = disk["backingStore"]; store?["source"] is not null; store = store["backingStore"])
            {
                chain++;
            }

            disks.Add(new Disk(target, file, format, fileBacked && file is not null, disk["readonly"] is not null, chain));
        }

        return disks;
    }

    /// <summary>
    /// The <c>&lt;domainsnapshot&gt;</c> that puts an external overlay (libvirt's default place:
    /// <c>IMAGE.NAME</c> beside the image) on every snapshottable disk and leaves the others out.
    /// </summary>
    public static string CreateXml(string name, string description, IEnumerable<Disk> disks)
    {
        var xml = new StringBuilder("<domainsnapshot><name>").Append(SecurityElement.Escape(name)).Append("</name><description>")
            .Append(SecurityElement.Escape(description)).Append("</description><disks>");
        foreach (var disk in disks)
        {
            xml.Append("<disk name='").Append(SecurityElement.Escape(disk.Target)).Append(disk.Snapshottable ? "' snapshot='external'/>" : "' snapshot='no'/>");
        }

        return xml.Append("</disks></domainsnapshot>").ToString();
    }

    /// <summary>A snapshot's name, creation time, description and kind from its XML (virDomainSnapshotGetXMLDesc).</summary>
    /// <exception cref="FormatException">The text is not a well-formed domainsnapshot.</exception>
    public static SnapshotInfo Parse(string snapshotXml)
    {
        var root = Load(snapshotXml, "domainsnapshot").DocumentElement!;
        string name = root["name"]?.InnerText ?? throw new FormatException("the snapshot has no <name>");
        var created = long.TryParse(root["creationTime"]?.InnerText, NumberStyles.Integer, CultureInfo.InvariantCulture, out long seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : DateTimeOffset.UnixEpoch;
        return new SnapshotInfo(name, created, root["description"]?.InnerText, root["state"]?.InnerText == "disk-snapshot");
    }

    private static XmlDocument Load(string xml, string rootName)
    {
        var document = new XmlDocument { XmlResolver = null };
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            document.Load(reader);
        }
        catch (XmlException e)
        {
            throw new FormatException($"the {rootName} XML is not well-formed: {e.Message}", e);
        }

        return document.DocumentElement?.LocalName == rootName ? document : throw new FormatException($"the document is not a libvirt <{rootName}>");
    }
}
