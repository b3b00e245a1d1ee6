#!/bin/bash
# mkdisks.sh OUTDIR
#
# Builds the QEMU test disks in userspace (the build host's kernel need not
# mount NTFS or FAT):
#
#   suspect.img  MBR disk: p1 NTFS, p2 FAT32, p3 ext4, each holding planted
#                samples in nested directories plus clean files; p4 an ext4
#                filesystem cut short (it claims more blocks than its
#                partition: the kernel refuses it, the report must say so);
#                the MBR boot-code area carries the boot-area test marker.
#   data.img     MBR disk whose one FAT32 partition is labelled RESCUEDATA:
#                definitions/extra.yar (one extra rule, unsigned: loaded only
#                with rescue.unsigned_rules=1), defs/ (a definitions store:
#                a newer core set, the shop set with a tampered newer
#                version) and an empty reports/.
#   expected.json  what was planted where, read by tests/boot/.
#   cov-*.img, cov-expected.json  the coverage disks, made by
#                mkdisks_coverage.py (see there).
#
# Needs: sfdisk (fdisk), mkntfs + ntfs-3g or ntfscp (ntfs-3g), mkfs.vfat
# (dosfstools), mmd/mcopy (mtools), mke2fs (e2fsprogs); for the coverage
# disks also mkfs.exfat (exfatprogs), mount.exfat-fuse (exfat-fuse),
# mkfs.btrfs (btrfs-progs), debugfs, losetup, python3, and root.
set -euo pipefail

