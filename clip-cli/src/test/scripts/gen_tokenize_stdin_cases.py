#!/usr/bin/python3
"""Generate tokenize_stdin_cases.json: how the reference command-line flow reads standard input.

The reference flow is Python reading standard input as a text file: UTF-8 with errors="replace" and universal
newlines (newline=None: "\\n", "\\r\\n" and a bare "\\r" each end a line), one text per line without its line
end; with --jsonl each line is then json.loads'ed. For every byte stream below this script records the texts
Python gets and, per line, how many U+FFFD the invalid UTF-8 produced (as bytes.decode("utf-8", "replace")
on the line's bytes). The Java test checks that `clip tokenize` outputs the rows of exactly these texts and warns
on exactly these lines.

Run from the repository root with Debian 12's /usr/bin/python3 (3.11.2):

    /usr/bin/python3 clip-cli/src/test/scripts/gen_tokenize_stdin_cases.py

Output: clip-cli/src/test/resources/org/clip4j/cli/tokenize_stdin_cases.json (byte-identical on rerun).
"""
import io
import json
import os
import random
import sys

OUT = os.path.join(os.getcwd(), "clip-cli/src/test/resources/org/clip4j/cli/tokenize_stdin_cases.json")


def python_lines(data, jsonl):
    """The texts the reference flow tokenizes, and the 1-based lines whose bytes were not valid UTF-8."""
    reader = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace", newline=None)
    texts = []
    for line in reader:
        text = line[:-1] if line.endswith("\n") else line
        texts.append(json.loads(text) if jsonl else text)
    # The same split on bytes, to find the lines with invalid UTF-8 and count their replacements.
    raw = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    if raw and raw[-1] == b"":
        raw.pop()
    invalid = []
    for number, line in enumerate(raw, 1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            replaced = line.decode("utf-8", "replace").count("\ufffd") - line.decode("utf-8", "ignore").count("\ufffd")
            invalid.append([number, replaced])
    assert len(raw) == len(texts), (data, raw, texts)
    return texts, invalid


def main():
    if sys.version_info[:3] != (3, 11, 2):
        sys.exit("need Python 3.11.2 (Debian 12's /usr/bin/python3)")
    plain = [
        b"a photo of a cat.\n",
        b"no final newline",
        b"\n\n\n",
        b"one\rtwo\r\nthree\n\rfour\r\r",
        b"cr at the end\r",
        b"a\r\n",
        b"\xed\xa0\x80 surrogate\n",
        b"\xed\xbf\xbf\xed\xa0\x80\n",
        b"overlong \xc0\xaf and \xe0\x80\x80 and \xf0\x80\x80\x80\n",
        b"above max \xf4\x90\x80\x80 \xf5\x80\n",
        b"truncated \xe2\x82\ncontinues \x80\x80\n",
        b"truncated at the end \xf0\x9f\x98",
        b"emoji \xf0\x9f\x98\x80 euro \xe2\x82\xac caf\xc3\xa9\n",
        b"\xef\xbb\xbfbom first\n",
        b"latin-1 caf\xe9 \xff\xfe\n",
        b"nul \x00 inside\n",
        b"\xe2\x80\xa8 line separator stays inside\n",
        b"mojibake s\xc3\x83\xc2\xb3\n",
    ]
    rnd = random.Random(4321)
    interesting = [0x0A, 0x0D, 0x41, 0x20, 0x80, 0xA0, 0xBF, 0xC2, 0xC3, 0xE0, 0xE2, 0xED, 0xF0, 0xF4, 0xFF]
    for _ in range(60):
        plain.append(bytes(rnd.choice(interesting) for _ in range(rnd.randint(1, 12))))
    jsonl = [
        b'"line one\\nline two"\n',
        b'"nul \\u0000 and bell \\u0007 and cr \\r"\n"tab\\tend"\n',
        b'  "spaces around"  \r\n',
        b'"\\u00e9 escaped and \xc3\xa9 raw"\n',
        b'"\\ud83d\\ude00 pair"\n',
        b'"invalid \xff byte in a string"\n',
    ]
    cases = []
    for data in plain:
        texts, invalid = python_lines(data, False)
        cases.append({"hex": data.hex(), "jsonl": False, "texts": texts, "invalid_lines": invalid})
    for data in jsonl:
        texts, invalid = python_lines(data, True)
        cases.append({"hex": data.hex(), "jsonl": True, "texts": texts, "invalid_lines": invalid})
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        json.dump({"python": "3.11.2", "cases": cases}, f, ensure_ascii=True, indent=1)
        f.write("\n")
    print("wrote %s: %d cases" % (OUT, len(cases)))


if __name__ == "__main__":
    main()
