#!/usr/bin/python3
"""Writes a tiny, valid PE32+ executable with a version resource.

    mkpe.py OUT

The file is the fixture of tests/unit/test_peinfo.c (the Makefile builds it
as out/tests/data/versioninfo.exe) and may serve the CLI tests too. It is the
same bytes on every run: an x86-64 console program whose one .text byte is
`ret`, and an .rsrc section holding one RT_VERSION resource (VS_VERSIONINFO:
VS_FIXEDFILEINFO, a StringFileInfo table for 040904B0, a VarFileInfo). The
strings are in STRINGS below; the test expects exactly those.

Layout (file offset / RVA): headers 0x000, .text 0x200 / 0x1000,
.rsrc 0x400 / 0x2000.
"""
import struct
import sys

TIMESTAMP = 1577836800  # 2020-01-01T00:00:00Z
MACHINE_AMD64 = 0x8664
FILE_ALIGN = 0x200
SECT_ALIGN = 0x1000

# In the order they are written. LegalCopyright holds U+00A9: not ASCII.
STRINGS = [
    ("CompanyName", "Example Software Ltd"),
    ("FileDescription", "Rescue scanner test fixture"),
    ("FileVersion", "1.2.3.4"),
    ("InternalName", "versioninfo"),
    ("LegalCopyright", "\u00a9 2020 Example Software Ltd"),
    ("OriginalFilename", "versioninfo.exe"),
    ("ProductName", "Example Product"),
    ("ProductVersion", "1.2"),
]


def wstr(s):
    return s.encode("utf-16-le") + b"\0\0"


def node(key, value=b"", value_len=0, text=True, children=()):
    """One VS_VERSIONINFO-style block: wLength, wValueLength, wType, szKey,
    padding, Value, padding, children (each starting on 4 bytes). wLength
    counts everything but the padding after the last child."""
    hdr_len = 6
    # szKey starts at offset 6: padding is relative to the block's start.
    raw = wstr(key)
    head = raw + b"\0" * (-(hdr_len + len(raw)) % 4)
    body = head + value
    for c in children:
        body += b"\0" * (-(hdr_len + len(body)) % 4) + c
    return struct.pack("<HHH", hdr_len + len(body), value_len,
                       1 if text else 0) + body


def version_resource():
    fixed = struct.pack(
        "<13I",
        0xFEEF04BD, 0x00010000,   # signature, structure version
        0x00010002, 0x00030004,   # file version 1.2.3.4
        0x00010002, 0x00000000,   # product version 1.2.0.0
        0x3F, 0,                  # flags mask, flags
        0x00040004, 1, 0,         # VOS_NT_WINDOWS32, VFT_APP, subtype
        0, 0)                     # file date
    strings = [node(k, wstr(v), len(v) + 1) for k, v in STRINGS]
    table = node("040904B0", children=strings)
    sfi = node("StringFileInfo", children=[table])
    var = node("Translation", struct.pack("<HH", 0x0409, 0x04B0), 4,
               text=False)
    vfi = node("VarFileInfo", children=[var])
    return node("VS_VERSION_INFO", fixed, len(fixed), text=False,
                children=[sfi, vfi])


def rsrc_section(rva):
    """Type 16 (RT_VERSION) / name 1 / language 0x0409 -> the data."""
    def directory(entry_name, target):
        return struct.pack("<IIHHHH", 0, 0, 0, 0, 0, 1) + \
            struct.pack("<II", entry_name, target)

    subdir = 0x80000000
    data = version_resource()
    data_off = 96  # after three 24-byte directories and the data entry
    out = directory(16, subdir | 24)
    out += directory(1, subdir | 48)
    out += directory(0x0409, 72)
    out += struct.pack("<IIII", rva + data_off, len(data), 0, 0)
    out += b"\0" * (data_off - len(out))
    return out + data


def align(n, a):
    return (n + a - 1) // a * a


def build():
    text_rva, rsrc_rva = 0x1000, 0x2000
    text = b"\xc3"  # ret
    rsrc = rsrc_section(rsrc_rva)
    text_raw = align(len(text), FILE_ALIGN)
    rsrc_raw = align(len(rsrc), FILE_ALIGN)
    text_off = FILE_ALIGN
    rsrc_off = text_off + text_raw
    size_of_image = align(rsrc_rva + len(rsrc), SECT_ALIGN)

    dos = bytearray(64)
    dos[0:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, 64)

    nsect = 2
    coff = struct.pack("<HHIIIHH", MACHINE_AMD64, nsect, TIMESTAMP, 0, 0,
                       240, 0x0022)  # executable, large address aware

    dirs = [(0, 0)] * 16
    dirs[2] = (rsrc_rva, len(rsrc))  # IMAGE_DIRECTORY_ENTRY_RESOURCE
    opt = struct.pack(
        "<HBBIIIII", 0x20B, 14, 0, text_raw, rsrc_raw, 0, text_rva,
        text_rva)
    opt += struct.pack("<QII", 0x140000000, SECT_ALIGN, FILE_ALIGN)
    opt += struct.pack("<HHHHHH", 6, 0, 1, 2, 6, 0)
    opt += struct.pack("<IIII", 0, size_of_image, FILE_ALIGN, 0)
    opt += struct.pack("<HH", 3, 0x8160)  # console; NX, DYNAMIC_BASE...
    opt += struct.pack("<QQQQ", 0x100000, 0x1000, 0x100000, 0x1000)
    opt += struct.pack("<II", 0, 16)
    opt += b"".join(struct.pack("<II", *d) for d in dirs)
    assert len(opt) == 240

    def section(name, vsize, rva, raw_size, raw_off, flags):
        return struct.pack("<8sIIIIIIHHI", name, vsize, rva, raw_size,
                           raw_off, 0, 0, 0, 0, flags)

    sections = section(b".text", len(text), text_rva, text_raw, text_off,
                       0x60000020)  # code, execute, read
    sections += section(b".rsrc", len(rsrc), rsrc_rva, rsrc_raw, rsrc_off,
                        0x40000040)  # initialised data, read

    head = bytes(dos) + b"PE\0\0" + coff + opt + sections
    assert len(head) <= FILE_ALIGN
    image = head + b"\0" * (FILE_ALIGN - len(head))
    image += text + b"\0" * (text_raw - len(text))
    image += rsrc + b"\0" * (rsrc_raw - len(rsrc))
    return image


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: mkpe.py OUT\n")
        return 2
    with open(sys.argv[1], "wb") as f:
        f.write(build())
    return 0


if __name__ == "__main__":
    sys.exit(main())
