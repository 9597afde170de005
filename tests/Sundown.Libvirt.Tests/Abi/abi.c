/* Prints the C side of every struct layout and constant the C# binding relies on, one
 * "name value" pair per line; AbiTests compares them with the binding's own. Compiled
 * against the installed headers: gcc abi.c -o abi (no libvirt link needed). */
#include <stddef.h>
#include <stdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#define SHOW(name, value) printf("%s %lld\n", name, (long long)(value))
#define SIZE(type) SHOW("sizeof(" #type ")", sizeof(type))
#define OFFSET(type, field) SHOW("offsetof(" #type "." #field ")", offsetof(type, field))
#define CONST(name) SHOW(#name, name)

int main(void)
{
    SIZE(virError);
    OFFSET(virError, code);
    OFFSET(virError, domain);
    OFFSET(virError, message);
    OFFSET(virError, level);
    OFFSET(virError, str1);
    OFFSET(virError, int1);
    OFFSET(virError, net);

    SIZE(virDomainInfo);
    OFFSET(virDomainInfo, state);
    OFFSET(virDomainInfo, maxMem);
    OFFSET(virDomainInfo, memory);
    OFFSET(virDomainInfo, nrVirtCpu);
    OFFSET(virDomainInfo, cpuTime);

    CONST(VIR_UUID_STRING_BUFLEN);
    CONST(VIR_CONNECT_RO);

    CONST(VIR_DOMAIN_NOSTATE);
    CONST(VIR_DOMAIN_RUNNING);
    CONST(VIR_DOMAIN_BLOCKED);
    CONST(VIR_DOMAIN_PAUSED);
    CONST(VIR_DOMAIN_SHUTDOWN);
    CONST(VIR_DOMAIN_SHUTOFF);
    CONST(VIR_DOMAIN_CRASHED);
    CONST(VIR_DOMAIN_PMSUSPENDED);

    CONST(VIR_DOMAIN_SHUTDOWN_DEFAULT);
    CONST(VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN);
    CONST(VIR_DOMAIN_SHUTDOWN_GUEST_AGENT);
    CONST(VIR_DOMAIN_START_PAUSED);
    CONST(VIR_DOMAIN_METADATA_ELEMENT);
    CONST(VIR_DOMAIN_AFFECT_LIVE);
    CONST(VIR_DOMAIN_AFFECT_CONFIG);
    CONST(VIR_DOMAIN_EVENT_ID_LIFECYCLE);

    CONST(VIR_DOMAIN_EVENT_DEFINED);
    CONST(VIR_DOMAIN_EVENT_UNDEFINED);
    CONST(VIR_DOMAIN_EVENT_STARTED);
    CONST(VIR_DOMAIN_EVENT_SUSPENDED);
    CONST(VIR_DOMAIN_EVENT_RESUMED);
    CONST(VIR_DOMAIN_EVENT_STOPPED);
    CONST(VIR_DOMAIN_EVENT_SHUTDOWN);
    CONST(VIR_DOMAIN_EVENT_PMSUSPENDED);
    CONST(VIR_DOMAIN_EVENT_CRASHED);

    CONST(VIR_ERR_OK);
    CONST(VIR_ERR_INTERNAL_ERROR);
    CONST(VIR_ERR_NO_MEMORY);
    CONST(VIR_ERR_NO_SUPPORT);
    CONST(VIR_ERR_NO_CONNECT);
    CONST(VIR_ERR_INVALID_CONN);
    CONST(VIR_ERR_INVALID_DOMAIN);
    CONST(VIR_ERR_INVALID_ARG);
    CONST(VIR_ERR_OPERATION_FAILED);
    CONST(VIR_ERR_XML_ERROR);
    CONST(VIR_ERR_DOM_EXIST);
    CONST(VIR_ERR_OPERATION_DENIED);
    CONST(VIR_ERR_SYSTEM_ERROR);
    CONST(VIR_ERR_RPC);
    CONST(VIR_ERR_NO_DOMAIN);
    CONST(VIR_ERR_AUTH_FAILED);
    CONST(VIR_ERR_OPERATION_INVALID);
    CONST(VIR_ERR_CONFIG_UNSUPPORTED);
    CONST(VIR_ERR_OPERATION_TIMEOUT);
    CONST(VIR_ERR_ARGUMENT_UNSUPPORTED);
    CONST(VIR_ERR_OPERATION_ABORTED);
    CONST(VIR_ERR_NO_DOMAIN_METADATA);
    CONST(VIR_ERR_OPERATION_UNSUPPORTED);
    CONST(VIR_ERR_AGENT_UNRESPONSIVE);
    CONST(VIR_ERR_RESOURCE_BUSY);
    CONST(VIR_ERR_ACCESS_DENIED);
    CONST(VIR_FROM_RPC);
    return 0;
}
