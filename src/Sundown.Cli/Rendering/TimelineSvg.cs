using System.Globalization;
using System.Security;
using System.Text;
using Sundown.Engine.Reports;

namespace Sundown.Cli.Rendering;

/// <summary>
/// A run's timeline as a self-contained SVG (no external fonts, images or scripts): guest
/// names, a time axis, each step as a coloured bar, the deadline, each guest's outcome.
/// </summary>
internal static class TimelineSvg
{
    private const int Width = 1000;
    private const int Row = 28;
    private const int Top = 74;
    private const int Right = 150;
    private const double CharWidth = 7.2;

    internal static string Render(RunReport run)
    {
        var span = RunTimeline.Span(run);
        int names = (int)Math.Clamp(run.Guests.Select(g => g.Name.Length).DefaultIfEmpty(8).Max() * CharWidth + 24, 120, 360);
        double chart = Width - names - Right;
        int height = Top + (Math.Max(run.Guests.Length, 1) * Row) + 70;
        double X(DateTimeOffset at) => names + (Math.Clamp((at - run.StartedAt) / span, 0, 1) * chart);
        string F(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" viewBox="0 0 {Width} {height}" font-family="DejaVu Sans, Verdana, Arial, sans-serif" font-size="13">""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<rect width="{Width}" height="{height}" fill="#ffffff"/>""").Append('\n');

        var used = run.EndedAt - run.StartedAt;
        string budget = run.BudgetSeconds is { } b ? $" of a {b:0.#} s budget" : "";
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="16" y="26" font-size="16" font-weight="bold">{Escape($"Sundown {run.Kind} · run {run.Run} · {run.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC")}</text>""").Append('\n');
        string heldUp = run.CriticalGuest is { } critical ? $" · held up by {critical.Name}" : "";
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="16" y="46" fill="#444">{Escape($"{run.Guests.Length} guests · {used.TotalSeconds:0.0} s{budget}{heldUp}")}</text>""").Append('\n');

        // Time axis with five ticks and faint grid lines.
        for (int tick = 0; tick <= 4; tick++)
        {
            double x = names + (chart * tick / 4);
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{F(x)}" y1="{Top - 8}" x2="{F(x)}" y2="{height - 52}" stroke="#e4e4e4"/>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{F(x)}" y="{Top - 12}" text-anchor="middle" fill="#666" font-size="11">{F((span * tick / 4).TotalSeconds)} s</text>""").Append('\n');
        }

        for (int i = 0; i < run.Guests.Length; i++)
        {
            var guest = run.Guests[i];
            double y = Top + (i * Row);
            if (i % 2 == 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"""<rect x="0" y="{F(y)}" width="{Width}" height="{Row}" fill="#f7f7f7"/>""").Append('\n');
            }

            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{names - 10}" y="{F(y + 18)}" text-anchor="end">{Escape(guest.Name)}</text>""").Append('\n');
            foreach (var step in guest.Steps)
            {
                double x1 = X(step.StartedAt);
                double x2 = Math.Max(X(step.EndedAt ?? step.StartedAt), x1 + 3);
                string opacity = step.Result is "timeout" or "error" or "skipped" ? " fill-opacity=\"0.55\"" : "";
                svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{F(x1)}" y="{F(y + 6)}" width="{F(x2 - x1)}" height="{Row - 12}" rx="3" fill="{StepColors.Hex(step.Action)}"{opacity}><title>{Escape($"{guest.Name}: {step.Action} {step.Result ?? "running"}{(step.Error is { } e ? $" ({e})" : "")}")}</title></rect>""").Append('\n');
            }

            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Width - Right + 12}" y="{F(y + 18)}" fill="{OutcomeColour(guest.Outcome)}">{Escape($"{guest.Outcome ?? "unfinished"} {guest.Seconds:0.0} s")}</text>""").Append('\n');
        }

        if (run.BudgetSeconds is { } seconds)
        {
            double x = X(run.StartedAt + TimeSpan.FromSeconds(seconds));
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{F(x)}" y1="{Top - 6}" x2="{F(x)}" y2="{height - 52}" stroke="#c0392b" stroke-width="2" stroke-dasharray="6 4"/>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{F(x - 4)}" y="{height - 56}" text-anchor="end" fill="#c0392b" font-size="11">deadline</text>""").Append('\n');
        }

        // Legend.
        double legendX = 16;
        foreach (string action in StepColors.Legend)
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{F(legendX)}" y="{height - 30}" width="14" height="14" rx="3" fill="{StepColors.Hex(action)}"/>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{F(legendX + 20)}" y="{height - 18}">{action}</text>""").Append('\n');
            legendX += 30 + (action.Length * CharWidth) + 14;
        }

        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{F(legendX + 10)}" y="{height - 18}" fill="#666" font-size="11">faded: timed out or failed</text>""").Append('\n');
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string OutcomeColour(string? outcome) => outcome switch
    {
        "destroyed" or "failed" => "#c0392b",
        "skipped" or null => "#8a6d00",
        _ => "#2e7d32",
    };

    // Control characters are not allowed in XML at all: show them escaped, as the tables do.
    private static string Escape(string text) => SecurityElement.Escape(TextTable.Printable(text)) ?? "";
}
