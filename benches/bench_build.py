"""Is the native module a release build? Benchmarks of a debug build are meaningless.

A debug build carries DWARF sections (``.debug_info``); the release profile does not (cargo
strips debug info when ``debug = false``). The check reads the ELF section names only.
"""

from __future__ import annotations

import struct
from pathlib import Path

__all__ = ["has_debug_info"]


def has_debug_info(path: str | Path) -> bool | None:
    """True if the ELF shared object at ``path`` has a ``.debug_info`` section; None when
    the file is not a 64-bit little-endian ELF (another platform)."""
    with open(path, "rb") as f:
        header = f.read(64)
        if header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
            return None
        shoff = struct.unpack_from("<Q", header, 0x28)[0]
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", header, 0x3A)
        f.seek(shoff)
        table = f.read(shentsize * shnum)
        names_off, names_size = struct.unpack_from("<QQ", table, shstrndx * shentsize + 0x18)
        f.seek(names_off)
        names = f.read(names_size)
    for i in range(shnum):
        name_at = struct.unpack_from("<I", table, i * shentsize)[0]
        if names[name_at : names.index(b"\0", name_at)] == b".debug_info":
            return True
    return False
