#!/bin/sh
# The one entry point: installs what is missing, builds, tests, runs.
#
#   ./build.sh          build out/rescue (static) and out/rescue.iso
#   ./build.sh demo     build, make a demo disk, boot the ISO in QEMU on this
#                       terminal and run the unattended scan
#   ./build.sh test     build and run every test (unit, CLI, QEMU boot);
#                       the exit status is the verdict
#   ./build.sh deps     only install the Debian packages the others need
#   ./build.sh bench    benchmark rescue scan against yara and a plain read
#
# Stages run through make and are skipped when up to date. Warnings are
# errors (DEVELOPER=1). Set JOBS to change make's parallelism.
set -eu

cd "$(dirname "$0")"

# Debian bookworm packages, by stage.
PKGS_BUILD="gcc make libc6-dev pkg-config libyara-dev libjansson-dev libssl-dev
 libmagic-dev zlib1g-dev libbz2-dev liblzma-dev libblkid-dev libarchive-dev
 nettle-dev libncurses-dev openssl"
PKGS_TEST="libcmocka-dev python3 python3-pytest python3-pexpect yara musl-tools
 util-linux fdisk dosfstools mtools ntfs-3g e2fsprogs exfatprogs exfat-fuse
 btrfs-progs clang libclang-rt-14-dev p7zip-full tmux python3-pyte"
PKGS_IMAGE="busybox-static kmod cpio gzip xz-utils apt grub-pc-bin
 grub-efi-amd64-bin grub-efi-amd64-signed shim-signed xorriso
 qemu-system-x86 ovmf"
PKGS_BENCH="bc"

say() { printf '==> %s\n' "$*"; }

missing() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || printf '%s\n' "$p"
	done
}

install_deps() {
	# shellcheck disable=SC2086
	need=$(missing $PKGS_BUILD $PKGS_TEST $PKGS_IMAGE "$@")
	[ -z "$need" ] && return 0
	say "installing: $(echo $need)"
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			SUDO=sudo
		else
			echo "build.sh: need root (or sudo) to install: $need" >&2
			exit 2
		fi
	else
		SUDO=
	fi
	$SUDO apt-get update -q
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
		--no-install-recommends $need
}

JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
MAKE="make -j$JOBS DEVELOPER=1"

cmd=${1:-build}
case $cmd in
build)
	install_deps
	$MAKE all
	say "built out/rescue and out/rescue.iso ($(du -h out/rescue.iso | cut -f1))"
	;;
demo)
	install_deps
	$MAKE all disks
	exec sh image/demo.sh out/rescue.iso out/disks
	;;
test)
	install_deps
	$MAKE rescue unit
	say "unit tests"
	$MAKE test-unit
	say "portability: our sources against musl's headers"
	$MAKE musl-check
	say "fuzzing each parser briefly"
	$MAKE fuzz-run FUZZ_TIME=10
	say "CLI tests"
	$MAKE test-cli
	say "boot tests (QEMU)"
	$MAKE test-boot
	say "all tests passed"
	;;
deps)
	install_deps $PKGS_BENCH
	;;
bench)
	install_deps $PKGS_BENCH
	$MAKE rescue
	shift
	exec sh tests/bench/scan-vs-yara.sh "$@"
	;;
*)
	echo "usage: ./build.sh [build|demo|test|deps|bench]" >&2
	exit 2
	;;
esac
