using Sundown.Core.Doctor;

namespace Sundown.Core.Tests.Doctor;

public sealed class QemuConfTests
{
    [Fact]
    public void Reads_strings_numbers_and_arrays_over_several_lines_with_comments()
    {
        var conf = QemuConf.Parse("""
            # Master configuration file for the QEMU driver.
            #auto_shutdown_try_save = "persistent"
            vnc_listen = "0.0.0.0"   # on every interface
            max_processes = -1
            security_driver = 'apparmor'
            cgroup_device_acl = [
                "/dev/null", "/dev/full",   # the usual
                "/dev/kvm",
            ]
            user = "+0"; group = "root"
            """);

        Assert.Null(conf.Error);
        Assert.Equal(
            [
                ("vnc_listen", "0.0.0.0", true, 3),
                ("max_processes", "-1", false, 4),
                ("security_driver", "apparmor", true, 5),
                ("cgroup_device_acl", "/dev/null, /dev/full, /dev/kvm", false, 6),
                ("user", "+0", true, 10),
                ("group", "root", true, 10),
            ],
            conf.Entries.Select(e => (e.Key, e.Value, e.IsString, e.Line)));
        Assert.Null(conf.Find("auto_shutdown_try_save"));
    }

    [Fact]
    public void The_first_setting_of_a_key_is_the_one_libvirt_uses()
    {
        var conf = QemuConf.Parse("auto_shutdown_try_save = \"persistent\"\nauto_shutdown_try_save = \"none\"\n");

        Assert.Equal(("persistent", 1), (conf.Find("auto_shutdown_try_save")!.Value, conf.Find("auto_shutdown_try_save")!.Line));
    }

    [Fact]
    public void A_triple_quoted_string_may_span_lines()
    {
        var conf = QemuConf.Parse("a = \"\"\"one\ntwo\"\"\"\nb = 1\n");

        Assert.Equal([("a", "one\ntwo", 1), ("b", "1", 3)], conf.Entries.Select(e => (e.Key, e.Value, e.Line)));
    }

    [Theory]
    [InlineData("a = 1\nb \"x\"\nc = 2\n", "line 2: expected '=', found '\"'")]
    [InlineData("a = \"open\nb = 1\n", "line 1: a string runs to the end of the line")]
    [InlineData("a = [ \"x\",\n", "line 2: a [ … ] array is never closed")]
    [InlineData("a = 1 2\n", "line 1: unexpected '2' after the value")]
    [InlineData("a = yes\n", "line 1: expected a value (a quoted string, a number or [ … ]), found 'y'")]
    public void A_malformed_line_stops_reading_and_says_where(string text, string error)
    {
        var conf = QemuConf.Parse(text);

        Assert.Equal(error, conf.Error);
    }
}
