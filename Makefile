# The rescue scanner. build.sh drives this; `make help` lists the targets.
#
# Everything is built under out/. The scanner library is compiled twice:
# once for production (out/rescue, static) and once with SC_TEST_HOOKS for
# the test-only binary out/rescue-testhooks, which can crash or hang a worker
# on purpose. Production objects never see that define.

CC      ?= cc
OUT     := out
B       := $(OUT)/build
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Wvla -Wno-unused-parameter
STD     := -std=c11 -D_XOPEN_SOURCE=700
CFLAGS  ?= -O2 -g
ifeq ($(DEVELOPER),1)
WARN    += -Werror
endif
ALL_CFLAGS = $(STD) $(WARN) $(CFLAGS) -Iscanner/include -Iscanner -Iui

# libarchive only writes ZIP here (sc_zip_write). Of all that
# `pkg-config --static --libs libarchive` lists, that needs nettle (its
# crypto) and zlib. Its ZIP writer still references the table of every write
# format, xar's libxml2 (and with it ICU, some 30 MB) included: the static
# link drops those unused sections with --gc-sections instead.
STATIC_LIBS := -lncursesw -ltinfo -lblkid -lyara -lmagic -ljansson -larchive \
               -lnettle -lcrypto -lz -lbz2 -llzma -lm -ldl -pthread
DYN_LIBS    := -lblkid -lyara -ljansson -larchive -lcrypto -lm -pthread
UI_LIBS     := -lncursesw -ltinfo

