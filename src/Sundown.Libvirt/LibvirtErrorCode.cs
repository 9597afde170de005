namespace Sundown.Libvirt;

/// <summary>The <c>virErrorNumber</c> values Sundown acts on (values from virterror.h; the ABI test checks them).</summary>
public enum LibvirtErrorCode
{
    Ok = 0,
    InternalError = 1,
    NoMemory = 2,
    NoSupport = 3,
    NoConnect = 5,
    InvalidConn = 6,
    InvalidDomain = 7,
    InvalidArg = 8,
    OperationFailed = 9,
    XmlError = 27,
    DomExist = 28,
    OperationDenied = 29,
    SystemError = 38,
    Rpc = 39,
    NoDomain = 42,
    AuthFailed = 45,
    OperationInvalid = 55,
    ConfigUnsupported = 67,
    OperationTimeout = 68,
    ArgumentUnsupported = 74,
    OperationAborted = 78,
    NoDomainSnapshot = 72,
    NoDomainMetadata = 80,
    OperationUnsupported = 84,
    AgentUnresponsive = 86,
    ResourceBusy = 87,
    AccessDenied = 88,
}
