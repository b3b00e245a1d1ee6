#!/bin/sh
# Regenerates the seed corpus of fuzz_defs (tests/fuzz/corpus/defs/): real
# bundles made by `rescue defs build`, signed with the published key of
# RFC 8032 section 7.1 test 1 that fuzz_defs trusts (its private half is in
# the RFC, so it signs nothing anyone should trust), one signed with the
# development key (unknown to the fuzzer), and a small hand-made bundle for
# another YARA version, re-signed with openssl.
# Usage: tests/fuzz/make-defs-corpus.sh   (from the repository root, after
# `make rescue`; needs openssl and python3)
set -eu
out=tests/fuzz/corpus/defs
rescue=out/rescue
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

# RFC 8032 7.1 test 1, as PKCS#8 DER: a fixed prefix and the secret.
printf '%s%s' 302e020100300506032b657004220420 \
	9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60 |
	xxd -r -p | openssl pkey -inform DER -out "$tmp/rfc.key"

printf 'rule one { strings: $a = "hello world" condition: $a }\n' \
	> "$tmp/one.yar"
cat > "$tmp/mods.yar" <<'YAR'
import "pe"
import "math"
rule ext {
    strings: $a = "MZ-test-xyz"
    condition: $a and extension == "exe" and filetype == "MBR" and
        (pe.number_of_sections > 1 or math.entropy(0, filesize) > 7.0)
}
YAR

$rescue defs build rescue/definitions --set core --version 1 \
	--key "$tmp/rfc.key" -o "$out/core-v1.bundle"
$rescue defs build "$tmp/one.yar" --set x --version 2 \
	--key "$tmp/rfc.key" -o "$out/one-rule.bundle"
$rescue defs build "$tmp/mods.yar" --set community \
	--version 4611686018427387904 --key "$tmp/rfc.key" \
	-o "$out/modules.bundle"
$rescue defs build "$tmp/one.yar" --set shop --version 3 \
	--key out/keys/development.key -o "$out/dev-key.bundle"

# The one-rule bundle claiming YARA 4.2.4, validly re-signed.
python3 - "$out/one-rule.bundle" "$tmp/body" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[72:88] = b"4.2.4".ljust(16, b"\0")
open(sys.argv[2], "wb").write(b[:-64])
PY
openssl pkeyutl -sign -rawin -inkey "$tmp/rfc.key" -in "$tmp/body" \
	-out "$tmp/sig"
cat "$tmp/body" "$tmp/sig" > "$out/yara-4.2.4.bundle"
