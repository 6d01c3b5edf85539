/* memtrace.h — optional per-phase memory report (XVIDS_TRACE_MEM=1): where the peak RSS goes. */
#ifndef XV_UTIL_MEMTRACE_H
#define XV_UTIL_MEMTRACE_H

/* When the environment has XVIDS_TRACE_MEM set (non-empty, not "0"), print one line to stderr:
 * "xvids-mem: PHASE rss=K anon=K file=K hwm=K heap=K" (KiB; from /proc/self/status and
 * mallinfo2). Costs one cached getenv() otherwise. Used by bench/footprint.sh to attribute the
 * peak to the discovery phases. */
void xv_memtrace(const char *phase);

#endif
