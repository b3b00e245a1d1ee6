#!/bin/bash
# mkinitramfs.sh OUT.cpio.gz KERNEL_ROOT RESCUE_BIN [DEFS_DIR]
#
# Builds the rescue initramfs: BusyBox (static) with its applet links, the
# static rescue binary, /init, the kernel modules of modules.list with their
# dependency closure (resolved by depmod/modprobe against KERNEL_ROOT, the
# tree fetch-kernel.sh unpacked), terminfo entries for the shell, and, if
# given, DEFS_DIR's signed *.rdefs bundles (the image's own definitions) and
# its *.yar/*.yara files as built-in extra rules. The archive is
# cpio newc, compressed with xz (the kernel's CRC32 check), with sorted names
# and fixed timestamps so that equal inputs give an equal file.
set -euo pipefail

die() { echo "mkinitramfs: $*" >&2; exit 1; }

[ $# -ge 3 ] && [ $# -le 4 ] || die "usage: mkinitramfs.sh OUT.cpio.gz KERNEL_ROOT RESCUE_BIN [DEFS_DIR]"
out=$1 kroot=$2 rescue=$3 defs=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
busybox=${BUSYBOX:-/bin/busybox}

[ -x "$rescue" ] || die "'$rescue' is not an executable (build the rescue binary first)"
[ -x "$busybox" ] || die "'$busybox' not found (apt-get install busybox-static)"
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' || die "'$busybox' is not static (apt-get install busybox-static)"
if file -L "$rescue" 2>/dev/null | grep -q 'dynamically linked'; then
	die "'$rescue' is dynamically linked; the initramfs has no shared libraries"
fi
for t in depmod modprobe cpio xz; do
	command -v "$t" >/dev/null || die "'$t' not found (apt-get install kmod cpio xz-utils)"
done
[ -z "$defs" ] || [ -d "$defs" ] || die "'$defs' is not a directory"

version=$(ls "$kroot/lib/modules" 2>/dev/null | head -n 1)
[ -n "$version" ] && [ -d "$kroot/lib/modules/$version/kernel" ] ||
	die "no kernel modules under '$kroot/lib/modules' (run image/fetch-kernel.sh first)"

work=$(mktemp -d "${TMPDIR:-/tmp}/mkinitramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/tree

# --- module closure -----------------------------------------------------------

# depmod writes into the tree it indexes: index a hard-linked copy, not the
# caller's KERNEL_ROOT.
mkdir -p "$work/k/lib/modules"
cp -al "$kroot/lib/modules/$version" "$work/k/lib/modules/" 2>/dev/null ||
	cp -a "$kroot/lib/modules/$version" "$work/k/lib/modules/"
rm -f "$work/k/lib/modules/$version"/modules.*.bin
depmod -b "$work/k" "$version" || die "depmod on '$kroot' failed"

kmods=$work/k/lib/modules/$version
names=$(sed -e 's/#.*//' "$here/modules.list" | tr -s ' \t' '\n' | sed -e '/^$/d')
: >"$work/files"
for m in $names; do
	deps=$(modprobe -d "$work/k" -S "$version" -D "$m" 2>&1) || die "module '$m': $deps"
	echo "$deps" | sed -n -e 's/^insmod \([^ ]*\).*/\1/p' >>"$work/files"
done

mkdir -p "$tree/lib/modules/$version"
count=0
for f in $(sort -u "$work/files"); do
	rel=${f#"$kmods"/}
	mkdir -p "$tree/lib/modules/$version/$(dirname "$rel")"
	# Stored uncompressed: the archive's xz packs them better than one xz per
	# module does, and the kernel (slow under emulation) need not unpack each
	# one. The signature stays appended to the module, as lockdown wants.
	case $rel in
	*.ko.xz) xz -dc "$f" >"$tree/lib/modules/$version/${rel%.xz}" ;;
	*.ko.zst) zstd -qdc "$f" >"$tree/lib/modules/$version/${rel%.zst}" ;;
	*.ko.gz) gzip -dc "$f" >"$tree/lib/modules/$version/${rel%.gz}" ;;
	*) cp "$f" "$tree/lib/modules/$version/$rel" ;;
	esac
	count=$((count + 1))
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ -f "$kmods/$f" ] && cp "$kmods/$f" "$tree/lib/modules/$version/"
done
depmod -b "$tree" "$version" || die "depmod on the initramfs tree failed"

# --- the rest of the tree -----------------------------------------------------

mkdir -p "$tree"/{bin,dev,proc,sys,run,tmp,mnt,data,root,etc/rescue,usr/share}
chmod 1777 "$tree/tmp"
ln -s bin "$tree/sbin"
ln -s ../bin "$tree/usr/bin"
ln -s ../bin "$tree/usr/sbin"

cp "$busybox" "$tree/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || [ -e "$tree/bin/$applet" ] || ln -s busybox "$tree/bin/$applet"
done
cp "$rescue" "$tree/bin/rescue"
chmod 0755 "$tree/bin/rescue"
install -m 0755 "$here/init" "$tree/init"
sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/modules.list" >"$tree/etc/rescue/modules.list"

if [ -n "$defs" ]; then
	# Signed bundles (*.rdefs) are the image's own definitions, its floor;
	# YARA sources are extra rules for development images.
	mkdir -p "$tree/etc/rescue/definitions" "$tree/etc/rescue/defs"
	find "$defs" -maxdepth 1 -type f \( -name '*.yar' -o -name '*.yara' \) \
		-exec cp {} "$tree/etc/rescue/definitions/" \;
	find "$defs" -maxdepth 1 -type f -name '*.rdefs' \
		-exec cp {} "$tree/etc/rescue/defs/" \;
fi

# Terminal descriptions for a full-screen program on the console or a serial
# line (ncurses looks in /lib/terminfo).
for t in l/linux v/vt100 v/vt102 v/vt220 x/xterm x/xterm-256color x/xterm-color s/screen s/screen-256color d/dumb a/ansi; do
	for base in /lib/terminfo /usr/share/terminfo; do
		if [ -f "$base/$t" ]; then
			mkdir -p "$tree/lib/terminfo/${t%/*}"
			cp "$base/$t" "$tree/lib/terminfo/$t"
			break
		fi
	done
done

echo 'root:x:0:0:root:/root:/bin/sh' >"$tree/etc/passwd"
echo 'root:x:0:' >"$tree/etc/group"
cat >"$tree/etc/profile" <<'PROFILE'
export PATH=/bin HOME=/root
case $(tty 2>/dev/null) in /dev/ttyS*) export TERM=vt220 ;; esac
PS1='rescue:\w\$ '
PROFILE

# /dev/console must exist before /init mounts devtmpfs, or the kernel starts
# /init without stdin, stdout and stderr.
mknod -m 600 "$tree/dev/console" c 5 1 || die "mknod /dev/console failed (run as root)"
mknod -m 666 "$tree/dev/null" c 1 3 || die "mknod /dev/null failed"

# --- archive ------------------------------------------------------------------

epoch=${SOURCE_DATE_EPOCH:-0}
find "$tree" -exec touch -h -d "@$epoch" {} +
mkdir -p "$(dirname "$out")"
(cd "$tree" && find . -print0 | LC_ALL=C sort -z |
	cpio --null --create --format=newc --owner=0:0 --reproducible --quiet) |
	xz --check=crc32 -9 --threads=1 >"$out.tmp"
mv "$out.tmp" "$out"

size=$(stat -c %s "$out")
echo "mkinitramfs: $out: $((size / 1024)) KiB ($count modules, kernel $version)"
