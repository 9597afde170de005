using System.Collections.Immutable;
using Sundown.Core.Hooks;
using Sundown.Core.Policy;
using Sundown.Core.Ups;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Sundown.Core.Config;

/// <summary>
/// Reads the TOML config through Tomlyn's syntax tree and maps it by hand: every value is
/// checked, unknown keys are refused (a typo must not silently fall back to a default), and
/// every error names the file, line and column. The first error refuses the whole file.
/// </summary>
public static class ConfigParser
{
    public static SundownConfig Parse(string text, string file)
    {
        var document = SyntaxParser.Parse(text, file, false);
        foreach (var diagnostic in document.Diagnostics)
        {
            if (diagnostic.Kind == DiagnosticMessageKind.Error)
            {
                throw new ConfigException(file, diagnostic.Span.Start.Line + 1, diagnostic.Span.Start.Column + 1, diagnostic.Message);
            }
        }

        var reader = new Reader(file);
        var config = SundownConfig.Default;
        var defaults = new PolicyOverrides();
        var rules = ImmutableArray.CreateBuilder<GuestRule>();
        var secondaries = new List<(RackHost Host, TableSyntaxBase Table)>();

        foreach (var (key, value, node) in reader.Entries(document.KeyValues, "the top level"))
        {
            config = key switch
            {
                "connect" => config with { Connect = reader.StringOrStrings(value, key) },
                "budget" => config with { Budget = reader.Duration(value, key) },
                "trust_guest_metadata" => config with { TrustGuestMetadata = reader.Boolean(value, key) },
                "trust_guest_hooks" => config with { TrustGuestHooks = reader.Boolean(value, key) },
                _ => throw reader.Error(node, $"unknown key '{key}' (expected connect, budget, trust_guest_metadata, trust_guest_hooks, or the tables [limits], [defaults], [[guest]], [ups], [hooks])"),
            };
        }

        var seenTables = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in document.Tables)
        {
            string name = reader.TableName(table.Name!);
            bool isArray = table is TableArraySyntax;
            if (!isArray && !seenTables.Add(name))
            {
                throw reader.Error(table, $"[{name}] appears twice");
            }

            switch (name, isArray)
            {
                case ("limits", false):
                    config = config with { Limits = ReadLimits(reader, table) };
                    break;
                case ("defaults", false):
                    defaults = ReadPolicy(reader, table, "[defaults]", []);
                    break;
                case ("guest", true):
                    rules.Add(ReadRule(reader, table));
                    break;
                case ("ups", false):
                    config = config with { Ups = ReadUps(reader, table) };
                    break;
                case ("ups.secondary", true):
                    secondaries.Add(ReadRackHost(reader, table));
                    break;
                case ("hooks", false):
                    config = config with { Hooks = ReadRunHooks(reader, table) };
                    break;
                default:
                    throw reader.Error(table, $"unknown table {(isArray ? $"[[{name}]]" : $"[{name}]")} (expected [limits], [defaults], [[guest]], [ups], [[ups.secondary]] or [hooks])");
            }
        }

        if (secondaries.Count > 0)
        {
            config = config with { Ups = WithSecondaries(reader, config.Ups, secondaries) };
        }

        if (config.Connect.IsEmpty)
        {
            throw new ConfigException(file, 0, 0, "connect lists no host");
        }

