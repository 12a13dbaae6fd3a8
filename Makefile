# zoom-attendees - FastCGI/CGI responder for Zoom meeting attendees.
# See README.md. `make` builds build/zoom-attendees; `make check` installs
# what the tests need (Debian packages), then runs every test.

PROG		= zoom-attendees
VERSION		= 1.0.0
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
MANDIR		?= $(PREFIX)/share/man
SHAREDIR	?= $(PREFIX)/share/$(PROG)
PKG_CONFIG	?= pkg-config
CC		?= cc

BUILD		?= build
STD		= -std=c11 -D_GNU_SOURCE
WARN		= -Wall -Wextra -Werror -Wpedantic -Wshadow -Wstrict-prototypes \
		  -Wmissing-prototypes -Wwrite-strings -Wformat=2 -Wno-format-nonliteral
HARDEN		= -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS		?= -O2 -g
DEP_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags fcgi libcurl libcjson libcrypto 2>/dev/null)
DEP_LIBS	:= $(shell $(PKG_CONFIG) --libs fcgi libcurl libcjson libcrypto 2>/dev/null || echo "-lfcgi -lcurl -lcjson -lcrypto")
ALL_CFLAGS	= $(STD) $(WARN) $(HARDEN) $(CFLAGS) $(DEP_CFLAGS) -DZA_VERSION='"$(VERSION)"' -MMD -MP
ALL_LDFLAGS	= -pie -Wl,-z,relro,-z,now $(LDFLAGS)
# libunistring ships no pkg-config file.
LIBS		= $(DEP_LIBS) -lunistring -lpthread -lm

# Every module but main.c; unit tests and fuzz targets link these.
LIB_SRCS	= src/buf.c src/util.c src/json_scan.c src/config.c src/auth.c \
		  src/request.c src/response.c src/log.c src/exchange.c src/zoom_token.c \
		  src/zoom_client.c src/zoom_api.c src/attendance.c src/handler.c src/fcgi_server.c \
		  src/job.c src/spool.c src/cal_webhook.c src/notion.c src/workflow.c \
		  src/deadline.c src/metrics.c
LIB_OBJS	= $(LIB_SRCS:src/%.c=$(BUILD)/%.o)
MAIN_OBJ	= $(BUILD)/main.o

.PHONY: all check unit integration asan deps run bench valgrind load fuzz fuzz-short fuzz-replay install uninstall deb clean

all: $(BUILD)/$(PROG)

$(BUILD)/$(PROG): $(LIB_OBJS) $(MAIN_OBJ)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD):
	mkdir -p $(BUILD)

