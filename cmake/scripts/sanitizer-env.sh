# shellcheck shell=bash
# Source this before running anything from an ASan+UBSan build (-DCONF_SANITIZE=ON):
#   source cmake/scripts/sanitizer-env.sh && ctest --test-dir build-asan
# test-all.sh uses it too, so a developer's run and CI's see the same options.
_conf_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# fast_unwind_on_malloc=0: GLib and GStreamer are built without frame pointers, so the fast
#   unwinder stops at g_malloc and no suppression could tell their allocations from ours.
# detect_leaks=1 with the suppressions in tests/sanitizers/lsan.supp (GLib's own, never ours).
# intercept_tls_get_addr=0: GCC 12's LeakSanitizer crashes ("Tracer caught signal 11") scanning
# the dynamic TLS of threads once GIO has dlopen()ed its TLS module (glib-networking,
# GnuTLS) for HTTPS; without the interception it does not track dynamic TLS at all.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:fast_unwind_on_malloc=0:strict_init_order=1:check_initialization_order=1:detect_stack_use_after_return=0:intercept_tls_get_addr=0"
export LSAN_OPTIONS="suppressions=${_conf_root}/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# GLib 2.74 still has its slice allocator: route it through malloc so ASan sees every block.
export G_SLICE=always-malloc
export G_DEBUG=gc-friendly
unset _conf_root
