# SPDX-License-Identifier: GPL-2.0
# xrelay: one non-recursive GNU Makefile; every output lands under build/.
#
#   make            build the BPF object, its skeleton, xrelayd, xrelayctl, rtpflood, sessbench
#   make deps       install the Debian packages the build and the tests need
#   make test       deps + build + every test (unit, bpf, e2e); ends in "N passed, N failed"
#   make demo       deps + build + a self-contained demo in network namespaces
#   make bench      deps + build + media pps benchmark; make bench-sip: SIP calls/s;
#                   make bench-setup: media sessions set up and deleted a second;
#                   make bench-stages: the XDP program's ns a packet, part by part
#   make fuzz       libFuzzer harnesses (clang), run for FUZZ_SECONDS each
#   make install    binaries, man pages, systemd unit, example config (PREFIX, DESTDIR)
#   make SAN=1 ...  the same with AddressSanitizer/UBSan (output in build-san/)
#   make test-san   the unit tests and the hostile/shutdown e2e tests on the SAN build
#   make V=1        show the commands

.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:

SAN      ?= 0
ifeq ($(SAN),1)
OUT      ?= build-san
else
OUT      ?= build
endif
CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH     := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

WARNINGS := -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes \
	    -Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual \
	    -Wsign-compare -Wno-unused-parameter
ifeq ($(CI),true)
WERROR   ?= -Werror
endif
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARNINGS) $(WERROR) -D_GNU_SOURCE -MMD -MP \
	    -Iinclude -Idaemon -I$(OUT)
LDLIBS   := -lbpf -lelf -lz -lmnl -lurcu -lurcu-cds -lev -ljansson -linih -lmicrohttpd -lcrypto -lcares -lhiredis -lpthread
ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