-include $(wildcard $(BUILD)/*.d $(BUILD)/tests/*.d $(BUILD)/fuzz/*.d)

# ---- tests ------------------------------------------------------------
UNIT_TESTS	= $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
# Run under valgrind by tests/run-all.sh: auth_equal must not branch on the key.
CT_PROGS	= $(BUILD)/tests/ct_auth

# The config test makes large allocations fail (a malloc wrapper).
$(BUILD)/tests/test_config: ALL_LDFLAGS += -Wl,--wrap=malloc
# The log test records syslog's lines instead of sending them (with
# _FORTIFY_SOURCE, syslog() is __syslog_chk).
$(BUILD)/tests/test_log: ALL_LDFLAGS += -Wl,--wrap=openlog,--wrap=closelog \
	-Wl,--wrap=syslog,--wrap=__syslog_chk

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) -Isrc $(ALL_LDFLAGS) -o $@ $< $(LIB_OBJS) $(LIBS) -lcmocka

# Fuzz targets: tests/fuzz/fuzz_<name>.c. `make fuzz` runs each under
# libFuzzer (clang) for FUZZ_SECONDS; `fuzz-replay` runs every corpus file
# through the same code built by $(CC) (with ASan/UBSan in `make asan`).
FUZZ_NAMES	= request participants token retry_after config zoom_error attendance cal_webhook
FUZZ_SECONDS	?= 60
FUZZ_SHORT_SECONDS ?= 10
FUZZ_CC		?= clang
FUZZ_FLAGS	= -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
REPLAYS		= $(FUZZ_NAMES:%=$(BUILD)/fuzz/replay_%)

$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(LIB_OBJS)
	@mkdir -p $(BUILD)/fuzz
	$(CC) $(ALL_CFLAGS) -Isrc $(ALL_LDFLAGS) -o $@ $< tests/fuzz/replay.c $(LIB_OBJS) $(LIBS)

fuzz-replay: $(REPLAYS)
	@for n in $(FUZZ_NAMES); do echo "replay $$n"; $(BUILD)/fuzz/replay_$$n tests/fuzz/corpus/$$n || exit 1; done

fuzz:
	@sh tests/install-deps.sh clang libclang-rt-14-dev
	@FUZZ_MERGE=1 sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_NAMES)

# A short pass of every target (make check runs it): a crash fails, and
# nothing is merged into the kept corpus.
fuzz-short:
	@sh tests/install-deps.sh clang libclang-rt-14-dev
	@for n in $(FUZZ_NAMES); do sh tests/fuzz/run.sh $(FUZZ_SHORT_SECONDS) $$n || exit 1; done

# Install the Debian packages the build and the tests need, if missing.
deps:
	@sh tests/install-deps.sh

unit: $(UNIT_TESTS) $(CT_PROGS) $(REPLAYS)

integration: all
	python3 tests/integration/run.py --bin $(BUILD)/$(PROG)

check: deps
	@sh tests/run-all.sh

# The same suite in an AddressSanitizer + UndefinedBehaviorSanitizer build.
asan:
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined,float-cast-overflow" all unit

# Benchmarks (not part of check): see BENCHMARKS.md.
# Each target that installs packages builds in a sub-make afterwards, so
# that pkg-config runs once the -dev packages are there (fresh machines).
bench:
	@sh tests/install-deps.sh wrk libnginx-mod-http-echo $$(command -v node >/dev/null || echo nodejs)
	@$(MAKE) -s all
	python3 tests/bench/bench.py --bin $(BUILD)/$(PROG)
	python3 tests/bench/workflow_bench.py --bin $(BUILD)/$(PROG)

# One FastCGI process through 10,000 mixed requests under valgrind memcheck
# (no error, no leak), then natively (RSS stable); also part of check.
valgrind:
	@sh tests/install-deps.sh
	@$(MAKE) -s all
	python3 tests/soak/run.py --bin $(BUILD)/$(PROG)

# Load (not part of check: two runs of 60 s): wrk through nginx, 256
# connections, 4 workers (spawn-fcgi -F 4), a fast stand-in with faults.
load:
	@sh tests/install-deps.sh wrk
	@$(MAKE) -s all
	python3 tests/load/run.py --bin $(BUILD)/$(PROG)

run: deps
	@$(MAKE) -s all
	@sh tests/make-run.sh

# ---- install ------------------------------------------------------------
# The binary, the man page, the example configurations (nginx/, apache/,
# contrib/) and the systemd units, with the @NAME@ placeholders in those
# files replaced by the values below (tests/deploy/run.py installs into a
# temporary directory the same way, then runs every deployment from there).
SYSTEMDDIR	?= $(PREFIX)/lib/systemd/system
CONFDIR		?= /etc/$(PROG)
RUNSTATEDIR	?= /run
FCGI_TCP	?= 127.0.0.1:9000
FCGI_SOCKET	?= $(RUNSTATEDIR)/$(PROG).sock
SHARE_FILES	= $(wildcard nginx/* apache/* contrib/*) systemd/README.md
UNIT_FILES	= $(wildcard systemd/*.socket systemd/*.service)
RENDER		= sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SHAREDIR@|$(SHAREDIR)|g' \
		  -e 's|@CONFDIR@|$(CONFDIR)|g' -e 's|@RUNSTATEDIR@|$(RUNSTATEDIR)|g' \
		  -e 's|@FCGI_TCP@|$(FCGI_TCP)|g' -e 's|@FCGI_SOCKET@|$(FCGI_SOCKET)|g'

install: $(BUILD)/$(PROG)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSTEMDDIR) \
		$(DESTDIR)$(SHAREDIR)/nginx $(DESTDIR)$(SHAREDIR)/apache \
		$(DESTDIR)$(SHAREDIR)/contrib $(DESTDIR)$(SHAREDIR)/systemd
	install -m 0755 $(BUILD)/$(PROG) $(DESTDIR)$(BINDIR)/$(PROG)
	$(RENDER) man/$(PROG).8 > $(DESTDIR)$(MANDIR)/man8/$(PROG).8
	chmod 0644 $(DESTDIR)$(MANDIR)/man8/$(PROG).8
	@for f in $(SHARE_FILES); do \
		m=0644; [ -x $$f ] && m=0755; \
		$(RENDER) $$f > $(DESTDIR)$(SHAREDIR)/$$f && \
		chmod $$m $(DESTDIR)$(SHAREDIR)/$$f || exit 1; \
	done
	@for f in $(UNIT_FILES); do \
		$(RENDER) $$f > $(DESTDIR)$(SYSTEMDDIR)/$${f#systemd/} && \
		chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/$${f#systemd/} || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/$(PROG) $(DESTDIR)$(MANDIR)/man8/$(PROG).8
	rm -f $(SHARE_FILES:%=$(DESTDIR)$(SHAREDIR)/%)
	rm -f $(UNIT_FILES:systemd/%=$(DESTDIR)$(SYSTEMDDIR)/%)
	rmdir $(DESTDIR)$(SHAREDIR)/nginx $(DESTDIR)$(SHAREDIR)/apache \
		$(DESTDIR)$(SHAREDIR)/contrib $(DESTDIR)$(SHAREDIR)/systemd \
		$(DESTDIR)$(SHAREDIR) 2>/dev/null || true

# Every deployment (nginx, Apache, lighttpd, Caddy, systemd, spawn-fcgi, CGI)
# started for real.
.PHONY: deploy
deploy: $(BUILD)/$(PROG)
	@sh tests/install-deps.sh caddy lighttpd
	python3 tests/deploy/run.py --bin $(BUILD)/$(PROG)

# The Debian package (debian/), built from a copy of the sources in
# $(DEB_DIR)/src (dpkg-buildpackage writes into the parent directory), then
# checked by lintian (an error fails). Result: $(DEB_DIR)/$(PROG)_$(VERSION)_ARCH.deb.
DEB_DIR		= build/deb
DEB_SOURCES	= Makefile README.md SECURITY.md src man nginx apache contrib systemd docs debian

deb:
	@sh tests/install-deps.sh dpkg-dev debhelper lintian
	@v=$$(dpkg-parsechangelog -S Version); [ "$$v" = "$(VERSION)" ] || \
		{ echo "debian/changelog is at $$v, the Makefile at $(VERSION)" >&2; exit 1; }
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/src/$(PROG)-$(VERSION)
	cp -R $(DEB_SOURCES) $(DEB_DIR)/src/$(PROG)-$(VERSION)/
	cd $(DEB_DIR)/src/$(PROG)-$(VERSION) && dpkg-buildpackage -us -uc -b -Jauto
	mv $(DEB_DIR)/src/*.deb $(DEB_DIR)/src/*.buildinfo $(DEB_DIR)/src/*.changes $(DEB_DIR)/
	rm -rf $(DEB_DIR)/src
	lintian --fail-on error --info $(DEB_DIR)/*.changes
	@ls -1 $(DEB_DIR)/*.deb

clean:
	rm -rf build build-asan build-fuzz
