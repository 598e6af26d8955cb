/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-hop clock stamps for make bench-hops (bench/HOPS.md): HOPTIME("what")
 * records the monotonic clock at a point of a request's path. Compiled in only
 * with -DPARSEC_HOPTIME (the bench/hops/ tree); in every other build it is
 * nothing at all.
 */
#ifndef PARSEC_HOPTIME_H
#define PARSEC_HOPTIME_H

#ifdef PARSEC_HOPTIME
/* what: a string literal. The stamps are written to stderr at exit (and when the ring fills). */
void hoptime_stamp(const char *what);
#define HOPTIME(what) hoptime_stamp(what)
#else
#define HOPTIME(what) do { } while (0)
#endif

#endif
