#!/usr/bin/python3
"""Generate ftfy_tables.txt, the data tables of org.clip4j.core.tokenizer.Ftfy (ftfy 6.3.1's fix_text in Java).

ftfy is not copied into clip4j: this script imports ftfy 6.3.1 (source tree given by --ftfy, e.g. exported from
https://github.com/rspeer/python-ftfy at tag v6.3.1) and writes out only its data:

* ``@class NAME``: character classes as code point ranges (``START END`` or ``CP``, hex):
  the mojibake categories of ftfy.badness (``MOJIBAKE_CATEGORIES``: common, c1, bad, law, currency,
  start_punctuation, end_punctuation, numeric, kaomoji, upper_accented, lower_accented, upper_common,
  lower_common, box), the UTF-8 clue classes of ftfy.chardata (``UTF8_CLUES``), the characters each
  encoding ftfy tries can produce (``possible_<encoding>``, as ``chardata.ENCODING_REGEXES``), the
  characters ``remove_control_chars`` deletes (``control_chars``), and Python's own ``\\w``, ``\\s`` and
  ``\\d`` for str patterns (``py_word``: ``c.isalnum() or c == "_"``; ``py_space``: ``c.isspace()``;
  ``py_decimal``: ``c.isdecimal()``), which
  ftfy's patterns use and which differ from Java's.
* ``@charmap NAME``: 256 lines, the character (hex) each byte decodes to in that single-byte codec as Python and
  ftfy's sloppy codecs define it, ``-`` for a byte the codec cannot decode (strict windows-1252).
* ``@map NAME``: ``CP<TAB>CP CP...`` translation tables (``ligatures``, ``width``), and ``@map entities``:
  ``&name;<TAB>CP CP...``, ftfy's HTML entity table (HTML5 names with ``;`` and its upper-case forms).
* ``@map nfc_placeholders``: not ftfy's but Python's Unicode 14.0 data, for NFC on a JVM with older Unicode
  data: each combining mark added after Unicode 3.2, with a Unicode 3.2 mark of the same combining class that
  never composes (see ``nfc_placeholders``).

Run from the repository root with Debian 12's /usr/bin/python3 (3.11.2, Unicode 14.0.0):

    git --git-dir=/path/to/python-ftfy/.git archive v6.3.1 | tar -x -C /tmp/ftfy
    /usr/bin/python3 clip-core/src/main/scripts/gen_ftfy_tables.py --ftfy /tmp/ftfy

Output: clip-core/src/main/resources/org/clip4j/core/tokenizer/ftfy_tables.txt (byte-identical on rerun).
"""
import argparse
import os
import sys
import unicodedata

OUT = os.path.join("clip-core", "src", "main", "resources", "org", "clip4j", "core", "tokenizer", "ftfy_tables.txt")


def ranges(cps):
    cps = sorted(set(cps))
    out = []
    for cp in cps:
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return ["%04X" % a if a == b else "%04X %04X" % (a, b) for a, b in out]


def class_members(spec):
    """Code points of a regex character-class body like ftfy writes them: single characters and a-b ranges."""
    cps, i = [], 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            cps.extend(range(ord(spec[i]), ord(spec[i + 2]) + 1))
            i += 3
        else:
            cps.append(ord(spec[i]))
            i += 1
    return cps


def stub_wcwidth():
    """ftfy imports wcwidth for its display functions only (ftfy.formatting); the fixers never call it."""
    try:
        import wcwidth  # noqa: F401
    except ImportError:
        import types
        stub = types.ModuleType("wcwidth")
        stub.wcwidth = stub.wcswidth = lambda *a: (_ for _ in ()).throw(RuntimeError("wcwidth stub"))
        sys.modules["wcwidth"] = stub


