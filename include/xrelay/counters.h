/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * counters.h - enum xr_cnt and the name/help tables, expanded from counters.def.
 * Included by bpf/ (enum only) and by the daemon and xrelayctl (names too).
 */
#ifndef XRELAY_COUNTERS_H
#define XRELAY_COUNTERS_H

enum xr_cnt {
#define XR_CNT(name, help) XR_CNT_##name,
#include "xrelay/counters.def"
#undef XR_CNT
	XR_CNT__MAX
};

#ifndef __bpf__
/* Name (e.g. "pass_wrong_source") and help text of counter i, i < XR_CNT__MAX. */
static const char *const xr_cnt_names[XR_CNT__MAX] __attribute__((unused)) = {
#define XR_CNT(name, help) #name,
#include "xrelay/counters.def"
#undef XR_CNT
};
static const char *const xr_cnt_help[XR_CNT__MAX] __attribute__((unused)) = {
#define XR_CNT(name, help) help,
#include "xrelay/counters.def"
#undef XR_CNT
};
#endif

#endif /* XRELAY_COUNTERS_H */
