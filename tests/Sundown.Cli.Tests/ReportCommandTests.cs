using System.Xml.Linq;
using Sundown.Cli.Rendering;
using Sundown.Engine.Reports;
using Sundown.Libvirt.Tests;
using Sundown.Testing;

namespace Sundown.Cli.Tests;

public sealed class ReportCommandTests : IDisposable
{
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-report-").FullName;

    public void Dispose() => Directory.Delete(_stateDir, recursive: true);

    [Fact(Timeout = 60_000)]
    public async Task Report_json_of_the_last_run_equals_what_stop_json_printed() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(12);
        var stop = CliRunner.Run("stop", "-c", file.Uri, "--budget", "20s", "--state-dir", _stateDir, "--json");

        var report = CliRunner.Run("report", "--last", "--json", "--state-dir", _stateDir);
        var byNumber = CliRunner.Run("report", "1", "--json", "--state-dir", _stateDir);

        Assert.Equal(0, stop.ExitCode);
        Assert.Equal(0, report.ExitCode);
        Assert.Equal(stop.Output, report.Output);
        Assert.Equal(stop.Output, byNumber.Output);
    });

    [Fact(Timeout = 60_000)]
    public async Task Report_shows_each_guest_the_critical_path_and_the_list_of_runs() => await Task.Run(() =>
    {
        using var file = TestHostFile.Create(6);
        var first = CliRunner.Run("stop", "-c", file.Uri, "--state-dir", _stateDir);
        var second = CliRunner.Run("stop", "-c", file.Uri, "--state-dir", _stateDir);
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.True(second.ExitCode == 0, second.Error);

        var report = CliRunner.Run("report", "--state-dir", _stateDir);
        var list = CliRunner.Run("report", "--list", "--state-dir", _stateDir);

        Assert.Equal(0, report.ExitCode);
        Assert.StartsWith("Run 2 · stop", report.Output, StringComparison.Ordinal);
        Assert.Contains("Held up by: ", report.Output, StringComparison.Ordinal);
        Assert.All(TestHostFile.HostileNames.Take(6), name => Assert.Contains(name, report.Output, StringComparison.Ordinal));
        string[] rows = list.Output.TrimEnd().Split('\n');
        Assert.Equal(["RUN", "KIND"], rows[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(2));
        Assert.StartsWith("2 ", rows[1], StringComparison.Ordinal);
        Assert.StartsWith("1 ", rows[2], StringComparison.Ordinal);
    });

    [Fact(Timeout = 60_000)]
    public async Task Report_of_an_unknown_run_exits_2() => await Task.Run(() =>
    {
        var result = CliRunner.Run("report", "7", "--state-dir", _stateDir);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no run 7", result.Error, StringComparison.Ordinal);
    });

    [Fact]
    public void The_svg_is_well_formed_self_contained_and_names_every_guest()
    {
        var run = SampleRun();

        string svg = TimelineSvg.Render(run);

        var document = XDocument.Parse(svg);
        var texts = document.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
        Assert.All(run.Guests, guest => Assert.Contains(guest.Name, texts));
        Assert.Contains("deadline", texts);
        Assert.DoesNotContain("href", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("@font-face", svg, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task The_svg_renders_in_a_real_browser_to_a_picture_that_is_not_blank()
    {
        string? chromium = Requires.FindOnPath("chromium");
        Requires.That(chromium is not null, "Debian's chromium package is not installed");
        string dir = Directory.CreateTempSubdirectory("sundown-svg-").FullName;
        try
        {
            string svg = Path.Combine(dir, "timeline.svg");
            string png = Path.Combine(dir, "timeline.png");
            await File.WriteAllTextAsync(svg, TimelineSvg.Render(SampleRun()));

            var render = await ProcessRunner.RunAsync(chromium!,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                $"--user-data-dir={Path.Combine(dir, "profile")}", $"--screenshot={png}", "--window-size=1000,400", $"file://{svg}",
            ], timeout: TimeSpan.FromSeconds(90));

            Assert.True(File.Exists(png), $"chromium wrote no picture (exit {render.ExitCode}): {render.Error}");
            var image = PngImage.Read(png);
            Assert.Equal((1000, 400), (image.Width, image.Height));
            // A blank page is one colour; the timeline has bars of six colours, text and grid lines.
            Assert.True(image.PixelsUnlikeBackground() > image.Width * image.Height / 50, $"{image.PixelsUnlikeBackground()} pixels drawn");
            Assert.True(image.DistinctColours() > 20, $"{image.DistinctColours()} colours");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static RunReport SampleRun()
    {
        var t0 = new DateTimeOffset(2026, 11, 25, 21, 0, 0, TimeSpan.Zero);
        StepReport Step(string action, double from, double to, string result = "ok") =>
            new(action, t0.AddSeconds(from), t0.AddSeconds(to), result, result == "ok" ? null : "it did not answer");
        GuestReport Guest(string name, string outcome, params StepReport[] steps) =>
            new("qemu:///system", name, Guid.NewGuid().ToString(), "running", outcome, (steps[^1].EndedAt!.Value - t0).TotalSeconds, [.. steps]);
        return new RunReport(4, "stop", t0, t0.AddSeconds(13.6), 40, [
            Guest("web-1", "shutdown", Step("acpi", 0, 1.4)),
            Guest("build box \"ü\" <&>", "shutdown", Step("acpi", 0, 3.3)),
            Guest("paused batch job", "shutdown", Step("resume", 0, 0.1), Step("acpi", 0.1, 3.3)),
            Guest("windows-like (ignores ACPI)", "saved", Step("acpi", 0, 8, "timeout"), Step("save", 8, 8.4)),
            Guest("deaf", "destroyed", Step("acpi", 0, 10, "timeout"), Step("destroy", 10, 10.3)),
            Guest("db-main", "shutdown", Step("agent", 8.4, 9, "error"), Step("acpi", 9, 13.6)),
        ]);
    }
}
