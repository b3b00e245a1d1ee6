#!/bin/bash
# mkiso.sh OUT.iso KERNEL_ROOT INITRD
#
# Builds the hybrid rescue ISO (volume label RESCUE) that boots
#   - BIOS from CD: El Torito image made by grub-mkimage (i386-pc-eltorito);
#   - BIOS from a USB stick or disk: GRUB's boot_hybrid.img as the MBR, which
#     loads that same El Torito image;
#   - UEFI from CD or disk, Secure Boot included: a FAT image holding Debian's
#     signed shim as EFI/BOOT/BOOTX64.EFI and Debian's signed GRUB (gcdx64) as
#     EFI/BOOT/grubx64.efi, which boots the signed kernel of KERNEL_ROOT.
# Both GRUBs read boot/grub/grub.cfg (image/grub.cfg); the signed one finds
# the ISO by its /.disk/info file.
set -euo pipefail

die() { echo "mkiso: $*" >&2; exit 1; }

[ $# -eq 3 ] || die "usage: mkiso.sh OUT.iso KERNEL_ROOT INITRD"
out=$1 kroot=$2 initrd=$3
here=$(cd "$(dirname "$0")" && pwd)
label=${RESCUE_ISO_LABEL:-RESCUE}

shim=/usr/lib/shim/shimx64.efi.signed
mokmanager=/usr/lib/shim/mmx64.efi.signed
grub_efi=/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed
grub_pc=/usr/lib/grub/i386-pc

[ -f "$shim" ] && [ -f "$mokmanager" ] || die "'$shim' not found (apt-get install shim-signed)"
[ -f "$grub_efi" ] || die "'$grub_efi' not found (apt-get install grub-efi-amd64-signed)"
[ -f "$grub_pc/boot_hybrid.img" ] || die "'$grub_pc' not found (apt-get install grub-pc-bin)"
for t in grub-mkimage xorriso mkfs.vfat mmd mcopy; do
	command -v "$t" >/dev/null || die "'$t' not found (apt-get install grub-common xorriso dosfstools mtools)"
done
kernel=$(ls "$kroot"/boot/vmlinuz-* 2>/dev/null | head -n 1)
[ -n "$kernel" ] || die "no boot/vmlinuz-* under '$kroot' (run image/fetch-kernel.sh first)"
[ -f "$initrd" ] || die "'$initrd' not found (run initramfs/mkinitramfs.sh first)"
version=${kernel##*/vmlinuz-}

work=$(mktemp -d "${TMPDIR:-/tmp}/mkiso.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/boot/grub/i386-pc" "$root/.disk"

cp "$kernel" "$root/boot/vmlinuz"
cp "$initrd" "$root/boot/initrd.img"
cp "$here/grub.cfg" "$root/boot/grub/grub.cfg"
echo "Rescue scanner, kernel $version" >"$root/.disk/info"

# BIOS: a core image with what the menu needs built in, plus the module
# directory for anything loaded on demand.
grub-mkimage -O i386-pc-eltorito -d "$grub_pc" -p /boot/grub -o "$root/boot/grub/i386-pc/eltorito.img" \
	biosdisk iso9660 part_msdos part_gpt normal configfile linux serial terminal echo test \
	search search_fs_file sleep halt reboot || die "grub-mkimage failed"
cp "$grub_pc"/*.mod "$grub_pc"/*.lst "$root/boot/grub/i386-pc/"

# Fixed dates (and, below, fixed IDs) make equal inputs give an equal ISO;
# mtools and xorriso take their "now" from SOURCE_DATE_EPOCH.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$kernel")}
export SOURCE_DATE_EPOCH

# UEFI: the FAT image, sized to its contents plus room for FAT metadata.
efi=$root/boot/efi.img
kib=$(du -kc "$shim" "$mokmanager" "$grub_efi" | tail -n 1 | cut -f 1)
kib=$(((kib + 512 + 63) / 64 * 64))
mkfs.vfat --invariant -C -n RESCUE_EFI "$efi" "$kib" >/dev/null || die "mkfs.vfat of the EFI image failed"
mmd -i "$efi" ::/EFI ::/EFI/BOOT
mcopy -m -i "$efi" "$shim" ::/EFI/BOOT/BOOTX64.EFI
mcopy -m -i "$efi" "$grub_efi" ::/EFI/BOOT/grubx64.efi
mcopy -m -i "$efi" "$mokmanager" ::/EFI/BOOT/mmx64.efi

epoch=$SOURCE_DATE_EPOCH
find "$root" -exec touch -h -d "@$epoch" {} +
mkdir -p "$(dirname "$out")"
xorriso -as mkisofs -quiet -o "$out.tmp" -V "$label" -iso-level 3 -J -joliet-long -R \
	--modification-date="$(date -u -d "@$epoch" +%Y%m%d%H%M%S00)" \
	-b boot/grub/i386-pc/eltorito.img -no-emul-boot -boot-load-size 4 -boot-info-table \
	--grub2-boot-info --grub2-mbr "$grub_pc/boot_hybrid.img" \
	-eltorito-alt-boot -e boot/efi.img -no-emul-boot -efi-boot-part --efi-boot-image \
	--protective-msdos-label \
	"$root" 2>"$work/xorriso.log" || { cat "$work/xorriso.log" >&2; die "xorriso failed"; }
mv "$out.tmp" "$out"

size=$(stat -c %s "$out")
echo "mkiso: $out: $((size / 1024 / 1024)) MiB ($size bytes), kernel $version, label $label"
