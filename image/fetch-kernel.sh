#!/bin/sh
# fetch-kernel.sh OUTDIR
#
# Unpacks Debian's signed 6.12 kernel (the package behind the
# linux-image-6.12-amd64 metapackage) into OUTDIR, without installing it on
# the host. OUTDIR then holds boot/vmlinuz-VERSION and lib/modules/VERSION/.
# Prints the kernel version on stdout. Does nothing when OUTDIR already holds
# a complete unpack of the resolved version.
#
# Environment: RESCUE_KERNEL_META overrides the metapackage name.
set -eu

die() { echo "fetch-kernel: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: fetch-kernel.sh OUTDIR"
out=$1
meta=${RESCUE_KERNEL_META:-linux-image-6.12-amd64}

command -v apt-cache >/dev/null || die "apt-cache not found (Debian host required)"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found"

# The metapackage depends on exactly one versioned image package.
resolve() {
	apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1
}
pkg=$(resolve)
if [ -z "$pkg" ]; then
	echo "fetch-kernel: '$meta' unknown to apt, running apt-get update" >&2
	apt-get update -qq >&2 || die "apt-get update failed"
	pkg=$(resolve)
fi
[ -n "$pkg" ] || die "cannot resolve the package behind '$meta' (is bookworm-security in sources?)"
version=${pkg#linux-image-}

if [ -f "$out/boot/vmlinuz-$version" ] && [ -f "$out/.fetched-$version" ]; then
	echo "$version"
	exit 0
fi

# apt-get download drops privileges to _apt; a world-writable scratch dir
# avoids its "unsandboxed download" warning.
tmp=$(mktemp -d /tmp/fetch-kernel.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
chmod 0777 "$tmp"
# A stale package list names a version the archive no longer has: refresh
# the list once and retry.
if ! ( cd "$tmp" && apt-get download -q "$pkg" >&2 ); then
	echo "fetch-kernel: download failed, running apt-get update and retrying" >&2
	apt-get update -qq >&2 || die "apt-get update failed"
	pkg=$(resolve)
	[ -n "$pkg" ] || die "cannot resolve the package behind '$meta'"
	version=${pkg#linux-image-}
	( cd "$tmp" && apt-get download -q "$pkg" >&2 ) || die "apt-get download '$pkg' failed"
fi
deb=$(ls "$tmp"/*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || die "no .deb downloaded for '$pkg'"

rm -rf "$out"
mkdir -p "$out"
dpkg-deb -x "$deb" "$out" || die "cannot unpack '$deb'"
[ -f "$out/boot/vmlinuz-$version" ] || die "'$deb' holds no boot/vmlinuz-$version"
[ -d "$out/lib/modules/$version/kernel" ] || die "'$deb' holds no lib/modules/$version"
: > "$out/.fetched-$version"
echo "fetch-kernel: unpacked $pkg into $out" >&2
echo "$version"