die() { echo "mkdisks: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: mkdisks.sh OUTDIR"
out=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
for t in sfdisk mkntfs mkfs.vfat mmd mcopy mke2fs; do
	command -v "$t" >/dev/null || die "'$t' not found (apt-get install fdisk ntfs-3g dosfstools mtools e2fsprogs)"
done

mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/mkdisks.XXXXXX")
fusedir=
cleanup() {
	if [ -n "$fusedir" ] && mountpoint -q "$fusedir" 2>/dev/null; then umount "$fusedir" || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

# Sizes in MiB. FAT32 needs >= 65525 clusters: 40 MiB with 512-byte clusters.
ntfs_mib=16 fat_mib=40 ext_mib=16 broken_mib=4 data_mib=40

# The EICAR test string, assembled here so that this script is not itself a
# detection.
eicar_a='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STA'
eicar_b='NDARD-ANTIVIRUS-TEST-FILE!$H+H*'
marker_file='RESCUE-TEST-MARKER''-FILE'
marker_mbr='RESCUE-TEST-MARKER''-MBR'
marker_extra='RESCUE-TEST-EXTRA''-RULE'

# Sample trees, one per partition. Each planted sample is listed in
# $work/planted-N as "KIND PATH" (path relative to the filesystem root).
plant() { # plant PART KIND RELPATH CONTENT
	local part=$1 kind=$2 rel=$3 content=$4
	mkdir -p "$work/tree$part/$(dirname "$rel")"
	printf '%s' "$content" > "$work/tree$part/$rel"
	echo "$kind $rel" >> "$work/planted-$part"
}
clean() { # clean PART RELPATH CONTENT
	mkdir -p "$work/tree$1/$(dirname "$2")"
	printf '%s\n' "$3" > "$work/tree$1/$2"
	echo "clean $2" >> "$work/planted-$1"
}

for p in 1 2 3; do : > "$work/planted-$p"; mkdir -p "$work/tree$p"; done

# p1: NTFS, laid out like a Windows system volume.
plant 1 eicar  'Users/Public/Downloads/eicar.com' "$eicar_a$eicar_b"
plant 1 marker 'Users/alice/AppData/Roaming/Updater/payload.bin' "MZ xx $marker_file xx"
plant 1 marker 'ProgramData/Deep/Nested/Dir/Tree/marker.dat' "xx $marker_file xx"
clean 1 'Users/alice/Documents/letter.txt' 'Dear Bob, nothing to see here.'
clean 1 'Windows/System32/drivers/etc/hosts' '127.0.0.1 localhost'

# p2: FAT32, like a camera card or USB stick.
plant 2 eicar  'DCIM/100CAM/eicar.com' "$eicar_a$eicar_b"
plant 2 marker 'Documents/Invoices/invoice.pdf.exe' "xx $marker_file xx"
plant 2 extra  'Documents/shop-extra.txt' "order 42: $marker_extra"
clean 2 'DCIM/100CAM/readme.txt' 'holiday pictures'
clean 2 'Documents/notes.txt' 'shopping list: milk, bread'

# p3: ext4, like a Linux home partition.
plant 3 eicar  'home/user/.cache/eicar.txt' "$eicar_a$eicar_b"
plant 3 marker 'home/user/Downloads/archive/inner/marker.sh' "#!/bin/sh
# $marker_file
"
plant 3 marker 'srv/data/Zürich/ünïcode-marker.txt' "xx $marker_file xx"
clean 3 'home/user/notes.md' '# notes'
clean 3 'etc/motd' 'welcome'
head -c 65536 /dev/urandom > "$work/tree3/home/user/random.bin"
echo "clean home/user/random.bin" >> "$work/planted-3"

# --- filesystems -----------------------------------------------------------

sect_per_mib=2048
p1_start=2048
p2_start=$((p1_start + ntfs_mib * sect_per_mib))
p3_start=$((p2_start + fat_mib * sect_per_mib))
p4_start=$((p3_start + ext_mib * sect_per_mib))
total_mib=$((1 + ntfs_mib + fat_mib + ext_mib + broken_mib))

# NTFS: mkntfs on a file, filled through ntfs-3g (FUSE) when it can mount,
# else with ntfscp, which cannot create directories: then the tree is
# flattened into the root and the manifest says so.
truncate -s "${ntfs_mib}M" "$work/p1.img"
mkntfs -F -f -q -L SUSPECT_NTFS -p "$p1_start" -H 255 -S 63 "$work/p1.img" >/dev/null 2>&1 ||
	die "mkntfs failed"
fusedir=$work/fuse
mkdir -p "$fusedir"
if command -v ntfs-3g >/dev/null && ntfs-3g -o rw "$work/p1.img" "$fusedir" 2>/dev/null; then
	cp -r "$work/tree1/." "$fusedir/"
	umount "$fusedir"
else
	command -v ntfscp >/dev/null || die "neither ntfs-3g (FUSE) nor ntfscp can fill the NTFS image"
	echo "mkdisks: no FUSE for ntfs-3g, planting NTFS samples flat with ntfscp" >&2
	flat=$work/planted-1.flat
	: > "$flat"
	while read -r kind rel; do
		name=$(echo "$rel" | tr / _)
		ntfscp -f "$work/p1.img" "$work/tree1/$rel" "$name" >/dev/null || die "ntfscp '$rel' failed"
		echo "$kind $name" >> "$flat"
	done < "$work/planted-1"
	mv "$flat" "$work/planted-1"
fi

# FAT32 with 512-byte clusters so that 40 MiB is enough.
truncate -s "${fat_mib}M" "$work/p2.img"
mkfs.vfat -F 32 -s 1 -n SUSPECT_FAT -h "$p2_start" "$work/p2.img" >/dev/null || die "mkfs.vfat failed"
( cd "$work/tree2" && find . -mindepth 1 -type d | sort ) | while read -r d; do
	mmd -i "$work/p2.img" "::/${d#./}" || die "mmd '$d' failed"
done
( cd "$work/tree2" && find . -type f | sort ) | while read -r f; do
	mcopy -i "$work/p2.img" "$work/tree2/${f#./}" "::/${f#./}" || die "mcopy '$f' failed"
done

# ext4 straight from the tree.
truncate -s "${ext_mib}M" "$work/p3.img"
mke2fs -q -F -t ext4 -L suspect_ext4 -d "$work/tree3" "$work/p3.img" || die "mke2fs failed"

# The truncated one: made for twice its partition, copied in part.
truncate -s "$((broken_mib * 2))M" "$work/p4.img"
mke2fs -q -F -t ext4 -L truncated "$work/p4.img" || die "mke2fs failed"

# --- suspect.img ------------------------------------------------------------

img=$work/suspect.img
truncate -s "${total_mib}M" "$img"
sfdisk -q "$img" <<SFDISK || die "sfdisk on suspect.img failed"
label: dos
label-id: 0x5e5c7e57
start=$p1_start, size=$((ntfs_mib * sect_per_mib)), type=7
start=$p2_start, size=$((fat_mib * sect_per_mib)), type=c
start=$p3_start, size=$((ext_mib * sect_per_mib)), type=83
start=$p4_start, size=$((broken_mib * sect_per_mib)), type=83
SFDISK
dd if="$work/p1.img" of="$img" bs=512 seek="$p1_start" conv=notrunc status=none
dd if="$work/p2.img" of="$img" bs=512 seek="$p2_start" conv=notrunc status=none
dd if="$work/p3.img" of="$img" bs=512 seek="$p3_start" conv=notrunc status=none
dd if="$work/p4.img" of="$img" bs=512 seek="$p4_start" count=$((broken_mib * sect_per_mib)) conv=notrunc status=none
# The marker goes into the boot-code area (bytes 0..439), at offset 0x100.
mbr_offset=256
printf 'xx %s xx' "$marker_mbr" | dd of="$img" bs=1 seek="$mbr_offset" conv=notrunc status=none

# --- data.img ---------------------------------------------------------------

truncate -s "${data_mib}M" "$work/d1.img"
mkfs.vfat -F 32 -s 1 -n RESCUEDATA -h 2048 "$work/d1.img" >/dev/null || die "mkfs.vfat (data) failed"
cat > "$work/extra.yar" <<YARA
// Extra rule shipped on the RESCUEDATA partition (boot tests).
rule Shop_Extra_Rule
{
    meta:
        description = "test rule loaded from RESCUEDATA/definitions"
    strings:
        \$a = "$marker_extra"
    condition:
        \$a
}
YARA
mmd -i "$work/d1.img" ::/definitions ::/reports
mcopy -i "$work/d1.img" "$work/extra.yar" ::/definitions/extra.yar

# The definitions store (rescue defs install's layout), signed with the
# development key the test image trusts:
#   core v2  newer than the image's own core (v1): must be used;
#   shop v1  the shop's rule set; shop v2, marked active, is tampered: it
#            must be refused and v1 used instead.
rescue_bin=${RESCUE:-$root/out/rescue}
defs_key=${RESCUE_DEFS_KEY:-$root/out/keys/development.key}
[ -x "$rescue_bin" ] || die "need the rescue binary ($rescue_bin): build first"
[ -f "$defs_key" ] || die "need the development key ($defs_key): build first"
core_v=$(($(cat "$root/rescue/definitions/VERSION") + 1))
"$rescue_bin" defs build "$root/rescue/definitions" --set core --version "$core_v" \
	--key "$defs_key" -o "$work/core.rdefs" >/dev/null || die "defs build core failed"
"$rescue_bin" defs build "$work/extra.yar" --set shop --version 1 \
	--key "$defs_key" -o "$work/shop1.rdefs" >/dev/null || die "defs build shop failed"
"$rescue_bin" defs build "$work/extra.yar" --set shop --version 2 \
	--key "$defs_key" -o "$work/shop2.rdefs" >/dev/null || die "defs build shop failed"
# Tamper with v2: one byte inside its compiled rules.
printf 'X' | dd of="$work/shop2.rdefs" bs=1 seek=200 conv=notrunc status=none
printf '%s\n' "$core_v" >"$work/core.active"
printf '2\n' >"$work/shop.active"
mmd -i "$work/d1.img" ::/defs ::/defs/core ::/defs/shop
mcopy -i "$work/d1.img" "$work/core.rdefs" "::/defs/core/v$core_v.rdefs"
mcopy -i "$work/d1.img" "$work/core.active" ::/defs/core/active
mcopy -i "$work/d1.img" "$work/shop1.rdefs" ::/defs/shop/v1.rdefs
mcopy -i "$work/d1.img" "$work/shop2.rdefs" ::/defs/shop/v2.rdefs
mcopy -i "$work/d1.img" "$work/shop.active" ::/defs/shop/active
dimg=$work/data.img
truncate -s "$((data_mib + 1))M" "$dimg"
sfdisk -q "$dimg" <<SFDISK || die "sfdisk on data.img failed"
label: dos
label-id: 0xda7ada7a
start=2048, type=c
SFDISK
dd if="$work/d1.img" of="$dimg" bs=512 seek=2048 conv=notrunc status=none

# --- manifest ---------------------------------------------------------------

json_list() { # json_list PART: the planted entries as JSON objects
	local first=1 kind rel
	while read -r kind rel; do
		[ $first -eq 1 ] || printf ',\n'
		first=0
		printf '        {"kind": "%s", "path": "/%s"}' "$kind" "$rel"
	done < "$work/planted-$1"
	printf '\n'
}
{
	printf '{\n'
	printf '  "suspect": {\n'
	printf '    "file": "suspect.img",\n'
	printf '    "mbr_marker": {"offset": %d, "string": "%s"},\n' "$mbr_offset" "$marker_mbr"
	printf '    "partitions": [\n'
	printf '      {"number": 1, "fstype": "ntfs", "label": "SUSPECT_NTFS", "files": [\n'; json_list 1
	printf '      ]},\n'
	printf '      {"number": 2, "fstype": "vfat", "label": "SUSPECT_FAT", "files": [\n'; json_list 2
	printf '      ]},\n'
	printf '      {"number": 3, "fstype": "ext4", "label": "suspect_ext4", "files": [\n'; json_list 3
	printf '      ]},\n'
	printf '      {"number": 4, "fstype": "ext4", "label": "truncated", "mountable": false, "files": []}\n'
	printf '    ]\n'
	printf '  },\n'
	printf '  "data": {"file": "data.img", "partition": 1, "offset": %d, "label": "RESCUEDATA",\n' $((2048 * 512))
	printf '           "extra_rule": "Shop_Extra_Rule", "extra_string": "%s",\n' "$marker_extra"
	printf '           "store": {"core": %d, "shop": 1, "refused": ["/data/defs/shop/v2.rdefs"]}}\n' "$core_v"
	printf '}\n'
} > "$work/expected.json"

# The coverage disks (GPT/MBR/extended, ESP, exFAT, btrfs, hibernated NTFS,
# BitLocker, whole-disk filesystem, I/O errors): test_coverage.py.
/usr/bin/python3 "$(dirname "$0")/mkdisks_coverage.py" "$out" || die "mkdisks_coverage.py failed"

mv "$img" "$out/suspect.img"
mv "$dimg" "$out/data.img"
mv "$work/expected.json" "$out/expected.json"
echo "mkdisks: $out/suspect.img ($total_mib MiB), $out/data.img ($((data_mib + 1)) MiB), $out/expected.json"