        return config with { Defaults = defaults.ApplyTo(GuestPolicy.Default), Rules = rules.ToImmutable() };
    }

    private static Limits ReadLimits(Reader reader, TableSyntaxBase table)
    {
        var limits = Limits.Default;
        foreach (var (key, value, node) in reader.Entries(table.Items, "[limits]"))
        {
            int count = reader.Count(value, key);
            limits = key switch
            {
                "shutdowns" => limits with { Shutdowns = count },
                "saves" => limits with { Saves = count },
                "starts" => limits with { Starts = count },
                _ => throw reader.Error(node, $"unknown key '{key}' in [limits] (expected shutdowns, saves, starts)"),
            };
        }

        return limits;
    }

    private static UpsConfig ReadUps(Reader reader, TableSyntaxBase table)
    {
        UpsName? name = null;
        var margin = UpsConfig.DefaultMargin;
        var onPowerReturn = PowerReturn.Default;
        var role = UpsRole.Standalone;
        string? user = null;
        string? password = null;
        bool fsd = false;
        ValueSyntax? fsdNode = null;
        foreach (var (key, value, node) in reader.Entries(table.Items, "[ups]"))
        {
            switch (key)
            {
                case "name":
                    string text = reader.String(value, key);
                    name = UpsName.TryParse(text, out string? nameError) ?? throw reader.Error(value, $"{key}: {nameError}");
                    break;
                case "margin":
                    margin = reader.Duration(value, key);
                    break;
                case "on_power_return":
                    string action = reader.String(value, key);
                    onPowerReturn = PowerReturn.TryParse(action, out string? actionError) ?? throw reader.Error(value, $"{key}: {actionError}");
                    break;
                case "role":
                    string roleText = reader.String(value, key);
                    role = Roles.TryParse(roleText) ?? throw reader.Error(value, $"{key}: '{roleText}' is not standalone, primary or secondary (upsmon.conf's MONITOR line on this host says which)");
                    break;
                case "user":
                    user = reader.String(value, key);
                    if (!UpsCredentials.IsUserName(user))
                    {
                        throw reader.Error(value, $"{key}: '{user}' is not a upsd.users user name (one word, no spaces or quotes)");
                    }

                    break;
                case "password":
                    password = reader.String(value, key);
                    if (!UpsCredentials.IsPassword(password))
                    {
                        throw reader.Error(value, $"{key}: empty, or with a character other than printable ASCII (NUT's protocol is ASCII lines)");
                    }

                    break;
                case "fsd":
                    fsd = reader.Boolean(value, key);
                    fsdNode = value;
                    break;
                default:
                    throw reader.Error(node, $"unknown key '{key}' in [ups] (expected name, margin, on_power_return, role, user, password, fsd)");
            }
        }

        if (name is null)
        {
            throw reader.Error(table, "[ups] needs name: the UPS at upsd, NAME@HOST[:PORT] (e.g. \"myups@localhost:3493\")");
        }

        if ((user is null) != (password is null))
        {
            throw reader.Error(table, "[ups] has user without password, or password without user: upsd.users needs both");
        }

        var credentials = user is null ? null : new UpsCredentials(user, password!);
        if (role == UpsRole.Secondary && credentials is null)
        {
            throw reader.Error(table, "[ups] role = \"secondary\" needs user and password: watch holds its login on the UPS as that upsd.users user (as upsmon does), so that the primary waits for this host's guests");
        }

        if (fsd && role != UpsRole.Primary)
        {
            throw reader.Error(fsdNode!, "fsd: only the primary sets FSD (role = \"primary\"): a secondary's upsmon follows it");
        }

        if (fsd && credentials is null)
        {
            throw reader.Error(fsdNode!, "fsd = true needs user and password: a upsd.users user allowed to set FSD (upsmon primary, or actions = FSD)");
        }

        return new UpsConfig(name, margin, onPowerReturn) { Role = role, Credentials = credentials, SetsForcedShutdown = fsd };
    }

    /// <summary>
    /// One <c>[[ups.secondary]]</c>: another host on the same UPS, on the primary's config, with
    /// what its own plan needs and the margin it keeps (for watch's FSD and doctor's sums).
    /// </summary>
    private static (RackHost Host, TableSyntaxBase Table) ReadRackHost(Reader reader, TableSyntaxBase table)
    {
        string? host = null;
        TimeSpan? needs = null;
        var margin = UpsConfig.DefaultMargin;
        foreach (var (key, value, node) in reader.Entries(table.Items, "[[ups.secondary]]"))
        {
            switch (key)
            {
                case "host":
                    host = reader.String(value, key);
                    break;
                case "needs":
                    needs = reader.Duration(value, key);
                    break;
                case "margin":
                    margin = reader.Duration(value, key);
                    break;
                default:
                    throw reader.Error(node, $"unknown key '{key}' in [[ups.secondary]] (expected host, needs, margin)");
            }
        }

        return host is null || needs is null
            ? throw reader.Error(table, "[[ups.secondary]] needs host (its name, for the messages) and needs (the worst case its own `sundown plan` reports)")
            : (new RackHost(host, needs.Value, margin), table);
    }

    /// <summary>The primary's [ups] with its rack: [[ups.secondary]] belongs to a [ups] of role "primary" only.</summary>
    private static UpsConfig WithSecondaries(Reader reader, UpsConfig? ups, List<(RackHost Host, TableSyntaxBase Table)> secondaries)
    {
        var first = secondaries[0].Table;
        if (ups is null)
        {
            throw reader.Error(first, "[[ups.secondary]] without [ups]: the rack's other hosts are said on the primary, under its [ups]");
        }

        if (ups.Role != UpsRole.Primary)
        {
            throw reader.Error(first, $"[[ups.secondary]] on a host whose [ups] role is \"{Roles.Name(ups.Role)}\": only the primary's config lists the other hosts (role = \"primary\")");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (host, table) in secondaries)
        {
            if (!seen.Add(host.Host))
            {
                throw reader.Error(table, $"[[ups.secondary]] host \"{host.Host}\" appears twice");
            }
        }

        return ups with { Secondaries = [.. secondaries.Select(s => s.Host)] };
    }

    private static HookSet ReadRunHooks(Reader reader, TableSyntaxBase table)
    {
        var hooks = HookSet.Empty;
        foreach (var (key, value, node) in reader.Entries(table.Items, "[hooks]"))
        {
            var kind = HookKinds.FromKey(key) ?? throw reader.Error(node, $"unknown key '{key}' in [hooks] (expected pre_stop, post_stop, post_start)");
            hooks = hooks.With(kind, reader.Hook(value, key));
        }

        return hooks;
    }

    private static GuestRule ReadRule(Reader reader, TableSyntaxBase table)
    {
        string? glob = null;
        string? uuid = null;
        OsFamily? os = null;
        var policyItems = new List<KeyValueSyntax>();
        foreach (var (key, value, node) in reader.Entries(table.Items, "[[guest]]"))
        {
            switch (key)
            {
                case "match":
                    glob = reader.String(value, key);
                    break;
                case "uuid":
                    string text = reader.String(value, key);
                    uuid = Guid.TryParse(text, out var parsed) ? parsed.ToString() : throw reader.Error(value, $"uuid: '{text}' is not a UUID");
                    break;
                case "os":
                    string family = reader.String(value, key);
                    os = OsFamilies.FromName(family) ?? throw reader.Error(value, $"os: '{family}' is not an OS family (expected linux, windows or other)");
                    break;
                default:
                    policyItems.Add(node);
                    break;
            }
        }

        if (glob is null && uuid is null && os is null)
        {
            throw reader.Error(table, "a [[guest]] rule needs match, uuid or os to say which guests it is for");
        }

        var overrides = ReadPolicy(reader, policyItems, "[[guest]]", ["match", "uuid", "os"]);
        return new GuestRule(glob, uuid, os, overrides);
    }

    private static PolicyOverrides ReadPolicy(Reader reader, TableSyntaxBase table, string where, string[] alsoAllowed) =>
        ReadPolicy(reader, table.Items.OfType<KeyValueSyntax>(), where, alsoAllowed);

    private static PolicyOverrides ReadPolicy(Reader reader, IEnumerable<KeyValueSyntax> items, string where, string[] alsoAllowed)
    {
        var overrides = new PolicyOverrides();
        foreach (var (key, value, node) in reader.Entries(items, where))
        {
            if (HookKinds.FromKey(key) is { } hook)
            {
                overrides = overrides with { Hooks = (overrides.Hooks ?? HookSet.Empty).With(hook, reader.Hook(value, key)) };
                continue;
            }

            overrides = key switch
            {
                "stop" => overrides with { Stop = reader.Ladder(value, key) },
                "order" => overrides with { Order = reader.Integer(value, key) },
                "restore" => overrides with { Restore = reader.Restore(value, key) },
                "start_delay" => overrides with { StartDelay = reader.Duration(value, key) },
                "snapshots" => overrides with { Snapshots = reader.Snapshots(value, key) },
                _ => throw reader.Error(node, $"unknown key '{key}' in {where} (expected {string.Join(", ", alsoAllowed.Concat(["stop", "order", "restore", "start_delay", "snapshots"]).Concat(HookKinds.Keys))})"),
            };
        }

        return overrides;
    }

    /// <summary>Typed reads of syntax nodes, each failing with the node's position.</summary>
    private sealed class Reader(string file)
    {
        internal IEnumerable<(string Key, ValueSyntax Value, KeyValueSyntax Node)> Entries(IEnumerable<SyntaxNode> items, string where)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in items.OfType<KeyValueSyntax>())
            {
                string key = KeyName(item.Key!);
                if (!seen.Add(key))
                {
                    throw Error(item, $"'{key}' appears twice in {where}");
                }

                yield return (key, item.Value!, item);
            }
        }

        /// <summary>A table's name: one word, or the dotted <c>ups.secondary</c>.</summary>
        internal string TableName(KeySyntax key)
        {
            if (key.DotKeys.ChildrenCount == 0)
            {
                return KeyName(key);
            }

            var parts = new List<string> { Plain(key.Key!) };
            foreach (var dotted in key.DotKeys)
            {
                parts.Add(Plain(dotted.Key!));
            }

            return string.Join('.', parts);
        }

        internal string KeyName(KeySyntax key)
        {
            if (key.DotKeys.ChildrenCount > 0)
            {
                throw Error(key, "dotted keys are not used here: write the table header ([limits]) and plain keys under it");
            }

            return Plain(key.Key!);
        }

        private string Plain(BareKeyOrStringValueSyntax key) => key switch
        {
            BareKeySyntax bare => bare.Key!.Text!,
            StringValueSyntax quoted => quoted.Value!,
            _ => throw Error(key, "unreadable key"),
        };

        internal string String(ValueSyntax value, string key) =>
            value is StringValueSyntax s ? s.Value! : throw Error(value, $"{key}: expected a string");

        internal bool Boolean(ValueSyntax value, string key) =>
            value is BooleanValueSyntax b ? b.Value : throw Error(value, $"{key}: expected true or false");

        internal ImmutableArray<string> StringOrStrings(ValueSyntax value, string key) => value switch
        {
            StringValueSyntax s => [s.Value!],
            ArraySyntax array => [.. array.Items.Select(item => String(item.Value!, key))],
            _ => throw Error(value, $"{key}: expected a string or an array of strings"),
        };

        internal int Integer(ValueSyntax value, string key) => value switch
        {
            IntegerValueSyntax i when i.Value is >= int.MinValue and <= int.MaxValue => (int)i.Value,
            _ => throw Error(value, $"{key}: expected a whole number"),
        };

        internal int Count(ValueSyntax value, string key)
        {
            int count = Integer(value, key);
            return count >= 0 ? count : throw Error(value, $"{key}: expected 0 (no limit) or more");
        }

        internal int Snapshots(ValueSyntax value, string key)
        {
            int count = Integer(value, key);
            return SnapshotRule.CheckKept(count) is { } problem ? throw Error(value, $"{key}: {problem}") : count;
        }

        internal TimeSpan Duration(ValueSyntax value, string key)
        {
            string text = String(value, key);
            return Durations.TryParse(text, out string? error) ?? throw Error(value, $"{key}: {error}");
        }

        internal RestoreRule Restore(ValueSyntax value, string key) => String(value, key) switch
        {
            "previous" => RestoreRule.Previous,
            "always" => RestoreRule.Always,
            "never" => RestoreRule.Never,
            var other => throw Error(value, $"{key}: '{other}' is not previous, always or never"),
        };

        internal StopLadder Ladder(ValueSyntax value, string key)
        {
            if (value is not ArraySyntax array)
            {
                throw Error(value, $"{key}: expected an array of steps, e.g. [\"acpi 2m\", \"destroy\"]");
            }

            var steps = array.Items.Select(item => String(item.Value!, key)).ToList();
            return StopLadder.TryCreate(steps, out string? error) ?? throw Error(value, $"{key}: {error}");
        }

        internal HookCommand Hook(ValueSyntax value, string key)
        {
            if (value is not ArraySyntax array)
            {
                throw Error(value, $"{key}: expected an argv array of strings, e.g. [\"/usr/local/bin/notify\", \"stopping\"] (a hook never runs through a shell)");
            }

            var argv = array.Items.Select(item => String(item.Value!, key)).ToList();
            return HookCommand.TryCreate(argv, out string? error) ?? throw Error(value, $"{key}: {error}");
        }

        internal ConfigException Error(SyntaxNode node, string problem) =>
            new(file, node.Span.Start.Line + 1, node.Span.Start.Column + 1, problem);
    }
}
