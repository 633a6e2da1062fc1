# pk - packet archive toolkit.  GNU make.
#
#   make            build the seven programs into bin/
#   make check      install missing test dependencies (Debian), build, run every suite,
#                   again under ASan + UBSan, and a short fuzz run (scripts/pk-check-all)
#   make demo       build and run the pipeline on a capture the project generates
#   make install    PREFIX=/usr/local DESTDIR= (programs, scripts, man pages, units)
#   make SANITIZE=1 the same with ASan + UBSan
#   make fuzz       libFuzzer targets (clang), bounded runs

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
SHAREDIR ?= $(PREFIX)/share/pk
# operator scripts installed beside the programs
SCRIPTS = scripts/pk-archive scripts/pk-trigger scripts/pkfind-remote scripts/pk-ship-es \
	scripts/pk-ship-clickhouse scripts/pk-units-check scripts/pk-serve-keys

# the version: this file is its one place; programs get -DPK_VERSION, scripts
# get @PK_VERSION@ replaced at install (from a checkout they read VERSION)
PK_VERSION := $(shell cat VERSION)

CC ?= cc
CFLAGS ?= -O2 -g
PKG_CONFIG ?= pkg-config

DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags libpcap libbsd-overlay 2>/dev/null)
DEPS_LIBS := $(shell $(PKG_CONFIG) --libs libpcap libbsd-overlay 2>/dev/null) -ldb
# libraries one program alone links: <prog>_LIBS
pkrotate_LIBS := $(shell $(PKG_CONFIG) --libs liburing 2>/dev/null || echo -luring)
# pkserve: HTTPS (libmicrohttpd with GnuTLS), its objects compiled with their headers
pkserve_LIBS := $(shell $(PKG_CONFIG) --libs libmicrohttpd gnutls 2>/dev/null) -lpthread
SERVE_CFLAGS := $(shell $(PKG_CONFIG) --cflags libmicrohttpd gnutls 2>/dev/null)

WARN = -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wno-unused-parameter
# libcommon's layers (libcommon/README): every header is included by its
# name alone ("stream.h"), so each layer's directory is on the path
LIB_DIRS = libcommon $(patsubst %/,%,$(sort $(wildcard libcommon/*/)))
PK_CFLAGS = -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) $(LIB_DIRS:%=-I%) $(DEPS_CFLAGS) \
	-DPK_VERSION='"$(PK_VERSION)"'
ifeq ($(SANITIZE),1)
PK_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
PK_LDFLAGS += -fsanitize=address,undefined
BUILD ?= build-san
else
BUILD ?= build
endif
# BIN and BUILD may be overridden (e.g. a private build tree while developing)
BIN ?= bin

PROGS = pkread pkrotate pkextract pkindex pkfind pkslice pkserve
LIB_SRC = $(sort $(wildcard libcommon/*.c))
# and every layer's (libcommon/README); objects keep the layer: build/libcommon/io/stream.o
LIB_SRC += $(sort $(wildcard libcommon/*/*.c))
LIB_HDR = $(wildcard libcommon/*.h libcommon/*/*.h)
LIB_OBJ = $(LIB_SRC:libcommon/%.c=$(BUILD)/libcommon/%.o)
LIB = $(BUILD)/libcommon.a
BINS = $(PROGS:%=$(BIN)/%)

all: $(BINS) tools

$(BUILD)/libcommon/%.o: libcommon/%.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(PK_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/cmd/%.o: cmd/%.c $(LIB_HDR) $(wildcard cmd/*/*.h)
	@mkdir -p $(@D)
	$(CC) $(PK_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/cmd/pkserve/%.o: PK_CFLAGS += $(SERVE_CFLAGS)

$(BUILD)/libcommon/pk.o: VERSION

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# one link rule per program: every .c under cmd/<prog>/ plus libcommon
define prog_rule
$(BIN)/$(1): $(patsubst cmd/%.c,$(BUILD)/cmd/%.o,$(wildcard cmd/$(1)/*.c)) $(LIB)
	@mkdir -p $(BIN)
	$$(CC) $$(CFLAGS) $$(PK_LDFLAGS) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $(LIB) $$($(1)_LIBS) $$(DEPS_LIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

# test tools (tests/tools/*.c), each a program of its own
TOOLS = $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(wildcard tests/tools/*.c))
$(BUILD)/tools/%: tests/tools/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(PK_CFLAGS) $(CFLAGS) $(PK_LDFLAGS) -o $@ $< $(LIB) $(DEPS_LIBS)
tools: $(TOOLS)

deps:
	@scripts/pk-deps

check: deps
	@$(MAKE) --no-print-directory all
	@scripts/pk-check-all

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/pk-demo

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)
	for s in $(SCRIPTS); do [ ! -f $$s ] || { \
	    sed 's/@PK_VERSION@/$(PK_VERSION)/g' $$s >$(DESTDIR)$(BINDIR)/$${s##*/}.tmp && \
	    chmod 0755 $(DESTDIR)$(BINDIR)/$${s##*/}.tmp && \
	    mv -f $(DESTDIR)$(BINDIR)/$${s##*/}.tmp $(DESTDIR)$(BINDIR)/$${s##*/}; } || exit 1; done
	install -d $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SHAREDIR)
	[ ! -f systemd/pk.sysusers ] || install -m 0644 systemd/pk.sysusers $(DESTDIR)$(SYSUSERSDIR)/pk.conf
	for f in systemd/pk.conf.example systemd/pk-trigger.conf.example scripts/pk-clickhouse-schema.sql; do \
	    [ ! -f $$f ] || install -m 0644 $$f $(DESTDIR)$(SHAREDIR); done
	for m in man/*.1; do [ ! -f $$m ] || install -m 0644 $$m $(DESTDIR)$(MANDIR)/man1; done
	for m in man/*.5; do [ ! -f $$m ] || install -m 0644 $$m $(DESTDIR)$(MANDIR)/man5; done
	for m in man/*.7; do [ ! -f $$m ] || install -m 0644 $$m $(DESTDIR)$(MANDIR)/man7; done
	for m in man/*.8; do [ ! -f $$m ] || install -m 0644 $$m $(DESTDIR)$(MANDIR)/man8; done
	for u in systemd/*.service systemd/*.socket systemd/*.timer; do \
	    [ ! -f $$u ] || install -m 0644 $$u $(DESTDIR)$(UNITDIR); done

fuzz:
	@scripts/pk-fuzz

clean:
	rm -rf build build-san bin

PHONY_EXTRA = tools
.PHONY: all tools deps check demo install fuzz clean
.SUFFIXES:
