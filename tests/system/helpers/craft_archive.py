#!/usr/bin/env python3
"""Crafts hostile jaild archives for archive_test.cpp: a valid manifest, then
members that an attacker would write. Usage: craft_archive.py CASE OUT VICTIM
JAIL, where VICTIM is a host directory the archive tries to reach and JAIL the
name in the manifest's spec. Writes a pax tar and compresses it with zstd(1).
"""
import io
import json
import os
import subprocess
import sys
import tarfile

case, out, victim, jail = sys.argv[1:5]

manifest = json.dumps({
    "format": "jaild-archive", "version": 1, "root_format": "tar+zstd", "jail": jail,
    "spec": {"name": jail, "root": {"release": "crafted", "mode": "thick"}},
}).encode()


def member(tar, name, kind=tarfile.REGTYPE, data=b"", link="", mode=0o644, devmajor=0,
           devminor=0):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.linkname = link
    info.devmajor = devmajor
    info.devminor = devminor
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
    member(tar, "jaild-archive.json", data=manifest)
    member(tar, "root", tarfile.DIRTYPE, mode=0o755)
    member(tar, "root/etc", tarfile.DIRTYPE, mode=0o755)
    member(tar, "root/etc/ok", data=b"fine\n")
    if case == "absolute":
        member(tar, victim + "/pwned", data=b"absolute\n")
    elif case == "dotdot":
        member(tar, "root/etc/../../../../../../.." + victim + "/pwned", data=b"dotdot\n")
    elif case == "symlink-dir":
        # A link to the victim, then a file written "through" it.
        member(tar, "root/escape", tarfile.SYMTYPE, link=victim)
        member(tar, "root/escape/pwned", data=b"through a link\n")
    elif case == "symlink-replace":
        # A directory, then a link of the same name, then a file below it.
        member(tar, "root/d", tarfile.DIRTYPE, mode=0o755)
        member(tar, "root/d", tarfile.SYMTYPE, link=victim)
        member(tar, "root/d/pwned", data=b"replaced\n")
    elif case == "symlink-file":
        # A link to a host file, then a regular file of the same name (an
        # extractor that opens it would write the host's file).
        member(tar, "root/victim-file", tarfile.SYMTYPE, link=victim + "/target")
        member(tar, "root/victim-file", data=b"overwritten\n")
    elif case == "hardlink-out":
        member(tar, "root/etc/shadow-copy", tarfile.LNKTYPE, link=victim + "/target")
    elif case == "hardlink-dotdot":
        member(tar, "root/etc/l", tarfile.LNKTYPE, link="root/../../../.." + victim + "/target")
    elif case == "outside-root":
        member(tar, "etc/pwned", data=b"not below root/\n")
    elif case == "truncated":
        member(tar, "root/big", data=b"x" * 100000)
    elif case == "device":
        # A device node (the host's /dev/null here) and a setuid file: the
        # node is not made, the file is.
        member(tar, "root/dev", tarfile.DIRTYPE, mode=0o755)
        member(tar, "root/dev/null", tarfile.CHRTYPE, mode=0o666, devmajor=1, devminor=3)
        member(tar, "root/dev/sda", tarfile.BLKTYPE, mode=0o666, devmajor=8, devminor=0)
        member(tar, "root/suid", data=b"#!/bin/sh\n", mode=0o4755)
    else:
        sys.exit("unknown case " + case)

data = raw.getvalue()
if case == "truncated":
    data = data[: len(data) // 2]
subprocess.run(["zstd", "-q", "-f", "-o", out], input=data, check=True)
