# The fault-injection build and loop (tests/fault/README), included by the
# Makefile.  The fault build links crm-ingest and crm-churn from the
# sanitizer build's objects (build/asan, as check-asan makes them) with
# every allocation of our own objects wrapped by tests/fault/fault.c, into
# build/fault/bin.  `make check-fault` runs a shorter loop (every N to 10,
# then every 211th; size limits by 128 KB), as `make check` does (about 200
# runs); `make check-fault-full` runs every N and every 4 KB (about 13,000
# runs).

FAULT_O	= build/fault
FAULT_FROM = build/asan
FAULT_BINS = crm-ingest crm-churn
FAULT_WRAP = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup

ifeq ($(FAULT),1)
$(FAULT_O)/fault.o: tests/fault/fault.c | $(O)/.deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

$(FAULT_O)/bin/%: $(O)/cmd/%.o $(O)/libcrm.a $(FAULT_O)/fault.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $(FAULT_WRAP) -o $@ $< $(O)/libcrm.a \
		$(FAULT_O)/fault.o $(LDLIBS)
endif

fault-build:
	@$(MAKE) --no-print-directory O=$(FAULT_FROM) SAN=1 \
		$(FAULT_FROM)/libcrm.a $(FAULT_BINS:%=$(FAULT_FROM)/cmd/%.o)
	@$(MAKE) --no-print-directory O=$(FAULT_FROM) SAN=1 FAULT=1 \
		FAULT_O=$(FAULT_O) $(FAULT_BINS:%=$(FAULT_O)/bin/%)

# Within `make check`, after check-asan: both make build/asan's objects.
ifneq ($(filter check,$(MAKECMDGOALS)),)
fault-build: check-asan
endif

check-fault: fault-build
	@FAULT_EVERY=10 FAULT_STRIDE=211 FAULT_BLOCKS=256 \
		tests/fault/run.sh $(FAULT_O)

check-fault-full: fault-build
	@tests/fault/run.sh $(FAULT_O)

.PHONY: fault-build check-fault check-fault-full
