# crmkit: make, make check, make demo, make bench, make install, make clean.
# Objects go to $(O) (build/ by default; build/asan for the sanitizer run).

CC	?= cc
CFLAGS	?= -O2 -g
PREFIX	?= /usr/local
DESTDIR	?=
O	?= build

WARN	= -std=c11 -Wall -Wextra -Wpedantic -Wstrict-prototypes \
	  -Wmissing-prototypes -Wshadow -Wvla -Wwrite-strings -fno-common \
	  -Werror
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Ilib
# PCRE2 (lib/entity.c) through pkg-config's flags
PCRE2_CFLAGS := $(shell pkg-config --cflags libpcre2-8 2>/dev/null)
PCRE2_LIBS := $(shell pkg-config --libs libpcre2-8 2>/dev/null || echo -lpcre2-8)
CPPFLAGS += $(PCRE2_CFLAGS)
LDLIBS	= $(PCRE2_LIBS) -lpthread -lxgboost -luchardet -llinear -lsvm -lsqlite3 -lcsv -lutf8proc -lxxhash -lcrypto -lgsl -llapacke -lopenblas -lm
SANFLAGS = -fsanitize=address,undefined,float-cast-overflow \
	  -fno-sanitize-recover=all \
	  -fno-omit-frame-pointer

ifeq ($(SAN),1)
CFLAGS	:= -O1 -g $(SANFLAGS)
LDFLAGS	+= $(SANFLAGS)
endif