def nfc_placeholders():
    """For each combining mark (ccc != 0) added after Unicode 3.2, a mark of Unicode 3.2 with the same combining
    class that is in no canonical decomposition (so it never composes): Ftfy lets the JVM's NFC see the
    placeholder instead of a mark the JVM's older Unicode data does not know, then puts the mark back."""
    old = unicodedata.ucd_3_2_0
    in_decomposition = set()
    for cp in range(0x110000):
        d = unicodedata.decomposition(chr(cp))
        if d and not d.startswith("<"):
            in_decomposition.update(int(x, 16) for x in d.split())
    placeholder = {}
    for cp in range(0x110000):
        c = chr(cp)
        ccc = unicodedata.combining(c)
        if (ccc and ccc not in placeholder and old.combining(c) == ccc and cp not in in_decomposition
                and not unicodedata.decomposition(c) and not old.decomposition(c)):
            placeholder[ccc] = cp
    out = []
    for cp in range(0x110000):
        c = chr(cp)
        ccc = unicodedata.combining(c)
        if ccc and old.category(c) == "Cn":
            assert not unicodedata.decomposition(c), "U+%04X" % cp
            if ccc in placeholder:
                out.append("%04X\t%04X" % (cp, placeholder[ccc]))
            else:
                print("no placeholder for U+%04X (ccc %d)" % (cp, ccc))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ftfy", required=True, help="source tree of ftfy 6.3.1")
    args = parser.parse_args()
    sys.path.insert(0, args.ftfy)
    stub_wcwidth()
    import ftfy
    from ftfy import badness, chardata
    if ftfy.__version__ != "6.3.1" or sys.version_info[:3] != (3, 11, 2) or unicodedata.unidata_version != "14.0.0":
        sys.exit("need ftfy 6.3.1 on Python 3.11.2 / Unicode 14.0.0, found %s on %s / %s"
                 % (ftfy.__version__, sys.version.split()[0], unicodedata.unidata_version))
    lines = ["# Generated by clip-core/src/main/scripts/gen_ftfy_tables.py from ftfy 6.3.1 (Apache License 2.0, Robyn Speer)",
             "# on Python 3.11.2 / Unicode 14.0.0. Data only. Do not edit."]
    for name, spec in badness.MOJIBAKE_CATEGORIES.items():
        lines.append("@class " + name)
        lines.extend(ranges(class_members(spec)))
    for name, spec in chardata.UTF8_CLUES.items():
        lines.append("@class " + name)
        lines.extend(ranges(class_members(spec)))
    for encoding in chardata.CHARMAP_ENCODINGS:
        allowed = [c for c in range(0x80) if c != 0x1A]
        allowed += [ord(c) for c in bytes(list(range(0x80, 0x100)) + [0x1A]).decode(encoding)]
        lines.append("@class possible_" + encoding)
        lines.extend(ranges(allowed))
        # Check that the class is exactly what ftfy's own detector accepts.
        for cp in range(0x110000):
            if 0xD800 <= cp <= 0xDFFF:
                continue
            if chardata.possible_encoding(chr(cp), encoding) != (cp in set(allowed)):
                sys.exit("possible_%s disagrees with ftfy on U+%04X" % (encoding, cp))
    lines.append("@class control_chars")
    lines.extend(ranges(chardata.CONTROL_CHARS.keys()))
    lines.append("@class py_word")
    lines.extend(ranges(c for c in range(0x110000) if chr(c).isalnum() or c == 0x5F))
    lines.append("@class py_space")
    lines.extend(ranges(c for c in range(0x110000) if chr(c).isspace()))
    lines.append("@class py_decimal")
    lines.extend(ranges(c for c in range(0x110000) if chr(c).isdecimal()))
    for encoding in chardata.CHARMAP_ENCODINGS + ["windows-1252"]:
        lines.append("@charmap " + encoding)
        decoded = set()
        for b in range(256):
            try:
                ch = bytes([b]).decode(encoding)
            except UnicodeDecodeError:
                lines.append("-")
                continue
            assert len(ch) == 1 and ch not in decoded, (encoding, b)
            decoded.add(ch)
            lines.append("%04X" % ord(ch))
        if encoding != "windows-1252":
            # Encoding must be the inverse of decoding, as ftfy uses it.
            text = bytes(range(256)).decode(encoding)
            assert text.encode(encoding) == bytes(range(256)), encoding
    for name, table in (("ligatures", chardata.LIGATURES), ("width", chardata.WIDTH_MAP)):
        lines.append("@map " + name)
        for cp in sorted(table):
            lines.append("%04X\t%s" % (cp, " ".join("%04X" % ord(c) for c in table[cp])))
    lines.append("@map entities")
    for name in sorted(chardata.HTML_ENTITIES):
        assert name.isascii() and "\t" not in name
        lines.append("%s\t%s" % (name, " ".join("%04X" % ord(c) for c in chardata.HTML_ENTITIES[name])))
    lines.append("@map nfc_placeholders")
    lines.extend(nfc_placeholders())
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote %s: %d lines" % (OUT, len(lines)))


if __name__ == "__main__":
    main()
