#!/bin/sh
# Regenerates the seed corpus of fuzz_efi (tests/fuzz/corpus/efi/): a few
# EFI_LOAD_OPTIONs shaped like real Boot#### variables (the data only, as
# sc_efi_parse_load_option takes it, without the efivarfs attribute word).
# Usage: tests/fuzz/make-efi-corpus.sh   (from anywhere; POSIX sh + printf)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/corpus/efi"
mkdir -p "$out"

u8() { printf "\\$(printf %03o "$1")"; }
u16() { u8 $(($1 & 255)); u8 $((($1 >> 8) & 255)); }
u32() { u16 $(($1 & 65535)); u16 $((($1 >> 16) & 65535)); }
u64() { u32 $(($1 & 4294967295)); u32 $((($1 >> 32) & 4294967295)); }

# ASCII text as UTF-16LE, without the terminating NUL.
utf16() {
	for b in $(printf '%s' "$1" | od -An -v -tu1); do
		u8 "$b"
		u8 0
	done
}

# A GUID in its text form, written mixed-endian as EFI stores it.
guid() {
	h=$(printf '%s' "$1" | tr -d -)
	for i in 7 5 3 1 11 9 15 13 17 19 21 23 25 27 29 31; do
		u8 $((0x$(printf '%s' "$h" | cut -c"$i-$((i + 1))")))
	done
}

# Option header: attributes, FilePathListLength, description (NUL ended).
header() { u32 "$1"; u16 "$2"; utf16 "$3"; u16 0; }

# Device path nodes.
end() { printf '\177\377\004\000'; }
end_instance() { printf '\177\001\004\000'; }
pciroot() { u8 2; u8 1; u16 12; u32 0x0a0341d0; u32 "$1"; }
pci() { u8 1; u8 1; u16 6; u8 "$2"; u8 "$1"; }
sata() { u8 3; u8 18; u16 10; u16 "$1"; u16 65535; u16 0; }
nvme() { u8 3; u8 23; u16 16; u32 "$1"; u64 0; }
usb() { u8 3; u8 5; u16 6; u8 "$1"; u8 0; }
mac() { u8 3; u8 11; u16 37; printf '\122\124\000\022\064\126'; \
	i=0; while [ $i -lt 26 ]; do u8 0; i=$((i + 1)); done; u8 1; }
ipv4() { u8 3; u8 12; u16 27; i=0; while [ $i -lt 23 ]; do u8 0; \
	i=$((i + 1)); done; }
uri() { u8 3; u8 24; u16 $((4 + ${#1})); printf '%s' "$1"; }
hd_gpt() { u8 4; u8 1; u16 42; u32 "$1"; u64 "$2"; u64 "$3"; guid "$4"; \
	u8 2; u8 2; }
hd_mbr() { u8 4; u8 1; u16 42; u32 "$1"; u64 "$2"; u64 "$3"; u32 "$4"; \
	u32 0; u64 0; u8 1; u8 1; }
file() { u8 4; u8 4; u16 $((4 + 2 * ${#1} + 2)); utf16 "$1"; u16 0; }
fv() { u8 4; u8 7; u16 20; guid "$1"; }
fvfile() { u8 4; u8 6; u16 20; guid "$1"; }
venhw() { u8 1; u8 4; u16 20; guid "$1"; }

# An option: attributes, description, then the path list read from stdin
# (its length is measured), then optional data ($3, printf format).
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
option() {
	cat >"$tmp"
	header "$1" "$(wc -c <"$tmp")" "$2"
	cat "$tmp"
	printf "${3:-}"
}

part=0a2c1c2e-1e7b-4c3b-9e8f-3b8a2d0f4e11

{ hd_gpt 1 2048 204800 $part; file '\EFI\Microsoft\Boot\bootmgfw.efi'; end; } |
	option 1 "Windows Boot Manager" 'WINDOWS\000\001\000\000\000\210\000' \
	>"$out/windows-gpt"
{ hd_mbr 1 2048 1048576 0x1a2b3c4d; file '\EFI\BOOT\BOOTX64.EFI'; end; } |
	option 1 "UEFI OS" >"$out/fallback-mbr"
{ pciroot 0; pci 0x1f 2; sata 0; hd_gpt 2 1050624 1048576 $part
  file '\EFI\debian\shimx64.efi'; end; } |
	option 1 debian >"$out/debian-sata"
{ fv 7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1
  fvfile 7c04a583-9e3e-4f1c-ad65-e05268d0b4d1; end; } |
	option 0x109 "EFI Internal Shell" >"$out/fvfile-shell"
{ pciroot 0; pci 3 0; mac; ipv4; end; } |
	option 1 "UEFI PXEv4" >"$out/pxe-ipv4"
{ mac; uri "http://10.0.0.1/boot.efi"; end; } |
	option 1 "UEFI HTTP" >"$out/http-uri"
{ pciroot 0; pci 0x14 0; usb 3; nvme 1
  venhw 2d6447ef-3bc9-41a0-ac19-4d51d01b4ce6; end; } |
	option 1 "UEFI USB" >"$out/usb-nvme-venhw"
{ hd_gpt 1 2048 204800 $part; file '\EFI'; file 'BOOT\grubx64.efi'
  end_instance; file '\initrd'; end; } |
	option 1 "split path" >"$out/split-multi"
ls -l "$out"