BINS	= crm-churn crm-dedupe crm-experiment crm-ingest crm-intent crm-journey crm-mask crm-profile crm-recommend crm-report crm-route crm-tag
LIBSRC	= $(sort $(wildcard lib/*.c))
LIBOBJ	= $(LIBSRC:lib/%.c=$(O)/lib/%.o) $(O)/lib/report_assets.o
UNITSRC	= $(sort $(wildcard tests/unit/test_*.c))
UNITS	= $(UNITSRC:tests/unit/%.c=$(O)/tests/%)
MAN	= $(sort $(wildcard man/*.[1-9]))
FORMAT_SRC = $(wildcard cmd/*.c lib/*.c lib/*.h tests/unit/*.c tests/unit/*.h)

# Build on every CPU unless told otherwise (make -j1); decided by the
# top make alone, whose jobs (or -j1) the sub-makes of check share.
NPROC	:= $(shell getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
ifeq ($(MAKELEVEL)$(filter -j%,$(MAKEFLAGS)),0)
MAKEFLAGS += -j$(NPROC)
endif

all: $(O)/.deps $(BINS:%=$(O)/bin/%) $(BINS:%=$(O)/completion/%)

# Install the Debian packages once when a header is missing.
$(O)/.deps: scripts/install-deps.sh
	@mkdir -p $(O)
	@scripts/install-deps.sh --check >/dev/null 2>&1 || scripts/install-deps.sh
	@touch $@

$(O)/lib/%.o: lib/%.c $(wildcard lib/*.h) | $(O)/.deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

# crm-report's HTML inlines Vega-Lite (third_party/vega, committed: no
# network at build time) and its page's script and style: linked in as
# bytes by lib/report_assets.S, its .incbin paths from the top.
REPORT_ASSETS = third_party/vega/vega/vega.min.js \
	third_party/vega/vega-lite/vega-lite.min.js \
	third_party/vega/vega-embed/vega-embed.min.js \
	lib/report_page.js lib/report_page.css

$(O)/lib/report_assets.o: lib/report_assets.S $(REPORT_ASSETS)
	@mkdir -p $(@D)
	$(CC) -Wa,-I$(CURDIR) -c -o $@ $<

$(O)/libcrm.a: $(LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

$(O)/cmd/%.o: cmd/%.c $(wildcard lib/*.h) | $(O)/.deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

$(O)/bin/%: $(O)/cmd/%.o $(O)/libcrm.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(O)/libcrm.a $(LDLIBS)

# crm-intent links in its built-in models; a first build of it without
# them (the model symbols are weak) trains them from testdata/intent.
INTENT_DATA = testdata/intent

$(O)/crm-intent-bare: $(O)/cmd/crm-intent.o $(O)/libcrm.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(O)/libcrm.a $(LDLIBS)

# The intent model learns from the background set too: general sentences,
# labelled out_of_scope, negatives for every intent.
$(O)/models/intent.model: $(O)/crm-intent-bare $(INTENT_DATA)/intents.train.jsonl \
		$(INTENT_DATA)/background.jsonl
	@mkdir -p $(@D)
	$(O)/crm-intent-bare train -q --model intent --seed 1 \
		--model-file $@ $(INTENT_DATA)/intents.train.jsonl \
		$(INTENT_DATA)/background.jsonl

# Every message has a sentiment: its scores assume no unknown ones.
$(O)/models/sentiment.model: $(O)/crm-intent-bare $(INTENT_DATA)/sentiment.train.jsonl
	@mkdir -p $(@D)
	$(O)/crm-intent-bare train -q --model sentiment --seed 1 \
		--unknown-share 0 \
		--model-file $@ < $(INTENT_DATA)/sentiment.train.jsonl

$(O)/models/builtin.o: cmd/crm-intent-models.S $(O)/models/intent.model \
		$(O)/models/sentiment.model
	$(CC) -Wa,-I$(O)/models -c -o $@ $<

$(O)/bin/crm-intent: $(O)/cmd/crm-intent.o $(O)/models/builtin.o $(O)/libcrm.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(O)/models/builtin.o \
		$(O)/libcrm.a $(LDLIBS)

$(O)/tests/%: tests/unit/%.c $(O)/libcrm.a $(wildcard lib/*.h tests/unit/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< $(O)/libcrm.a $(LDLIBS)

# Bash completion, made from each binary's --help (its option table).
$(O)/completion/%: $(O)/bin/% scripts/gen-completion.sh
	@mkdir -p $(@D)
	scripts/gen-completion.sh $< $@

include tests/fuzz/fuzz.mk

# ---- tests ------------------------------------------------------------------

# The tests of one build: unit tests, then the end-to-end scripts.
test: all $(UNITS) $(FUZZ_REPLAY)
	@tests/run.sh $(O)

check-man:
	@command -v mandoc >/dev/null || scripts/install-deps.sh
	@for m in $(MAN); do \
		out=$$(mandoc -Tlint -W warning $$m 2>&1); \
		if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; \
	done; echo "mandoc -Tlint: $(words $(MAN)) pages clean"

check-format:
	@clang-format --dry-run -Werror $(FORMAT_SRC) && \
		echo "clang-format: $(words $(FORMAT_SRC)) files clean"

check-layout:
	@scripts/check-layout.sh

check-asan:
	@$(MAKE) --no-print-directory O=build/asan SAN=1 test

# One step after the other, each step's build on every CPU (MAKEFLAGS).
check:
	@$(MAKE) --no-print-directory check-man check-format check-layout
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory check-asan
	@$(MAKE) --no-print-directory check-fault

format:
	clang-format -i $(FORMAT_SRC)

# Regenerate the golden outputs of the end-to-end tests (review the diff).
golden: all
	@GOLDEN=1 tests/run.sh $(O)

include tests/fault/fault.mk

# ---- demo, bench, install ---------------------------------------------------

demo: all
	@scripts/demo.sh $(O)/bin

bench: all
	@for b in scripts/bench-*.sh; do $$b || exit 1; done

# Binaries, manual pages, bash completion, and share/crmkit: rules, kb.csv
# and examples/ (see scripts/install.sh).
install: all
	scripts/install.sh $(O) "$(DESTDIR)" $(PREFIX)

clean:
	rm -rf build

.PHONY: all test check check-man check-format check-layout check-asan format golden demo \
	bench install clean
.SECONDARY:
