/* A stand-in for Windows 10's bcryptprimitives.dll, for tests under Wine 8 only.
 *
 * Rust's standard library (1.78 and later) fills its random keys (HashMap seeds) with
 * ProcessPrng from bcryptprimitives.dll, which Windows 10+ always has and Wine 8 lacks:
 * without this DLL in the prefix's system32 a Rust program does not start under Wine 8.
 * It forwards to RtlGenRandom (advapi32's SystemFunction036), which Wine implements.
 * Never shipped: real Windows has the real DLL. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG len);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