SCANNER_SRC := $(wildcard scanner/*.c)
RESCUE_SRC  := $(wildcard rescue/*.c)
UI_SRC      := $(wildcard ui/*.c)
DEFS        := $(sort $(wildcard rescue/definitions/*.yar))

SCANNER_OBJ := $(SCANNER_SRC:%.c=$(B)/%.o)
RESCUE_OBJ  := $(RESCUE_SRC:%.c=$(B)/%.o) $(UI_SRC:%.c=$(B)/%.o) \
               $(B)/builtin-defs.o $(B)/trusted-keys.o

# Trusted definitions keys: the committed release keys, plus (DEV_KEY=1,
# the default) a development key made on first build for tests and demos.
DEV_KEY     ?= 1
DEV_KEYFILE := $(OUT)/keys/development.key
KEYS        := $(sort $(wildcard rescue/keys/*.pub)) \
               $(if $(filter 1,$(DEV_KEY)),$(OUT)/keys/development.pub)
TH_SCANNER_OBJ := $(SCANNER_SRC:%.c=$(B)/testhooks/%.o)

UNIT_SRC    := $(wildcard tests/unit/test_*.c)
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=$(OUT)/tests/%)

KERNEL_DIR  := $(OUT)/kernel
INITRD      := $(OUT)/initrd.img
ISO         := $(OUT)/rescue.iso

.PHONY: all rescue unit iso initramfs kernel test test-unit test-cli \
        test-boot disks musl-check clean help
.DELETE_ON_ERROR:

all: rescue iso

rescue: $(OUT)/rescue $(OUT)/rescue-testhooks

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/testhooks/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DSC_TEST_HOOKS -MMD -MP -c -o $@ $<

# The built-in definitions, embedded as C strings.
$(B)/builtin-defs.c: $(DEFS) rescue/gen-defs.sh
	@mkdir -p $(dir $@)
	sh rescue/gen-defs.sh $(DEFS) > $@

$(B)/builtin-defs.o: $(B)/builtin-defs.c
	$(CC) $(ALL_CFLAGS) -Irescue -c -o $@ $<

$(DEV_KEYFILE):
	@mkdir -p $(dir $@)
	umask 077 && openssl genpkey -algorithm ed25519 -out $@

$(OUT)/keys/development.pub: $(DEV_KEYFILE)
	openssl pkey -in $< -pubout -outform DER | tail -c 32 | \
		od -An -v -tx1 | tr -d ' \n' > $@

$(B)/trusted-keys.c: $(KEYS) rescue/gen-keys.sh
	@mkdir -p $(dir $@)
	sh rescue/gen-keys.sh $(KEYS) > $@

$(B)/trusted-keys.o: $(B)/trusted-keys.c
	$(CC) $(ALL_CFLAGS) -Irescue -c -o $@ $<

$(B)/libscanner.a: $(SCANNER_OBJ)
	$(AR) rcs $@ $^

$(B)/libscanner-testhooks.a: $(TH_SCANNER_OBJ)
	$(AR) rcs $@ $^

# Static libcrypto warns about getaddrinfo/dlopen in static binaries; those
# code paths (network engines) are never used here, so the warnings are
# filtered to keep the build output readable.
$(OUT)/rescue: $(RESCUE_OBJ) $(B)/libscanner.a
	@$(CC) $(CFLAGS) -static -Wl,--gc-sections -o $@ $(RESCUE_OBJ) \
		$(B)/libscanner.a $(STATIC_LIBS) 2> $(B)/link.log || \
		{ cat $(B)/link.log; exit 1; }
	@grep -v -e 'statically linked applications' -e 'in function' $(B)/link.log || true
	@echo "linked $@ (static)"

$(OUT)/rescue-testhooks: $(RESCUE_OBJ) $(B)/libscanner-testhooks.a
	$(CC) $(CFLAGS) -o $@ $(RESCUE_OBJ) $(B)/libscanner-testhooks.a $(DYN_LIBS) $(UI_LIBS)

# Unit tests link the library dynamically against cmocka (no static cmocka).
$(OUT)/tests/%: tests/unit/%.c $(B)/libscanner.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libscanner.a -lcmocka $(DYN_LIBS)

# A PE with a version resource, generated: no Windows binary is committed.
PE_FIXTURE := $(OUT)/tests/data/versioninfo.exe
$(PE_FIXTURE): tests/data/mkpe.py
	@mkdir -p $(dir $@)
	/usr/bin/python3 tests/data/mkpe.py $@

$(OUT)/tests/test_peinfo: $(PE_FIXTURE)
$(OUT)/tests/test_peinfo: private ALL_CFLAGS += \
	-DUNIT_PE_FIXTURE='"$(PE_FIXTURE)"'

unit: $(UNIT_BIN)

kernel: $(KERNEL_DIR)/.done
$(KERNEL_DIR)/.done: image/fetch-kernel.sh
	image/fetch-kernel.sh $(KERNEL_DIR)
	touch $@

# The image's own definitions, its floor: the built-in rules as a signed
# "core" bundle (version in rescue/definitions/VERSION), signed with
# SIGNING_KEY (the development key unless a release build names its own).
SIGNING_KEY ?= $(DEV_KEYFILE)
CORE_DEFS   := $(OUT)/defs/core.rdefs

$(CORE_DEFS): $(DEFS) rescue/definitions/VERSION $(OUT)/rescue $(SIGNING_KEY)
	@mkdir -p $(dir $@)
	$(OUT)/rescue defs build rescue/definitions --set core \
		--version $$(cat rescue/definitions/VERSION) --key $(SIGNING_KEY) -o $@

initramfs: $(INITRD)
$(INITRD): $(OUT)/rescue $(CORE_DEFS) $(KERNEL_DIR)/.done $(wildcard initramfs/*)
	initramfs/mkinitramfs.sh $@ $(KERNEL_DIR) $(OUT)/rescue $(OUT)/defs

iso: $(ISO)
$(ISO): $(INITRD) $(wildcard image/*)
	image/mkiso.sh $@ $(KERNEL_DIR) $(INITRD)

disks: $(OUT)/disks/.done
$(OUT)/disks/.done: tests/boot/mkdisks.sh tests/boot/mkdisks_coverage.py $(OUT)/rescue \
		$(DEV_KEYFILE) $(DEFS) rescue/definitions/VERSION
	tests/boot/mkdisks.sh $(OUT)/disks
	touch $@

# Every program runs even when one fails; the target fails at the end.
test-unit: unit
	@failed=; for t in $(UNIT_BIN); do echo "== $$t"; $$t || failed="$$failed $$t"; done; \
	if [ -n "$$failed" ]; then echo "failed:$$failed"; exit 1; fi

test-cli: rescue
	/usr/bin/python3 -m pytest -q tests/cli

test-boot: iso disks
	/usr/bin/python3 -m pytest -q tests/boot

test: test-unit test-cli test-boot

# Our own sources must stay portable C: compile them against musl's headers.
# The generated definitions file and the libyara/jansson/openssl/libarchive
# headers come from the system include dir, which musl-gcc leaves out, so
# those headers are reached through a private include dir of symlinks.
musl-check:
	@mkdir -p $(B)/musl-inc
	@for d in yara yara.h jansson.h jansson_config.h openssl blkid \
		archive.h archive_entry.h curses.h ncurses_dll.h unctrl.h; do \
		ln -sfn /usr/include/$$d $(B)/musl-inc/$$d; done
	@ln -sfn /usr/include/x86_64-linux-gnu/openssl/opensslconf.h $(B)/musl-inc/opensslconf.h
	@mkdir -p $(B)/musl-inc/openssl-arch/openssl
	@ln -sfn /usr/include/x86_64-linux-gnu/openssl/opensslconf.h $(B)/musl-inc/openssl-arch/openssl/opensslconf.h
	@ln -sfn /usr/include/x86_64-linux-gnu/openssl/configuration.h $(B)/musl-inc/openssl-arch/openssl/configuration.h
	@for f in $(SCANNER_SRC) $(RESCUE_SRC) $(UI_SRC); do \
		echo "musl-gcc -fsyntax-only $$f"; \
		musl-gcc $(STD) $(WARN) -Werror -Iscanner/include -Iscanner -Iui \
			-I$(B)/musl-inc/openssl-arch -I$(B)/musl-inc \
			-fsyntax-only $$f || exit 1; \
	done

clean:
	rm -rf $(B) $(OUT)/rescue $(OUT)/rescue-testhooks $(OUT)/tests \
		$(INITRD) $(ISO)

help:
	@echo "targets: all rescue unit iso initramfs kernel disks test test-unit"
	@echo "         test-cli test-boot musl-check clean"

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# Fuzz targets (libFuzzer, clang): each parser's fuzzer is built from the
# sources with ASan and UBSan, not from the gcc-built library. fuzz-run
# replays the committed crash reproducers, then fuzzes each target for
# FUZZ_TIME seconds over out/fuzz/corpus/NAME, seeded from (and never
# writing to) tests/fuzz/corpus/NAME; it fails on any crash, leak or hang.
FUZZ_CC      ?= clang
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all
FUZZ_TIME    ?= 20
FUZZ_NAMES   := layout efi defs
FUZZ_BIN     := $(FUZZ_NAMES:%=$(OUT)/fuzz/fuzz_%)
FUZZ_LAYOUT_SRC := $(wildcard scanner/part*.c scanner/bootcode.c) \
                   scanner/util.c scanner/error.c

.PHONY: fuzz fuzz-run

fuzz: $(FUZZ_BIN)

$(OUT)/fuzz/fuzz_layout: tests/fuzz/fuzz_layout.c $(FUZZ_LAYOUT_SRC) \
		$(wildcard scanner/*.h scanner/include/sc/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(STD) $(FUZZ_CFLAGS) -Iscanner/include -Iscanner -o $@ \
		tests/fuzz/fuzz_layout.c $(FUZZ_LAYOUT_SRC) -lcrypto

$(OUT)/fuzz/fuzz_efi: tests/fuzz/fuzz_efi.c scanner/efi.c scanner/util.c \
		$(wildcard scanner/*.h scanner/include/sc/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(STD) $(FUZZ_CFLAGS) -Iscanner/include -Iscanner -o $@ \
		tests/fuzz/fuzz_efi.c scanner/efi.c scanner/util.c -lcrypto

fuzz-run: fuzz
	@for n in $(FUZZ_NAMES); do \
		set -- tests/data/fuzz/crashes/$$n-*; \
		if [ -e "$$1" ]; then echo "== replaying $$*"; \
			$(OUT)/fuzz/fuzz_$$n "$$@" || exit 1; fi; \
		mkdir -p $(OUT)/fuzz/corpus/$$n $(OUT)/fuzz/artifacts/$$n; \
		cp tests/fuzz/corpus/$$n/* $(OUT)/fuzz/corpus/$$n/; \
		echo "== fuzz_$$n for $(FUZZ_TIME)s (log: $(OUT)/fuzz/fuzz_$$n.log)"; \
		if ! $(OUT)/fuzz/fuzz_$$n -max_total_time=$(FUZZ_TIME) -timeout=10 \
			-artifact_prefix=$(OUT)/fuzz/artifacts/$$n/ \
			$(OUT)/fuzz/corpus/$$n > $(OUT)/fuzz/fuzz_$$n.log 2>&1; then \
			tail -n 60 $(OUT)/fuzz/fuzz_$$n.log; exit 1; fi; \
		grep -E '^Done [0-9]+ runs' $(OUT)/fuzz/fuzz_$$n.log || true; \
	done

# defs.c takes sc_le32/sc_le64 from part.c, which brings the partition
# parsers along (FUZZ_LAYOUT_SRC); libyara is needed only for YR_VERSION,
# a header macro, so it is not linked.
$(OUT)/fuzz/fuzz_defs: tests/fuzz/fuzz_defs.c scanner/defs.c $(FUZZ_LAYOUT_SRC) \
		$(wildcard scanner/*.h scanner/include/sc/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(STD) $(FUZZ_CFLAGS) -Iscanner/include -Iscanner -o $@ \
		tests/fuzz/fuzz_defs.c scanner/defs.c $(FUZZ_LAYOUT_SRC) -lcrypto
