using Sundown.Core.Hosts;

namespace Sundown.Libvirt;

/// <summary>
/// A libvirt call failed. Carries libvirt's own error code, error domain (the subsystem
/// that raised it) and message; <see cref="HostException.Kind"/> is its meaning for the engine.
/// Filter with <c>catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)</c>.
/// </summary>
public sealed class LibvirtException : HostException
{
    // virErrorDomain VIR_FROM_RPC: a system error from the RPC layer is a broken connection.
    internal const int FromRpc = 7;

    public LibvirtException(LibvirtErrorCode code, int errorDomain, string message)
        : base(KindOf(code, errorDomain), message)
    {
        Code = code;
        ErrorDomain = errorDomain;
    }

    public LibvirtErrorCode Code { get; }

    /// <summary>libvirt's <c>virErrorDomain</c>: which part of libvirt raised the error.</summary>
    public int ErrorDomain { get; }

    internal static HostErrorKind KindOf(LibvirtErrorCode code, int errorDomain) => code switch
    {
        LibvirtErrorCode.NoDomain => HostErrorKind.GuestNotFound,
        LibvirtErrorCode.OperationInvalid => HostErrorKind.InvalidState,
        LibvirtErrorCode.NoSupport or LibvirtErrorCode.InvalidArg or LibvirtErrorCode.ConfigUnsupported
            or LibvirtErrorCode.ArgumentUnsupported or LibvirtErrorCode.OperationUnsupported => HostErrorKind.Unsupported,
        LibvirtErrorCode.NoConnect or LibvirtErrorCode.InvalidConn or LibvirtErrorCode.Rpc => HostErrorKind.ConnectionLost,
        // The RPC layer's own errors ("client socket is closed", "End of file while reading
        // data") mean the daemon went away: a restart of libvirtd, or the network.
        LibvirtErrorCode.InternalError or LibvirtErrorCode.SystemError when errorDomain == FromRpc => HostErrorKind.ConnectionLost,
        LibvirtErrorCode.OperationDenied or LibvirtErrorCode.AccessDenied or LibvirtErrorCode.AuthFailed => HostErrorKind.Denied,
        _ => HostErrorKind.Failed,
    };

    /// <summary>
    /// Copies this thread's last libvirt error into an exception. Call it right after the
    /// failing call, on the same thread: the error is thread-local and the next libvirt call
    /// overwrites it.
    /// </summary>
    internal static unsafe LibvirtException FromLastError(string what)
    {
        Interop.Libvirt.VirError error = default;
        // SAFETY: `error` is a stack struct of the exact C layout (checked by the ABI test);
        // libvirt fills it with copies that virResetError frees.
        int code = Interop.Libvirt.CopyLastError(&error);
        try
        {
            string detail = System.Runtime.InteropServices.Marshal.PtrToStringUTF8(error.Message) ?? "unknown libvirt error";
            return code == 0
                ? new LibvirtException(LibvirtErrorCode.InternalError, 0, $"{what}: failed without a libvirt error")
                : new LibvirtException((LibvirtErrorCode)error.Code, error.Domain, $"{what}: {detail}");
        }
        finally
        {
            Interop.Libvirt.ResetError(&error);
        }
    }
}
