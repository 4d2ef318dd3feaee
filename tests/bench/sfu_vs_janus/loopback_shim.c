// LD_PRELOAD shim for running Debian's Janus on loopback only: Janus skips every interface
// flagged IFF_LOOPBACK when it gathers ICE candidates, so on a machine where 127.0.0.1 is the
// only address we may use it would offer none. This clears the flag in getifaddrs() results;
// janus.jcfg's ice_enforce_list = "lo" then keeps only the loopback interface.
//
//   cc -shared -fPIC -O2 -Wall -Wextra -Werror -o loopback_shim.so loopback_shim.c -ldl
//   LD_PRELOAD=$PWD/loopback_shim.so janus -F <configs folder>
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stddef.h>

int getifaddrs(struct ifaddrs** list) {
    static int (*real_getifaddrs)(struct ifaddrs**) = NULL;
    if (real_getifaddrs == NULL) {
        // POSIX allows the object-to-function pointer conversion dlsym() needs.
        *(void**)(&real_getifaddrs) = dlsym(RTLD_NEXT, "getifaddrs");
        if (real_getifaddrs == NULL) {
            return -1;
        }
    }
    int result = real_getifaddrs(list);
    if (result == 0) {
        for (struct ifaddrs* entry = *list; entry != NULL; entry = entry->ifa_next) {
            entry->ifa_flags &= ~(unsigned int)IFF_LOOPBACK;
        }
    }
    return result;
}