# BPF: compiled against the UAPI headers only (no vmlinux.h, no CO-RE needed).
CLANG_BPF_SYS_INCLUDES := $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
# BPF_DEFS: extra -D for the BPF object (bench/stages.sh's XR_STAGE_STOP).
BPF_DEFS   ?=
BPF_CFLAGS := $(BPF_DEFS) -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Iinclude -Ibpf \
	      -I/usr/include/$(shell uname -m)-linux-gnu $(CLANG_BPF_SYS_INCLUDES) \
	      -Wall -Wno-unused-function $(WERROR)

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# ---- sources -------------------------------------------------------------
# Every .c under daemon/ except xrelayd's main goes into libxrelay.a; tests
# link the archive, so they pick up exactly the objects they use.  The CLI,
# ctl-cli/, shares only include/xrelay/ (ctl.h, counters.h) with the daemon.
DAEMON_MAIN  := daemon/main.c
CTL_SRCS     := $(wildcard ctl-cli/*.c)
LIB_SRCS     := $(filter-out $(DAEMON_MAIN),$(wildcard daemon/*.c daemon/*/*.c))
LIB_OBJS     := $(LIB_SRCS:%.c=$(OUT)/%.o)
BPF_SRCS     := $(wildcard bpf/*.bpf.c)
BPF_OBJS     := $(BPF_SRCS:bpf/%.bpf.c=$(OUT)/bpf/%.bpf.o)
SKELS        := $(BPF_SRCS:bpf/%.bpf.c=$(OUT)/%.skel.h)
BENCH_BPF    := $(wildcard bench/rtpflood/*.bpf.c)
BENCH_SKELS  := $(BENCH_BPF:bench/rtpflood/%.bpf.c=$(OUT)/%.skel.h)
BENCH_SRCS   := $(filter-out $(BENCH_BPF),$(wildcard bench/rtpflood/*.c))
SESSB_SRCS   := $(wildcard bench/sessbench/*.c)

UNIT_SRCS    := $(wildcard tests/unit/test_*.c)
UNIT_BINS    := $(UNIT_SRCS:tests/unit/%.c=$(OUT)/tests/unit/%)
BPFT_SRCS    := $(wildcard tests/bpf/test_*.c)
BPFT_BINS    := $(BPFT_SRCS:tests/bpf/%.c=$(OUT)/tests/bpf/%)
BPFT_HELPERS := $(filter-out $(BPFT_SRCS),$(wildcard tests/bpf/*.c))
TEST_TOOLS_SRCS := $(wildcard tests/tools/*.c)
TEST_TOOLS   := $(TEST_TOOLS_SRCS:tests/tools/%.c=$(OUT)/tests/tools/%)

PROGS := $(OUT)/xrelayd $(OUT)/xrelayctl
ifneq ($(BENCH_SRCS),)
PROGS += $(OUT)/rtpflood
endif
ifneq ($(SESSB_SRCS),)
PROGS += $(OUT)/sessbench
endif

.PHONY: all deps test unit bpf-test e2e demo bench bench-sip bench-setup bench-stages fuzz clean help check-deps install \
	test-san
all: $(PROGS) $(UNIT_BINS) $(BPFT_BINS) $(TEST_TOOLS)

help:
	@sed -n '3,15p' Makefile | sed 's/^# \{0,1\}//'

# ---- BPF ------------------------------------------------------------------
$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(wildcard include/xrelay/*) | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp.o
	$(Q)$(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o

$(OUT)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(OUT)/bench/%.bpf.o: bench/rtpflood/%.bpf.c $(wildcard include/xrelay/*) | $(OUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp.o
	$(Q)$(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o

$(BENCH_SKELS): $(OUT)/%.skel.h: $(OUT)/bench/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

# ---- userspace ------------------------------------------------------------
# The skeletons are order-only: they exist before anything compiles, and the
# objects that include one (loader.o, the BPF tests, rtpflood) depend on it
# through their -MMD .d files, so a BPF change rebuilds those alone.
$(OUT)/%.o: %.c | $(SKELS) $(BENCH_SKELS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/libxrelay.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/xrelayd: $(OUT)/daemon/main.o $(OUT)/libxrelay.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/xrelayctl: $(CTL_SRCS:%.c=$(OUT)/%.o)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -ljansson -o $@

$(OUT)/sessbench: $(SESSB_SRCS:%.c=$(OUT)/%.o)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -ljansson -o $@

$(OUT)/rtpflood: $(BENCH_SRCS:%.c=$(OUT)/%.o) $(OUT)/libxrelay.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/tests/unit/%: $(OUT)/tests/unit/%.o $(OUT)/libxrelay.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(OUT)/tests/bpf/%: $(OUT)/tests/bpf/%.o $(BPFT_HELPERS:%.c=$(OUT)/%.o) $(OUT)/libxrelay.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(OUT)/tests/tools/%: $(OUT)/tests/tools/%.o $(OUT)/libxrelay.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/bpf $(OUT)/bench:
	$(Q)mkdir -p $@

# ---- set-up and runs ------------------------------------------------------
DEB_PKGS := build-essential clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev \
	    libmnl-dev liburcu-dev libev-dev libjansson-dev libinih-dev libmicrohttpd-dev \
	    libcmocka-dev sip-tester iproute2 iputils-ping ethtool procps psmisc python3 \
	    libclang-rt-14-dev tshark linux-perf valgrind pkg-config curl man-db groff-base \
	    stress-ng libssl-dev sipvicious baresip libc-ares-dev libhiredis-dev redis-server

# Idempotent: installs only what is missing (apt-get update only then).
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "  DEPS     installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	else echo "  DEPS     all present"; fi
	@mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

unit: all
	$(Q)tests/run.sh unit

bpf-test: all
	$(Q)tests/run.sh bpf

e2e: all
	$(Q)tests/run.sh e2e

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run.sh all

# The SAN build (ASan + UBSan, build-san/) under the tests that stop the daemon
# with work in flight and feed it hostile input: any sanitizer report fails
# them (the daemon then exits non-zero, or its log carries the report).
SAN_E2E ?= t_sip_shutdown t_guard_ban t_media_hostile t_call_hostile
test-san:
	$(Q)$(MAKE) --no-print-directory SAN=1 all
	$(Q)OUT=build-san tests/run.sh unit
	$(Q)fail=0; for t in $(SAN_E2E); do \
		OUT=build-san tests/run.sh e2e $$t || fail=1; done; exit $$fail

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/e2e/demo.sh

# Knobs from the command line or the environment: FLOWS PAYLOADS ROUNDS DURATION
# CASES PEERS=1 (bench/run.sh); SIP_FLOWS RATES SECS HOLD PEERS=1 (bench/sip.sh);
# SESSIONS ROUNDS CASES (bench/setup.sh).
bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bench/run.sh

bench-sip: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bench/sip.sh

bench-setup: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bench/setup.sh

bench-stages: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bench/stages.sh

FUZZ_SECONDS ?= 30
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)
# What each harness links: the parser objects only, built with its sanitizers.
FUZZ_LIB_SRCS_fuzz_sip := daemon/sip/msg.c daemon/sip/parse_hdr.c daemon/sip/parse_nameaddr.c \
			  daemon/sip/parse_scalar.c daemon/sip/parse_start.c daemon/sip/parse_uri.c \
			  daemon/sip/parse_via.c daemon/sip/build.c
FUZZ_LIB_SRCS_fuzz_sdp := daemon/sdp/sdp.c daemon/sdp/rewrite.c daemon/sdp/multipart.c daemon/common/addr.c
FUZZ_LIB_SRCS_fuzz_auth := daemon/sip/parse_auth.c daemon/sip/msg.c daemon/sip/parse_hdr.c \
			   daemon/sip/parse_nameaddr.c daemon/sip/parse_scalar.c \
			   daemon/sip/parse_start.c daemon/sip/parse_uri.c daemon/sip/parse_via.c \
			   daemon/policy/cidr.c daemon/common/addr.c
build-fuzz/%: tests/fuzz/%.c $(LIB_SRCS)
	@mkdir -p $(@D)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) -g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -Idaemon -I$(OUT) \
		-fsanitize=fuzzer,address,undefined $< $(FUZZ_LIB_SRCS_$*) -o $@ $(LDLIBS)
fuzz: deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do mkdir -p build-fuzz/corpus-$$(basename $$f); \
		$$f -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus-$$(basename $$f) \
		tests/fuzz/seeds/$$(basename $$f) || exit 1; done

# ---- install ----------------------------------------------------------------
# The unit's paths follow SBINDIR and SYSCONFDIR; the example config becomes
# the config only where none exists yet (an operator's file is never replaced).
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/xrelay
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
SYSCONFDIR ?= /etc
INSTALL    ?= install

install: $(PROGS)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/xrelay
	$(Q)$(INSTALL) -m 0755 $(OUT)/xrelayd $(OUT)/xrelayctl $(DESTDIR)$(SBINDIR)/
	$(Q)$(INSTALL) -m 0644 man/xrelayd.8 man/xrelayctl.8 $(DESTDIR)$(MANDIR)/man8/
	$(Q)if [ -x $(OUT)/rtpflood ]; then \
		$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 && \
		$(INSTALL) -m 0755 $(OUT)/rtpflood $(DESTDIR)$(BINDIR)/ && \
		$(INSTALL) -m 0644 man/rtpflood.1 $(DESTDIR)$(MANDIR)/man1/; fi
	$(Q)sed -e 's|/usr/local/sbin|$(SBINDIR)|g' -e 's|/etc/xrelay|$(SYSCONFDIR)/xrelay|g' \
		dist/xrelayd.service >$(DESTDIR)$(UNITDIR)/xrelayd.service.tmp && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/xrelayd.service.tmp && \
		mv $(DESTDIR)$(UNITDIR)/xrelayd.service.tmp $(DESTDIR)$(UNITDIR)/xrelayd.service
	$(Q)$(INSTALL) -m 0644 dist/xrelay.sysusers $(DESTDIR)$(SYSUSERSDIR)/xrelay.conf
	$(Q)$(INSTALL) -m 0644 dist/xrelayd.conf $(DESTDIR)$(DOCDIR)/xrelayd.conf.example
	$(Q)[ -e $(DESTDIR)$(SYSCONFDIR)/xrelay/xrelayd.conf ] || \
		$(INSTALL) -m 0644 dist/xrelayd.conf $(DESTDIR)$(SYSCONFDIR)/xrelay/xrelayd.conf

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(OUT) -name '*.d' 2>/dev/null)
