/*
 * bcryptprimitives.dll for Wine 8: just ProcessPrng.
 *
 * Why this exists: since Rust 1.78 the standard library gets its random bytes
 * (the keys of every HashMap) from ProcessPrng in bcryptprimitives.dll, and
 * imports it at load time. Windows 10 and later have it; Wine 8, which the
 * tests use to run the Windows build on Linux, has no such export, so the
 * loader refuses to start sameport.exe at all.
 *
 * Placed beside the exe, this DLL is found before any system copy and gives
 * ProcessPrng the same meaning by forwarding to RtlGenRandom (exported by
 * advapi32.dll as SystemFunction036), which Wine does implement. It is a test
 * fixture only: sameport.exe needs nothing of the sort on real Windows.
 *
 * tests/windows.rs builds it with MinGW-w64:
 *   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c
 */
#include <windows.h>

/* advapi32's RtlGenRandom, by its export name; declared here because its
 * header (ntsecapi.h) wants a define that makes the name a macro. */
__declspec(dllimport) BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* Windows' ProcessPrng: fill `data` with `len` random bytes. It never fails on
 * Windows and always returns TRUE; here it returns FALSE if RtlGenRandom does. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    /* RtlGenRandom takes a 32-bit length; hand it the buffer in pieces. */
    while (len > 0) {
        ULONG chunk = len > 0x7fffffff ? 0x7fffffff : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
