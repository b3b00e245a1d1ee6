#!/usr/bin/python3
"""mkdisks_quarantine.py OUTDIR [--sample-mib N]

Builds the power-cut test disk of tests/boot/test_quarantine.py in
userspace, plus quar-expected.json, its manifest:

  quar-powercut.img  MBR: p1 NTFS, p2 ext4, each holding one sample of
                     random bytes (default 4 MiB: big enough that copying,
                     encrypting, verifying and removing it takes a
                     measurable time under TCG) in nested directories,
                     plus a small clean file beside it.

The samples need not match any rule: the test quarantines them by hand.
Each sample's SHA-256 and size go to the manifest, so a test can tell a
file in place from a damaged one.

Needs (Debian): fdisk, ntfs-3g, e2fsprogs; root for the ntfs-3g FUSE mount
(without it the NTFS sample lands in the root directory, flattened, and the
manifest says so).
"""

import hashlib
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mkdisks_coverage import S_PER_MIB, Tree, blank, die, fs_serial, mk_ext4, mk_ntfs, place, sfdisk  # noqa: E402

MiB = 1024 * 1024
EXT4_UUID = "9a0a7c17-0000-4000-8000-0000000000c7"


def main():
    args = sys.argv[1:]
    sample_mib = 4
    if "--sample-mib" in args:
        i = args.index("--sample-mib")
        sample_mib = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1:
        die("usage: mkdisks_quarantine.py OUTDIR [--sample-mib N]")
    out = args[0]
    missing = [t for t in ("sfdisk", "mkntfs", "mke2fs") if not shutil.which(t)]
    if missing:
        die(f"missing {' '.join(missing)} (apt-get install fdisk ntfs-3g e2fsprogs)")
    os.makedirs(out, exist_ok=True)
    part_mib = sample_mib * 2 + 12
    p1, p2 = 2048, 2048 + part_mib * S_PER_MIB
    total_mib = 1 + 2 * part_mib + 1
    work = tempfile.mkdtemp(prefix="mkdisks-quar.", dir=os.environ.get("TMPDIR", "/tmp"))
    try:
        volumes = []
        trees = {}
        for number, fs, rel in ((1, "ntfs", "Users/Public/Documents/Big/sample-ntfs.bin"),
                                (2, "ext4", "home/user/big/sample-ext4.bin")):
            tree = Tree(f"{work}/{fs}")
            data = os.urandom(sample_mib * MiB)
            tree.add("sample", rel, data)
            tree.add("clean", os.path.dirname(rel) + "/readme.txt", "nothing to see\n")
            trees[fs] = tree
            volumes.append({"number": number, "fstype": fs, "sha256": hashlib.sha256(data).hexdigest(),
                            "size": len(data)})
        mk_ntfs(f"{work}/p1.img", part_mib, "QUAR_NTFS", trees["ntfs"], p1, work, 0x9A0A7C1700000001)
        mk_ext4(f"{work}/p2.img", part_mib, "quar_ext4", trees["ext4"], EXT4_UUID)
        volumes[0]["path"] = trees["ntfs"].files[0]["path"]
        volumes[1]["path"] = trees["ext4"].files[0]["path"]
        volumes[0]["uuid"] = fs_serial(f"{work}/p1.img", "ntfs")
        volumes[1]["uuid"] = EXT4_UUID
        img = f"{work}/quar-powercut.img"
        blank(img, total_mib)
        sfdisk(img, "label: dos\nlabel-id: 0x9a0a7c17\n"
                    f"start={p1}, size={part_mib * S_PER_MIB}, type=7\n"
                    f"start={p2}, size={part_mib * S_PER_MIB}, type=83\n")
        place(img, f"{work}/p1.img", p1)
        place(img, f"{work}/p2.img", p2)
        shutil.move(img, f"{out}/quar-powercut.img")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    manifest = {"schema": 1, "file": "quar-powercut.img", "sample_mib": sample_mib, "volumes": volumes}
    with open(f"{out}/quar-expected.json", "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"mkdisks-quarantine: {out}/quar-powercut.img ({total_mib} MiB), {out}/quar-expected.json")


if __name__ == "__main__":
    main()
