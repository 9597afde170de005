using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Sundown.Testing;

namespace Sundown.Libvirt.Tests.Abi;

/// <summary>
/// Nothing in the binding needs a libvirt newer than 9.0, the oldest supported, without a check
/// at run time: every function imported with [LibraryImport] is exported by libvirt 9.0, and the
/// newer ones are in <see cref="Interop.Libvirt.Optional.Symbols"/>, looked up at run time and
/// never imported plainly (a plain import of a missing symbol throws EntryPointNotFoundException
/// at its first call).
/// </summary>
public sealed partial class SymbolVersionTests
{
    /// <summary>libvirt 9.0: this machine's (Debian 12's) library.</summary>
    private const string Libvirt9 = "/usr/lib/x86_64-linux-gnu/libvirt.so.0";

    [Fact(Timeout = 60_000)]
    public async Task Every_libvirt_function_the_binding_imports_exists_in_libvirt_9_or_is_checked_at_run_time()
    {
        Requires.Program("objdump");
        Requires.File(Libvirt9, "install libvirt0");
        var libvirt9 = await ExportsAsync(Libvirt9);

        var imported = ImportedEntryPoints();

        Assert.NotEmpty(imported);
        Assert.Contains("virConnectOpenAuth", imported);
        var missing = imported.Where(name => !libvirt9.ContainsKey(name) && !Interop.Libvirt.Optional.Symbols.Contains(name)).ToList();
        Assert.True(missing.Count == 0, $"imported, but not in libvirt 9.0 and not checked at run time: {string.Join(", ", missing)}");
        var plainlyImported = Interop.Libvirt.Optional.Symbols.Intersect(imported).ToList();
        Assert.True(plainlyImported.Count == 0, $"checked at run time, yet also a plain [LibraryImport]: {string.Join(", ", plainlyImported)}");
    }

    [Fact(Timeout = 60_000)]
    public async Task The_functions_checked_at_run_time_are_absent_from_libvirt_9_and_so_not_found_here()
    {
        Requires.Program("objdump");
        Requires.File(Libvirt9, "install libvirt0");
        var libvirt9 = await ExportsAsync(Libvirt9);

        Assert.NotEmpty(Interop.Libvirt.Optional.Symbols);
        Assert.All(Interop.Libvirt.Optional.Symbols, name => Assert.False(libvirt9.ContainsKey(name), $"{name} is in libvirt 9.0: import it plainly"));
        // The process's libvirt is 9.0 here: the lookup finds nothing, and the call says "no" without throwing.
        Assert.False(Interop.Libvirt.Optional.HasDomainGetAutostartOnce);
        using var domain = new SafeHandles.SafeVirDomainHandle();
        Assert.Equal(-1, Interop.Libvirt.Optional.DomainGetAutostartOnce(domain, out int once));
        Assert.Equal(0, once);
    }

    [Fact(Timeout = 900_000)]
    public async Task The_functions_checked_at_run_time_exist_in_debian_13s_libvirt_11_3()
    {
        Requires.Program("objdump");
        string image = await TrixieImage.DirectoryAsync();
        string library = Path.Combine(image, "root", "usr", "lib", "x86_64-linux-gnu", "libvirt.so.0");
        Requires.File(library, "the Debian 13 image holds libvirt0");

        var libvirt11 = await ExportsAsync(library);

        Assert.Equal("LIBVIRT_11.2.0", libvirt11[Interop.Libvirt.Optional.DomainGetAutostartOnceName]);
        Assert.All(Interop.Libvirt.Optional.Symbols, name => Assert.True(libvirt11.ContainsKey(name), $"{name} is not in libvirt 11.3"));
        Assert.All(ImportedEntryPoints(), name => Assert.True(libvirt11.ContainsKey(name), $"{name} is not in libvirt 11.3"));
    }

    /// <summary>
    /// The entry points of the binding's P/Invokes into libvirt, from its assembly: each
    /// [LibraryImport] method wraps a generated [DllImport] local function, which carries them.
    /// </summary>
    private static HashSet<string> ImportedEntryPoints()
    {
        var methods = typeof(Interop.Libvirt).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(method => method.Attributes.HasFlag(MethodAttributes.PinvokeImpl));
        return
        [
            .. methods
                .Select(method => (Method: method, Import: method.GetCustomAttribute<DllImportAttribute>()!))
                .Where(m => m.Import.Value == Interop.Libraries.Libvirt)
                .Select(m => m.Import.EntryPoint ?? m.Method.Name),
        ];
    }

    /// <summary>A library's exported functions and their symbol versions, from <c>objdump -T</c>.</summary>
    private static async Task<Dictionary<string, string>> ExportsAsync(string library)
    {
        var dump = await ProcessRunner.RunAsync("objdump", ["-T", library]);
        Assert.True(dump.ExitCode == 0, dump.Error);
        var exports = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match match in ExportLine().Matches(dump.Output))
        {
            exports[match.Groups["name"].Value] = match.Groups["version"].Value;
        }

        Assert.NotEmpty(exports);
        return exports;
    }

    // 00000000002ede50 g    DF .text	0000000000000086  LIBVIRT_0.0.3 virGetVersion
    [GeneratedRegex(@"^\S+\s+g\s+DF\s+\.text\s+\S+\s+(?<version>LIBVIRT_[0-9.]+)\s+(?<name>vir\w+)$", RegexOptions.Multiline)]
    private static partial Regex ExportLine();
}
