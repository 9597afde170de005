using Sundown.Core.Doctor;

namespace Sundown.Core.Tests.Doctor;

/// <summary>upsmon.conf read as NUT's parseconf and upsmon read it.</summary>
public sealed class UpsmonConfTests
{
    private const string Path = "/etc/nut/upsmon.conf";

    [Fact]
    public void Debians_shipped_file_has_a_shutdowncmd_and_monitors_nothing()
    {
        var conf = UpsmonConf.Parse("""
            # MONITOR myups@bigserver 1 upsmon mypass primary
            # MONITOR su700@server.example.com 1 upsmon secretpass secondary
            MINSUPPLIES 1
            SHUTDOWNCMD "/sbin/shutdown -h +0"
            POLLFREQ 5
            """, Path);

        Assert.Empty(conf.Monitors);
        Assert.Equal(new UpsmonSetting("/sbin/shutdown -h +0", 4), conf.ShutdownCmd);
        Assert.Equal(UpsmonConf.DefaultFinalDelay, conf.FinalDelaySeconds);
        Assert.Equal(UpsmonConf.DefaultHostSync, conf.HostSyncSeconds);
        Assert.Equal(TimeSpan.FromSeconds(5), conf.FinalDelaySeconds);
        Assert.Equal(TimeSpan.FromSeconds(15), conf.HostSyncSeconds);
    }

    [Fact]
    public void Monitors_delays_and_their_lines_are_read()
    {
        var conf = UpsmonConf.Parse("MONITOR myups@localhost 1 monuser secret primary\n\nMONITOR other@nas:3493 0 monuser secret secondary\nFINALDELAY 10\nHOSTSYNC 30 # seconds\n", Path);

        Assert.Equal([new UpsmonMonitor("myups@localhost", 1, 1, "primary"), new UpsmonMonitor("other@nas:3493", 0, 3, "secondary")], conf.Monitors);
        Assert.Equal([new UpsmonMonitor("myups@localhost", 1, 1, "primary")], conf.Powering);
        Assert.Equal(TimeSpan.FromSeconds(10), conf.FinalDelaySeconds);
        Assert.Equal(TimeSpan.FromSeconds(30), conf.HostSyncSeconds);
        Assert.Equal(5, conf.HostSync!.Line);
        Assert.Null(conf.ShutdownCmd);
    }

    [Theory]
    [InlineData("MONITOR ups@h 1 u p primary\n", "primary", true)]
    [InlineData("MONITOR ups@h 1 u p master\n", "master", true)]
    [InlineData("MONITOR ups@h 1 u p secondary\n", "secondary", false)]
    [InlineData("MONITOR ups@h 1 u p slave\n", "slave", false)]
    [InlineData("MONITOR ups@h 1 u p\n", "", false)]
    public void A_monitors_type_is_read_and_only_primary_or_master_is_the_primary(string text, string type, bool primary)
    {
        var monitor = Assert.Single(UpsmonConf.Parse(text, Path).Monitors);

        Assert.Equal(type, monitor.Type);
        Assert.Equal(primary, monitor.IsPrimary);
    }

    [Fact]
    public void A_commented_or_lowercase_or_bare_keyword_sets_nothing()
    {
        var conf = UpsmonConf.Parse("#SHUTDOWNCMD \"/sbin/shutdown -h +0\"\nshutdowncmd /sbin/poweroff\nSHUTDOWNCMD\n  # SHUTDOWNCMD x\n", Path);

        Assert.Null(conf.ShutdownCmd);
    }

    [Fact]
    public void The_last_setting_wins()
    {
        var conf = UpsmonConf.Parse("SHUTDOWNCMD /sbin/poweroff\nFINALDELAY 3\nSHUTDOWNCMD \"/usr/local/bin/halt now\"\nFINALDELAY 7\n", Path);

        Assert.Equal(new UpsmonSetting("/usr/local/bin/halt now", 3), conf.ShutdownCmd);
        Assert.Equal(TimeSpan.FromSeconds(7), conf.FinalDelaySeconds);
    }

    [Fact]
    public void Quotes_group_a_word_backslashes_escape_and_a_hash_inside_quotes_is_kept()
    {
        var words = UpsmonConf.Lines("SHUTDOWNCMD \"/bin/echo \\\"bye\\\" # not a comment\"  # a comment\nA embedded\\ space b\\\\c d#e\n").ToList();

        Assert.Equal([1, 2], words.Select(w => w.Line));
        Assert.Equal(["SHUTDOWNCMD", "/bin/echo \"bye\" # not a comment"], words[0].Words);
        Assert.Equal(["A", "embedded space", "b\\c", "d"], words[1].Words);
    }

    [Fact]
    public void A_backslash_at_the_end_of_a_line_joins_the_next()
    {
        var lines = UpsmonConf.Lines("SHUTDOWNCMD \"/sbin/shutdown \\\n-h +0\"\nFINALDELAY \\\n9\nHOSTSYNC 1\n").ToList();
        var conf = UpsmonConf.Parse("SHUTDOWNCMD \"/sbin/shutdown \\\n-h +0\"\nFINALDELAY \\\n9\nHOSTSYNC 1\n", Path);

        Assert.Equal([1, 3, 5], lines.Select(l => l.Line));
        Assert.Equal("/sbin/shutdown -h +0", conf.ShutdownCmd!.Value);
        Assert.Equal(TimeSpan.FromSeconds(9), conf.FinalDelaySeconds);
        Assert.Equal(TimeSpan.FromSeconds(1), conf.HostSyncSeconds);
    }

    [Fact]
    public void An_equals_sign_is_a_word_of_its_own_as_in_parseconf()
    {
        var words = UpsmonConf.Lines("FINALDELAY=5\n").Single().Words;
        var conf = UpsmonConf.Parse("FINALDELAY=5\n", Path);

        Assert.Equal(["FINALDELAY", "=", "5"], words);
        // upsmon takes "=" as the value, and atoi("=") is 0.
        Assert.Equal(TimeSpan.Zero, conf.FinalDelaySeconds);
    }

    [Theory]
    [InlineData("15", 15)]
    [InlineData("  7", 7)]
    [InlineData("5s", 5)]
    [InlineData("+3", 3)]
    [InlineData("-2", -2)]
    [InlineData("soon", 0)]
    [InlineData("", 0)]
    public void Numbers_are_read_as_atoi_reads_them(string text, int value)
    {
        Assert.Equal(value, UpsmonConf.Atoi(text));
    }

    [Fact]
    public void Characters_outside_printable_ascii_are_dropped_and_tabs_separate()
    {
        var words = UpsmonConf.Lines("MONITOR\tups@h\t1 u p primary\r\nSHUTDOWNCMD \"a\u00e9b\"\n").ToList();

        Assert.Equal(["MONITOR", "ups@h", "1", "u", "p", "primary"], words[0].Words);
        Assert.Equal(["SHUTDOWNCMD", "ab"], words[1].Words);
    }
}
