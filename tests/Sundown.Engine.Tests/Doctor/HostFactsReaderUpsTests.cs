using Sundown.Core.Ups;
using Sundown.Engine.Doctor;
using Sundown.Engine.Power;
using Sundown.Engine.Tests.Simulation;

namespace Sundown.Engine.Tests.Doctor;

/// <summary>Gathering the UPS's facts: upsmon.conf under the root, sundown-watch.service's link, the reading or why it failed.</summary>
public sealed class HostFactsReaderUpsTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sundown-root-");

    private DoctorPaths Paths => new(_root.FullName);

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void Without_nut_or_a_reading_there_is_nothing()
    {
        var facts = HostFactsReader.Ups(Paths, null);

        Assert.Null(facts.Reading);
        Assert.Null(facts.ReadError);
        Assert.False(facts.UpsmonConf.Exists);
        Assert.Equal(Path.Combine(_root.FullName, "etc/nut/upsmon.conf"), facts.UpsmonConf.Path);
        Assert.False(facts.WatchEnabled);
    }

    [Fact]
    public void Upsmon_conf_and_the_link_that_enables_watch_are_read()
    {
        Write("etc/nut/upsmon.conf", "MONITOR u@h 1 a b primary\n");
        string link = Link("etc/systemd/system/multi-user.target.wants/sundown-watch.service", "../sundown-watch.service");
        var reading = new UpsReading(["OB"], TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(30), 50);

        var facts = HostFactsReader.Ups(Paths, Task.FromResult<(UpsReading?, string?)>((reading, null)));

        Assert.Equal("MONITOR u@h 1 a b primary\n", facts.UpsmonConf.Text);
        Assert.Equal(link, facts.WatchEnabledBy);
        Assert.Same(reading, facts.Reading);
        Assert.Null(facts.ReadError);
    }

    [Fact]
    public void A_masked_watch_is_not_enabled_whatever_links_to_it()
    {
        Link("etc/systemd/system/multi-user.target.wants/sundown-watch.service", "/lib/systemd/system/sundown-watch.service");
        Link("etc/systemd/system/sundown-watch.service", "/dev/null");

        Assert.False(HostFactsReader.Ups(Paths, null).WatchEnabled);
    }

    [Fact]
    public void A_reading_that_failed_is_kept_as_its_message()
    {
        var ups = new SimulatedUps(TimeProvider.System) { ReadTime = TimeSpan.FromMilliseconds(10) };
        ups.Fail("DATA-STALE");

        var facts = HostFactsReader.Ups(Paths, PowerBudget.TryReadAsync(ups, TimeProvider.System, TestContext.Current.CancellationToken));

        Assert.Null(facts.Reading);
        Assert.Contains("DATA-STALE", facts.ReadError, StringComparison.Ordinal);
        Assert.Equal(1, ups.Reads);
    }

    private void Write(string relative, string text)
    {
        string path = Path.Combine(_root.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private string Link(string relative, string target)
    {
        string path = Path.Combine(_root.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.CreateSymbolicLink(path, target);
        return path;
    }
}
