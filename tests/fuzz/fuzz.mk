# tests/fuzz/fuzz.mk: the libFuzzer harnesses, included by the Makefile.
#
#   make -k -j2 fuzz [FUZZ_TIME=600] [FUZZ_MERGE=1] [FUZZ=csv jsonl ...]
#	build every harness with clang (ASan, UBSan, libFuzzer) into
#	build/fuzz and run each for FUZZ_TIME seconds, two at a time (-k:
#	a harness that found something does not stop the others); new
#	inputs go to build/fuzz/work/NAME, crashes to
#	build/fuzz/artifacts/NAME; FUZZ_MERGE=1 merges the new inputs into
#	the committed corpus tests/fuzz/corpus/NAME.  See tests/fuzz/README.
#   make fuzz-build	only build them
#   make fuzz-replay	the replay programs $(O)/tests/fuzz_NAME (the
#	build's own compiler and flags), which make test runs over each
#	committed corpus (tests/cli/t002-fuzz-replay.sh): no random runs.

FUZZ_ALL  = csv tsv jsonl norm rules rulesfile journey mask audit calendar arms answer entity model_text model_binclf \
	    model_reco model_dedupe model_params model_tag dedupe_links
FUZZ	 ?= $(FUZZ_ALL)
FUZZ_TIME ?= 600
FUZZ_MERGE ?= 0
FUZZ_CC	 ?= clang
FUZZ_O	  = build/fuzz
FUZZ_SAN  = -fsanitize=address,undefined -fno-sanitize-recover=all \
	    -fno-omit-frame-pointer
FUZZ_CFLAGS = -O1 -g $(FUZZ_SAN)
FUZZ_DEFS ?=	# extra -D flags for the harnesses
FUZZ_WARN = $(filter-out -Werror,$(WARN))
FUZZ_HDR  = $(wildcard tests/fuzz/*.h)
FUZZ_LIBOBJ = $(LIBSRC:lib/%.c=$(FUZZ_O)/lib/%.o)

# Harnesses that stand in for a function of a library (see their comment).

# The longest input: a few records for the readers, a model file for the
# loaders.
FUZZ_MAXLEN = 65536
FUZZ_MAXLEN_model_text	 = 1048576
FUZZ_MAXLEN_model_binclf = 1048576
FUZZ_MAXLEN_model_reco	 = 1048576
FUZZ_MAXLEN_model_dedupe = 1048576
FUZZ_MAXLEN_model_params = 1048576

FUZZ_REPLAY = $(FUZZ_ALL:%=$(O)/tests/fuzz_%)

FORMAT_SRC += $(wildcard tests/fuzz/*.c tests/fuzz/*.h)

$(FUZZ_O)/lib/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_WARN) $(FUZZ_CFLAGS) \
		-fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_O)/libcrm.a: $(FUZZ_LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(FUZZ_LIBOBJ)

$(FUZZ_O)/bin/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_HDR) $(FUZZ_O)/libcrm.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) -Itests/fuzz $(FUZZ_DEFS) $(FUZZ_WARN) \
		$(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_O)/libcrm.a $(LDLIBS) \
		$(FUZZ_LDFLAGS_$*)

$(O)/tests/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FUZZ_HDR) \
		$(O)/libcrm.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/fuzz $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ \
		$< tests/fuzz/replay.c $(O)/libcrm.a $(LDLIBS) \
		$(FUZZ_LDFLAGS_$*)

fuzz-build: $(FUZZ:%=$(FUZZ_O)/bin/fuzz_%)

fuzz-replay: $(FUZZ_REPLAY)

fuzz: $(FUZZ:%=fuzz-run-%)

fuzz-run-%: $(FUZZ_O)/bin/fuzz_%
	@tests/fuzz/run.sh $* $(FUZZ_TIME) \
		$(or $(FUZZ_MAXLEN_$*),$(FUZZ_MAXLEN)) $(FUZZ_MERGE)

.PHONY: fuzz fuzz-build fuzz-replay
