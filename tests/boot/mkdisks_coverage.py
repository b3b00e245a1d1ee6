#!/usr/bin/python3
"""mkdisks_coverage.py OUTDIR [--rescue BIN]

Builds the coverage test disks in userspace, plus cov-expected.json, the
manifest of everything planted (which disk, which partition, which file or
boot area, which rule must fire). tests/boot/test_coverage.py boots the ISO
with all of them attached and checks the report against the manifest.

  cov-gpt.img    GPT: p1 ESP (FAT32, a planted EFI loader and a clean
                 BOOTX64.EFI, a VBR marker in reserved sector 2), p2 NTFS,
                 p3 ext4, p4 exFAT, p5 btrfs, each with samples; gap markers
                 before p1, between p2 and p3 and after p5.
  cov-mbr.img    MBR: p1 primary FAT16, p2 extended holding p5 (ext4) and
                 p6 (NTFS) as logical partitions; a marker in the MBR code
                 area and one in the hidden gap between the first EBR and p5.
  cov-win.img    GPT, Windows-like: p1 an NTFS volume left hibernated
                 (hiberfil.sys starts with "hibr") with a sample; p2 a
                 BitLocker volume header (Windows 7 layout, FVE metadata
                 blocks where the header says) and p3 one with only the
                 boot-sector signature "-FVE-FS-" and noise: never mounted,
                 listed as encrypted.
  cov-bare.img   no partition table: ext4 on the whole disk, a sample in it
                 and a VBR marker in its unused boot block (bytes 512..1023).
  cov-ioerr.img  MBR, p1 ext4 with samples; cov-ioerr.blkdebug lists the
                 sectors QEMU's blkdebug fails (EIO): the data of one
                 sample file and the middle of the gap after p1.

Partition geometry is decided here and written to the manifest, so the tests
compare the scanner's layout with the table we wrote, not with itself. With
a rescue binary (default out/rescue, when present) the result is checked on
the host too: every marker must fall inside the boot area the manifest names
(`rescue disks --areas --json`) and `rescue scan --disk` must find it.

Needs (Debian): fdisk, dosfstools, mtools, ntfs-3g, e2fsprogs, exfatprogs,
exfat-fuse, btrfs-progs, util-linux (losetup); root for the exFAT loop+FUSE
mount and the ntfs-3g FUSE mount.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

MiB = 1024 * 1024
SECT = 512
S_PER_MIB = MiB // SECT

# Markers and the EICAR string are assembled so that this script is not
# itself a detection.
MARK_FILE = "RESCUE-TEST-MARKER" + "-FILE"
MARK_MBR = "RESCUE-TEST-MARKER" + "-MBR"
MARK_VBR = "RESCUE-TEST-MARKER" + "-VBR"
MARK_GAP = "RESCUE-TEST-MARKER" + "-GAP"
EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STA" + "NDARD-ANTIVIRUS-TEST-FILE!$H+H*"

RULE = {"eicar": "EICAR_Test_File", "marker": "Rescue_Test_Marker_File",
        "mbr": "Rescue_Test_Marker_MBR", "vbr": "Rescue_Test_Marker_VBR",
        "gap": "Rescue_Test_Marker_Gap"}

ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
BASIC_DATA = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"
LINUX_FS = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"


def die(msg):
    sys.stderr.write(f"mkdisks-coverage: {msg}\n")
    sys.exit(1)


def run(*args, **kw):
    kw.setdefault("check", True)
    kw.setdefault("stdout", subprocess.DEVNULL)
    try:
        return subprocess.run(args, **kw)
    except subprocess.CalledProcessError as e:
        die(f"{' '.join(args)} failed (status {e.returncode})")


def blank(path, mib):
    with open(path, "wb") as f:
        f.truncate(mib * MiB)


def poke(img, offset, data):
    with open(img, "r+b") as f:
        f.seek(offset)
        f.write(data)


def place(img, part_img, start_sector):
    """Copies part_img into img at start_sector (sparse-friendly: 1 MiB blocks, holes skipped)."""
    with open(part_img, "rb") as src, open(img, "r+b") as dst:
        pos = 0
        while True:
            block = src.read(MiB)
            if not block:
                break
            if block.count(0) != len(block):
                dst.seek(start_sector * SECT + pos)
                dst.write(block)
            pos += len(block)


class Tree:
    """A directory of files for one filesystem, and the manifest entries for them."""

    def __init__(self, root):
        self.root = root
        self.files = []
        os.makedirs(root, exist_ok=True)

    def add(self, kind, rel, content):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content.encode() if isinstance(content, str) else content)
        entry = {"kind": kind, "path": "/" + rel}
        if kind in RULE:
            entry["rule"] = RULE[kind]
        self.files.append(entry)
        return path

    def dirs(self):
        return sorted(os.path.relpath(os.path.join(d, n), self.root)
                      for d, ds, _ in os.walk(self.root) for n in ds)

    def regular(self):
        return sorted(os.path.relpath(os.path.join(d, n), self.root)
                      for d, _, fs in os.walk(self.root) for n in fs)


# --- filesystems --------------------------------------------------------------

def mk_fat(img, mib, label, tree, start, bits=32, volid=None, reserved=None):
    blank(img, mib)
    args = ["mkfs.vfat", "-F", str(bits), "-n", label, "-h", str(start)]
    args += ["-s", "1"]  # 512-byte clusters: FAT32 fits in 34 MiB, FAT16 in 8
    if volid:
        args += ["-i", volid]
    if reserved:
        args += ["-R", str(reserved)]
    run(*args, img)
    for d in tree.dirs():
        run("mmd", "-i", img, "::/" + d)
    for f in tree.regular():
        run("mcopy", "-i", img, os.path.join(tree.root, f), "::/" + f)


def mk_ext4(img, mib, label, tree, uuid):
    blank(img, mib)
    run("mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-L", label, "-U", uuid,
        "-E", "root_owner=0:0", "-d", tree.root, img)


def mk_btrfs(img, mib, label, tree, uuid):
    blank(img, mib)
    run("mkfs.btrfs", "-q", "-f", "-M", "-L", label, "-U", uuid, "--rootdir", tree.root, img,
        stderr=subprocess.DEVNULL)


def fuse_fill(mount_cmd, tree, work):
    """Mounts with mount_cmd + [dir], copies the tree in, unmounts; False when it cannot mount."""
    mnt = tempfile.mkdtemp(dir=work)
    if subprocess.run(mount_cmd + [mnt], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
        os.rmdir(mnt)
        return False
    try:
        for d in tree.dirs():
            os.makedirs(os.path.join(mnt, d), exist_ok=True)
        for f in tree.regular():
            shutil.copyfile(os.path.join(tree.root, f), os.path.join(mnt, f))
    finally:
        run("umount", mnt)
        os.rmdir(mnt)
    return True


def mk_ntfs(img, mib, label, tree, start, work, serial):
    blank(img, mib)
    run("mkntfs", "-F", "-f", "-q", "-L", label, "-p", str(start), "-H", "255", "-S", "63", img,
        stderr=subprocess.DEVNULL)
    # mkntfs takes no serial and seeds it from the clock: two volumes made in
    # the same second would share it. Set it in the boot sector and in its
    # backup (the last sector).
    for at in (0, mib * MiB - SECT):
        poke(img, at + 0x48, serial.to_bytes(8, "little"))
    if fuse_fill(["ntfs-3g", "-o", "rw", img], tree, work):
        return
    # No FUSE: ntfscp cannot make directories, so the samples go to the root.
    sys.stderr.write("mkdisks-coverage: no FUSE for ntfs-3g, planting NTFS samples flat with ntfscp\n")
    for entry in tree.files:
        flat = entry["path"].lstrip("/").replace("/", "_")
        run("ntfscp", "-f", img, os.path.join(tree.root, entry["path"].lstrip("/")), flat)
        entry["path"] = "/" + flat


def mk_exfat(img, mib, label, tree, work):
    blank(img, mib)
    run("mkfs.exfat", "-L", label, img)
    # No userspace copy tool for exFAT: a loop device and the FUSE driver.
    loop = subprocess.run(["losetup", "-f", "--show", img], check=True, capture_output=True,
                          text=True).stdout.strip()
    try:
        if not fuse_fill(["mount.exfat-fuse", loop], tree, work):
            die("mount.exfat-fuse failed (root, /dev/fuse and exfat-fuse are needed)")
    finally:
        run("losetup", "-d", loop)


def fs_serial(img, kind):
    """The volume serial mkntfs or mkfs.exfat chose (they take none), as
    blkid spells it: NTFS 16 hex digits, exFAT XXXX-XXXX."""
    with open(img, "rb") as f:
        boot = f.read(512)
    if kind == "ntfs":
        return f"{int.from_bytes(boot[0x48:0x50], 'little'):016X}"
    v = int.from_bytes(boot[100:104], "little")
    return f"{v >> 16:04X}-{v & 0xffff:04X}"


def sfdisk(img, script):
    run("sfdisk", "-q", img, input=script.encode())


def marker(text, pad=b"xx "):
    return pad + text.encode() + b" xx"


# --- the disks ----------------------------------------------------------------

def disk_gpt(out, work):
    """GPT: ESP, NTFS, gap, ext4, exFAT, btrfs, gap; the rest as in the module doc."""
    sizes = [("esp", 34), ("ntfs", 16), ("ext4", 8), ("exfat", 8), ("btrfs", 16)]
    start = {}
    pos = 2048
    for name, mib in sizes:
        if name == "ext4":
            pos += S_PER_MIB  # the 1 MiB gap between p2 and p3
        start[name] = pos
        pos += mib * S_PER_MIB
    last_end = pos
    total_mib = last_end // S_PER_MIB + 1
    total = total_mib * S_PER_MIB
    backup_entries = total - 33

    esp = Tree(f"{work}/gpt-esp")
    esp.add("marker", "EFI/evil/loader.efi", b"MZ\x90\x00" + marker(MARK_FILE) + b"\x00" * 64)
    esp.add("clean", "EFI/BOOT/BOOTX64.EFI", b"MZ\x90\x00PE\x00\x00 clean stand-in for a boot loader\n")
    esp.add("clean", "EFI/debian/grub.cfg", "configfile /boot/grub/grub.cfg\n")
    # Run by the EFI shell when a test boots OVMF with this disk alone: it
    # registers the planted loader as a boot entry (Boot0003, "review" for
    # the scanner) in that run's variable store, then powers off.
    esp.add("clean", "startup.nsh", "@echo -off\r\n"
            "bcfg boot add 3 fs0:\\EFI\\evil\\loader.efi \"Windows Update Helper\"\r\n"
            "reset -s\r\n")
    ntfs = Tree(f"{work}/gpt-ntfs")
    ntfs.add("marker", "Windows/Temp/dropper.exe", b"MZ" + marker(MARK_FILE))
    ntfs.add("eicar", "Users/carol/Downloads/eicar.com", EICAR)
    ntfs.add("clean", "Users/carol/Documents/report.txt", "quarterly figures\n")
    ext = Tree(f"{work}/gpt-ext4")
    ext.add("marker", "var/tmp/.hidden/implant.sh", "#!/bin/sh\n# " + MARK_FILE + "\n")
    ext.add("clean", "etc/hostname", "gpt-host\n")
    exf = Tree(f"{work}/gpt-exfat")
    exf.add("marker", "Camera/DCIM/clip.mov.exe", marker(MARK_FILE))
    exf.add("clean", "Camera/DCIM/readme.txt", "holiday clips\n")
    btr = Tree(f"{work}/gpt-btrfs")
    btr.add("marker", "home/dave/.local/bin/miner", marker(MARK_FILE))
    btr.add("eicar", "srv/eicar.txt", EICAR)
    btr.add("clean", "home/dave/todo.txt", "nothing\n")

    mk_fat(f"{work}/esp.img", 34, "ESP", esp, start["esp"], volid="1e5f0001")
    mk_ntfs(f"{work}/ntfs.img", 16, "GPT_NTFS", ntfs, start["ntfs"], work, 0x6C0E5A1D00000002)
    mk_ext4(f"{work}/ext4.img", 8, "gpt_ext4", ext, "5ca1ab1e-0000-4000-8000-000000000003")
    mk_exfat(f"{work}/exfat.img", 8, "GPT_EXFAT", exf, work)
    mk_btrfs(f"{work}/btrfs.img", 16, "gpt_btrfs", btr, "5ca1ab1e-0000-4000-8000-000000000005")

    img = f"{work}/cov-gpt.img"
    blank(img, total_mib)
    guids = [f"6c0e5a1d-0000-4000-8000-00000000000{i}" for i in range(1, 6)]
    types = [ESP_TYPE, BASIC_DATA, LINUX_FS, BASIC_DATA, LINUX_FS]
    names = ["EFI system partition", "Windows data", "Linux root", "Camera exFAT", "Linux home"]
    lines = ["label: gpt", "label-id: 6C0E5A1D-0000-4000-8000-0000000000AA", "first-lba: 34",
             f"last-lba: {backup_entries - 1}"]
    for i, (name, mib) in enumerate(sizes):
        lines.append(f"start={start[name]}, size={mib * S_PER_MIB}, type={types[i]}, "
                     f"uuid={guids[i]}, name=\"{names[i]}\"")
    sfdisk(img, "\n".join(lines) + "\n")
    for name, mib in sizes:
        place(img, f"{work}/{name}.img", start[name])

    # Boot-area markers: reserved sector 2 of the ESP (FAT32 leaves 2..5 unused),
    # and one marker in each gap.
    vbr_at = (start["esp"] + 2) * SECT + 16
    poke(img, vbr_at, marker(MARK_VBR))
    # fsck_all checks the ESP as it is on the disk, marker included.
    with open(img, "rb") as src, open(f"{work}/esp-on-disk.img", "wb") as dst:
        src.seek(start["esp"] * SECT)
        dst.write(src.read(34 * MiB))
    gaps = [(34, start["esp"] - 34),
            (start["ntfs"] + 16 * S_PER_MIB, S_PER_MIB),
            (last_end, backup_entries - last_end)]
    areas = [{"kind": "vbr", "area": "p1:vbr", "rule": RULE["vbr"], "offset": vbr_at}]
    for s, n in gaps:
        at = (s + 8) * SECT + 100
        poke(img, at, marker(MARK_GAP))
        areas.append({"kind": "gap", "area": f"gap@{s}+{n}", "rule": RULE["gap"], "offset": at,
                      "gap_start": s, "gap_sectors": n})

    parts = []
    fs = [("vfat", "ESP", "1E5F-0001", esp, ["ESP"]),
          ("ntfs", "GPT_NTFS", fs_serial(f"{work}/ntfs.img", "ntfs"), ntfs, []),
          ("ext4", "gpt_ext4", "5ca1ab1e-0000-4000-8000-000000000003", ext, []),
          ("exfat", "GPT_EXFAT", fs_serial(f"{work}/exfat.img", "exfat"), exf, []),
          ("btrfs", "gpt_btrfs", "5ca1ab1e-0000-4000-8000-000000000005", btr, [])]
    for i, (name, mib) in enumerate(sizes):
        fstype, label, uuid, tree, flags = fs[i]
        parts.append({"number": i + 1, "start": start[name], "sectors": mib * S_PER_MIB,
                      "type": types[i], "guid": guids[i], "name": names[i],
                      "filesystem": fstype, "label": label, "uuid": uuid,
                      "flags": flags, "volume_flags": flags, "esp": i == 0, "mounted": True,
                      "files": tree.files})
    shutil.move(img, f"{out}/cov-gpt.img")
    return {"file": "cov-gpt.img", "table": "gpt", "sectors": total,
            "disk_guid": "6C0E5A1D-0000-4000-8000-0000000000AA",
            "partitions": parts, "areas": areas}


def read_ebr_chain(img, ext_start):
    """EBR sectors of an MBR extended partition, following the chain."""
    ebrs = []
    with open(img, "rb") as f:
        at = ext_start
        while at and len(ebrs) < 16:
            f.seek(at * SECT)
            sec = f.read(SECT)
            ebrs.append(at)
            nxt = int.from_bytes(sec[446 + 16 + 8:446 + 16 + 12], "little")
            at = ext_start + nxt if nxt else 0
    return ebrs


def disk_mbr(out, work):
    """MBR with a primary, an extended and two logical partitions."""
    p1, p1_n = 2048, 8 * S_PER_MIB
    ext = p1 + p1_n
    p5, p5_n = ext + 2048, 8 * S_PER_MIB
    p6, p6_n = p5 + p5_n + 2048, 16 * S_PER_MIB
    total_mib = (p6 + p6_n) // S_PER_MIB + 1
    total = total_mib * S_PER_MIB

    fat = Tree(f"{work}/mbr-fat")
    fat.add("marker", "AUTORUN/autorun.exe", b"MZ" + marker(MARK_FILE))
    fat.add("clean", "AUTORUN/autorun.inf", "[autorun]\n")
    ext4 = Tree(f"{work}/mbr-ext4")
    ext4.add("marker", "opt/logical/first/sample.bin", marker(MARK_FILE))
    ext4.add("clean", "opt/logical/first/readme", "logical one\n")
    ntfs = Tree(f"{work}/mbr-ntfs")
    ntfs.add("eicar", "Logical/Second/eicar.com", EICAR)
    ntfs.add("marker", "Logical/Second/sample.dll", b"MZ" + marker(MARK_FILE))

    mk_fat(f"{work}/mfat.img", 8, "MBR_FAT16", fat, p1, bits=16, volid="1e5f0002")
    mk_ext4(f"{work}/mext4.img", 8, "logical_ext4", ext4, "5ca1ab1e-0000-4000-8000-000000000015")
    mk_ntfs(f"{work}/mntfs.img", 16, "LOGICAL_NTFS", ntfs, p6, work, 0xC0FFEE0100000006)

    img = f"{work}/cov-mbr.img"
    blank(img, total_mib)
    sfdisk(img, "label: dos\nlabel-id: 0xc0ffee01\n"
                f"start={p1}, size={p1_n}, type=6, bootable\n"
                f"start={ext}, type=5\n"
                f"start={p5}, size={p5_n}, type=83\n"
                f"start={p6}, size={p6_n}, type=7\n")
    place(img, f"{work}/mfat.img", p1)
    place(img, f"{work}/mext4.img", p5)
    place(img, f"{work}/mntfs.img", p6)

    ebrs = read_ebr_chain(img, ext)
    if len(ebrs) != 2 or ebrs[0] != ext:
        die(f"unexpected EBR chain {ebrs} on cov-mbr.img")
    mbr_at = 200
    poke(img, mbr_at, marker(MARK_MBR))
    # The hidden gap between the first EBR and its logical partition.
    gap_s, gap_n = ebrs[0] + 1, p5 - ebrs[0] - 1
    gap_at = (gap_s + 100) * SECT + 40
    poke(img, gap_at, marker(MARK_GAP))
    areas = [{"kind": "mbr", "area": "mbr", "rule": RULE["mbr"], "offset": mbr_at},
             {"kind": "gap", "area": f"gap@{gap_s}+{gap_n}", "rule": RULE["gap"], "offset": gap_at,
              "gap_start": gap_s, "gap_sectors": gap_n}]
    parts = [
        {"number": 1, "start": p1, "sectors": p1_n, "type": "0x06", "flags": ["bootable"],
         "filesystem": "vfat", "label": "MBR_FAT16", "uuid": "1E5F-0002", "mounted": True, "files": fat.files},
        {"number": 2, "start": ext, "sectors": total - ext, "type": "0x05", "flags": ["extended"],
         "filesystem": None, "mounted": False, "files": []},
        {"number": 5, "start": p5, "sectors": p5_n, "type": "0x83", "flags": ["logical"],
         "filesystem": "ext4", "label": "logical_ext4", "uuid": "5ca1ab1e-0000-4000-8000-000000000015",
         "mounted": True, "files": ext4.files},
        {"number": 6, "start": p6, "sectors": p6_n, "type": "0x07", "flags": ["logical"],
         "filesystem": "ntfs", "label": "LOGICAL_NTFS", "uuid": fs_serial(f"{work}/mntfs.img", "ntfs"),
         "mounted": True, "files": ntfs.files},
    ]
    shutil.move(img, f"{out}/cov-mbr.img")
    return {"file": "cov-mbr.img", "table": "mbr", "sectors": total, "mbr_id": "c0ffee01",
            "ebrs": ebrs, "partitions": parts, "areas": areas}


def bitlocker_header(f, base, size, with_metadata):
    """A BitLocker (Windows 7+) volume header at byte base: jump, "-FVE-FS-",
    boot signature, noise for the ciphertext; with_metadata adds the three
    FVE metadata blocks its header points to (libblkid checks the first),
    without it only the boot-sector signature is there."""
    f.seek(base)
    f.write(os.urandom(size))
    f.seek(base)
    f.write(b"\xeb\x58\x90-FVE-FS-" + (512).to_bytes(2, "little"))
    f.seek(base + 67)
    f.write(bytes(4))  # the volume serial: Windows leaves it zero
    f.seek(base + 510)
    f.write(b"\x55\xaa")
    if with_metadata:
        offsets = [0x10000, size // 2, size - 0x10000]
        f.seek(base + 176)
        f.write(b"".join(o.to_bytes(8, "little") for o in offsets))
        for o in offsets:
            f.seek(base + o)
            f.write(b"-FVE-FS-" + (0x10000 // 8).to_bytes(2, "little") + (2).to_bytes(2, "little"))


def disk_win(out, work):
    """GPT: a hibernated NTFS volume and two BitLocker volumes."""
    p1, p1_n = 2048, 16 * S_PER_MIB
    p2, p2_n = p1 + p1_n, 8 * S_PER_MIB
    p3, p3_n = p2 + p2_n, 4 * S_PER_MIB
    total_mib = (p3 + p3_n) // S_PER_MIB + 1

    win = Tree(f"{work}/win-ntfs")
    # Windows writes "hibr" at the start of hiberfil.sys when it hibernates
    # (Fast Startup too); "wake" or zeros once it has resumed.
    win.add("clean", "hiberfil.sys", b"hibr" + b"\x00" * 4092 + os.urandom(61440))
    win.add("marker", "Users/erin/AppData/Local/Temp/stager.exe", b"MZ" + marker(MARK_FILE))
    win.add("clean", "Users/erin/Documents/cv.txt", "curriculum vitae\n")
    mk_ntfs(f"{work}/hib.img", 16, "HIBERNATED", win, p1, work, 0x3B1D0F0000000001)

    img = f"{work}/cov-win.img"
    blank(img, total_mib)
    guid = "3b1d0f00-0000-4000-8000-00000000000"
    sfdisk(img, "label: gpt\nlabel-id: 3B1D0F00-0000-4000-8000-0000000000BB\n" + "".join(
        f"start={s}, size={n}, type={BASIC_DATA}, uuid={guid}{i}, name=\"Basic data partition\"\n"
        for i, (s, n) in enumerate([(p1, p1_n), (p2, p2_n), (p3, p3_n)], 1)))
    place(img, f"{work}/hib.img", p1)
    with open(img, "r+b") as f:
        bitlocker_header(f, p2 * SECT, p2_n * SECT, True)
        bitlocker_header(f, p3 * SECT, p3_n * SECT, False)
    parts = [
        {"number": 1, "start": p1, "sectors": p1_n, "type": BASIC_DATA, "filesystem": "ntfs",
         "label": "HIBERNATED", "uuid": fs_serial(f"{work}/hib.img", "ntfs"), "mounted": True,
         "hibernated": True, "volume_flags": ["hibernated"],
         "files": win.files},
        {"number": 2, "start": p2, "sectors": p2_n, "type": BASIC_DATA, "filesystem": "BitLocker",
         "mounted": False, "encrypted": "BitLocker", "volume_flags": ["BitLocker"], "files": []},
        {"number": 3, "start": p3, "sectors": p3_n, "type": BASIC_DATA, "filesystem": "BitLocker",
         "mounted": False, "encrypted": "BitLocker", "signature_only": True, "files": []},
    ]
    shutil.move(img, f"{out}/cov-win.img")
    return {"file": "cov-win.img", "table": "gpt", "sectors": total_mib * S_PER_MIB,
            "partitions": parts, "areas": []}


def disk_bare(out, work):
    """ext4 on the whole disk, no partition table."""
    tree = Tree(f"{work}/bare")
    tree.add("marker", "backup/2024/sample.bin", marker(MARK_FILE))
    tree.add("eicar", "backup/eicar.com", EICAR)
    tree.add("clean", "backup/2024/index.txt", "backup index\n")
    img = f"{work}/cov-bare.img"
    mk_ext4(img, 16, "bare_ext4", tree, "5ca1ab1e-0000-4000-8000-0000000000b0")
    # ext4 never uses its first 1024 bytes: a boot-sector marker there.
    vbr_at = 512 + 64
    poke(img, vbr_at, marker(MARK_VBR))
    shutil.move(img, f"{out}/cov-bare.img")
    return {"file": "cov-bare.img", "table": "none", "sectors": 16 * S_PER_MIB,
            "whole_disk": {"filesystem": "ext4", "label": "bare_ext4",
                           "uuid": "5ca1ab1e-0000-4000-8000-0000000000b0", "files": tree.files},
            "partitions": [],
            "areas": [{"kind": "vbr", "area": "vbr", "rule": RULE["vbr"], "offset": vbr_at}]}


def ext4_blocks(img, path):
    """Physical 4 KiB blocks of a file in an ext4 image, read with debugfs."""
    r = subprocess.run(["debugfs", "-R", f"blocks {path}", img], check=True, capture_output=True, text=True)
    blocks = [int(b) for b in r.stdout.split()]
    if not blocks:
        die(f"debugfs found no blocks for {path}")
    return blocks


def disk_ioerr(out, work):
    """MBR, one ext4 partition; blkdebug fails the data of one file and part of a gap."""
    p1, p1_n = 2048, 16 * S_PER_MIB
    total_mib = 18
    total = total_mib * S_PER_MIB
    tree = Tree(f"{work}/ioerr")
    bad = "evidence/bad/unreadable.bin"
    tree.add("ioerr", bad, marker(MARK_FILE) + os.urandom(128 * 1024))
    tree.add("marker", "evidence/good/readable.txt", marker(MARK_FILE))
    tree.add("eicar", "evidence/good/eicar.com", EICAR)
    tree.add("clean", "evidence/good/notes.txt", "still readable\n")
    part = f"{work}/ioerr-p1.img"
    mk_ext4(part, 16, "ioerr_ext4", tree, "5ca1ab1e-0000-4000-8000-0000000000e0")
    blocks = ext4_blocks(part, "/" + bad)
    img = f"{work}/cov-ioerr.img"
    blank(img, total_mib)
    sfdisk(img, f"label: dos\nlabel-id: 0xbadb10c0\nstart={p1}, size={p1_n}, type=83\n")
    place(img, part, p1)

    # One failing sector in each 4 KiB block of the file past its first: every
    # read of those pages fails, so the file cannot be read whole. The first
    # block stays readable (the marker is there), so a scanner that stops at
    # the first good read would find it and miss the error.
    bad_sectors = [p1 + b * 8 + 3 for b in blocks[1:]]
    gap_s, gap_n = p1 + p1_n, total - (p1 + p1_n)
    gap_bad = gap_s + gap_n // 2
    bad_sectors.append(gap_bad)
    conf = f"{out}/cov-ioerr.blkdebug"
    with open(conf, "w") as f:
        f.write("# QEMU blkdebug rules for cov-ioerr.img (made by mkdisks_coverage.py):\n"
                f"# reads of the data of /{bad} and of sector {gap_bad} (gap after p1) fail with EIO.\n")
        for s in bad_sectors:
            f.write(f'\n[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "{s}"\nonce = "off"\n')
    shutil.move(img, f"{out}/cov-ioerr.img")
    return {"file": "cov-ioerr.img", "table": "mbr", "sectors": total, "mbr_id": "badb10c0",
            "blkdebug": "cov-ioerr.blkdebug", "bad_sectors": bad_sectors,
            "io_error_files": ["/" + bad],
            "io_error_areas": [f"gap@{gap_s}+{gap_n}"],
            "partitions": [{"number": 1, "start": p1, "sectors": p1_n, "type": "0x83",
                            "filesystem": "ext4", "label": "ioerr_ext4", "mounted": True,
                            "uuid": "5ca1ab1e-0000-4000-8000-0000000000e0", "files": tree.files}],
            "areas": []}


# --- host-side self-check -----------------------------------------------------

def self_check(out, manifest, rescue):
    """fsck what can be checked; with a rescue binary, every boot-area marker
    must lie in the area the manifest names and be found by a disk scan."""
    problems = []
    for name, d in manifest["disks"].items():
        img = f"{out}/{d['file']}"
        if rescue:
            lay = json.loads(subprocess.run([rescue, "disks", "--json", "--areas", img], check=True,
                                            capture_output=True, text=True).stdout)
            disk = lay["disks"][0] if isinstance(lay, dict) and "disks" in lay else lay[0]
            layout = disk.get("layout", disk)
            areas = {a["name"]: a for a in layout.get("areas", [])}
            for a in d["areas"]:
                got = areas.get(a["area"])
                if not got:
                    problems.append(f"{name}: no area {a['area']} (scanner lists {sorted(areas)})")
                elif not got["offset"] <= a["offset"] < got["offset"] + got["length"]:
                    problems.append(f"{name}: marker at byte {a['offset']} is outside {a['area']}")
            scan = subprocess.run([rescue, "scan", "-q", "--disk", img, "--json", "-"],
                                  capture_output=True, text=True)
            found = {(x.get("area"), x.get("rule")) for x in json.loads(scan.stdout)["detections"]}
            for a in d["areas"]:
                if (a["area"], a["rule"]) not in found:
                    problems.append(f"{name}: host scan did not find {a['rule']} in {a['area']}")
    return problems


def fsck_all(work):
    checks = [["fsck.vfat", "-n", f"{work}/esp-on-disk.img"], ["fsck.vfat", "-n", f"{work}/mfat.img"],
              ["e2fsck", "-fn", f"{work}/ext4.img"], ["fsck.exfat", "-n", f"{work}/exfat.img"]]
    if shutil.which("btrfs"):
        checks.append(["btrfs", "check", "--readonly", f"{work}/btrfs.img"])
    bad = []
    for c in checks:
        if shutil.which(c[0]) and subprocess.run(c, stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.DEVNULL).returncode:
            bad.append(" ".join(c))
    return bad


def main():
    args = sys.argv[1:]
    rescue = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "out", "rescue")
    if "--rescue" in args:
        i = args.index("--rescue")
        rescue = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        die("usage: mkdisks_coverage.py OUTDIR [--rescue BIN]")
    out = args[0]
    need = ["sfdisk", "mkfs.vfat", "mmd", "mcopy", "mkntfs", "mke2fs", "debugfs", "mkfs.exfat",
            "mount.exfat-fuse", "mkfs.btrfs", "losetup"]
    missing = [t for t in need if not shutil.which(t)]
    if missing:
        die(f"missing {' '.join(missing)} (apt-get install fdisk dosfstools mtools ntfs-3g e2fsprogs "
            "exfatprogs exfat-fuse btrfs-progs util-linux)")
    os.makedirs(out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="mkdisks-cov.", dir=os.environ.get("TMPDIR", "/tmp"))
    try:
        manifest = {"schema": 1, "disks": {
            "gpt": disk_gpt(out, work), "mbr": disk_mbr(out, work), "win": disk_win(out, work),
            "bare": disk_bare(out, work), "ioerr": disk_ioerr(out, work)}}
        bad = fsck_all(work)
        if bad:
            die("filesystem check failed: " + "; ".join(bad))
    finally:
        if not os.environ.get("KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    with open(f"{out}/cov-expected.json", "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    if os.access(rescue, os.X_OK):
        problems = self_check(out, manifest, rescue)
        # Not fatal by default: a scanner that misses an area is what the
        # boot tests are there to show; RESCUE_COVERAGE_STRICT=1 makes it so.
        for p in problems:
            sys.stderr.write(f"mkdisks-coverage: warning: self-check: {p}\n")
        if problems and os.environ.get("RESCUE_COVERAGE_STRICT"):
            die("self-check failed")
    total = sum(os.path.getsize(f"{out}/{d['file']}") for d in manifest["disks"].values())
    print(f"mkdisks-coverage: {len(manifest['disks'])} disks ({total // MiB} MiB, sparse), "
          f"{out}/cov-expected.json")


if __name__ == "__main__":
    main()
