#!/bin/sh
# demo.sh ISO DISKDIR: boot the rescue ISO in QEMU on this terminal with
# copies of the test disks and run the unattended scan (see demo.py).
set -eu
[ $# -eq 2 ] || { echo "usage: demo.sh ISO DISKDIR" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "demo: qemu-system-x86_64 not found (apt-get install qemu-system-x86)" >&2; exit 2; }
/usr/bin/python3 -c 'import pexpect' 2>/dev/null || { echo "demo: python3-pexpect missing (apt-get install python3-pexpect)" >&2; exit 2; }
exec /usr/bin/python3 "$(dirname "$0")/demo.py" "$1" "$2"
