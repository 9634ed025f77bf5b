#!/usr/bin/python3
"""Generate the expected values of the ftfy tests (org.clip4j.core.tokenizer.FtfyTest, FtfyTokenizerTest).

Runs the real ftfy 6.3.1 and the real openai/CLIP tokenizer as oracles; neither is copied into clip4j.

* ftfy/ftfy_test_cases.json: ftfy's own test suite (tests/test_cases.json of ftfy 6.3.1, Apache License 2.0,
  Robyn Speer; see ftfy/NOTICE.md), each case with what ftfy 6.3.1 itself returns for fix_text(original),
  fix_encoding(original) and fix_text of the original with an extra layer of latin-1 mojibake.
* ftfy/ftfy_random_cases.json: fix_text and badness of generated strings: random runs of the characters
  ftfy's heuristics look at, and sentences in many scripts turned into mojibake through every code page ftfy
  knows (once or twice, with U+00A0 lost to spaces, with bytes lost to U+FFFD or '?').
* ftfy/tokenizer_ftfy_cases.json: a few hundred texts of our own with the ids of the reference tokenizer
  (openai/CLIP clip/simple_tokenizer.py SimpleTokenizer().encode, which runs ftfy.fix_text) and ftfy's output.

Run from the repository root with Debian 12's /usr/bin/python3 (3.11.2) and python3-regex, with the ftfy 6.3.1
source tree and an openai/CLIP checkout (commit d05afc436d78f1c48dc0dbf8e5980a9d471f35f6):

    /usr/bin/python3 clip-core/src/test/scripts/gen_ftfy_cases.py --ftfy /tmp/ftfy --clip /tmp/openai-clip

The output is byte-identical on rerun.
"""
import argparse
import json
import os
import random
import sys
import unicodedata

OUT = os.path.join("clip-core", "src", "test", "resources", "org", "clip4j", "core", "tokenizer", "ftfy")

SENTENCES = [
    "Le café est très bon à Paris, n'est-ce pas?",
    "voilà le travail", "à la mode", "Ça va très bien, merci", "Où est la bibliothèque?",
    "Schöne Grüße aus München, über die Straße", "Größe: 42 cm², Preis 12,50 €",
    "¿Dónde está el niño? ¡Mañana!", "São Paulo é uma cidade enorme",
    "Příliš žluťoučký kůň úpěl ďábelské ódy", "Zażółć gęślą jaźń", "Árvíztűrő tükörfúrógép",
    "Съешь же ещё этих мягких французских булок", "Привет, мир! Как дела?",
    "Ελληνικά: γειά σου κόσμε", "Τάχιστη αλώπηξ βαφής ψημένη γη",
    "Pijamalı hasta yağız şoföre çabucak güvendi", "Tiếng Việt có dấu", "Lietuvių kalba",
    "日本語のテキスト、カタカナとひらがな", "中文字符测试，你好世界", "한국어 텍스트 테스트",
    "العربية نص تجريبي", "עברית טקסט", "हिन्दी पाठ परीक्षण", "ภาษาไทย",
    "emoji 😀 🎉 👍🏽 ❤️ 🇫🇷", "math: ∑ ∫ √ ≈ ≠ ≤ ≥ ∞ π µ", "quotes “double” ‘single’ — dash – en…",
    "™ ® © ° ± ½ ¼ ¾ × ÷ ¶ § • †", "naïve coöperation façade jalapeño", "Beyoncé — “Halo” (2008)",
    "The ﬁnal ﬂight", "ＦＵＬＬＷＩＤＴＨ　ｔｅｘｔ １２３", "half ｶﾀｶﾅ width",
]


def stub_wcwidth():
    """ftfy imports wcwidth for its display functions only; the fixers never call it."""
    try:
        import wcwidth  # noqa: F401
    except ImportError:
        import types
        stub = types.ModuleType("wcwidth")
        stub.wcwidth = stub.wcswidth = lambda *a: (_ for _ in ()).throw(RuntimeError("wcwidth stub"))
        sys.modules["wcwidth"] = stub


def mojibake_cases(ftfy, chardata):
    out = []
    pages = chardata.CHARMAP_ENCODINGS + ["windows-1252", "windows-1251"]
    for s in SENTENCES:
        data = s.encode("utf-8")
        for page in pages:
            for errors in ("strict", "replace"):
                try:
                    once = data.decode(page, errors)
                except UnicodeDecodeError:
                    continue
                out.append(once)
                out.append(once.replace("\u00a0", " "))
                out.append(once.replace("\ufffd", "?"))
                try:
                    out.append(once.encode("utf-8").decode(page, errors))
                except UnicodeDecodeError:
                    pass
                out.append("ok " + once + " and “" + s + "”")
        out.append(s)
    return out


def cesu8(text):
    """UTF-8 with each character outside the BMP written as its two UTF-16 surrogates, 3 bytes each."""
    out = []
    for ch in text:
        cp = ord(ch)
        if cp < 0x10000:
            out.append(ch)
        else:
            out.append(chr(0xD800 + ((cp - 0x10000) >> 10)) + chr(0xDC00 + ((cp - 0x10000) & 0x3FF)))
    return "".join(out).encode("utf-8", "surrogatepass")


def random_cases(rnd, badness):
    pool = set()
    for spec in badness.MOJIBAKE_CATEGORIES.values():
        i = 0
        while i < len(spec):
            if i + 2 < len(spec) and spec[i + 1] == "-":
                pool.update(chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1))
                i += 3
            else:
                pool.add(spec[i])
                i += 1
    pool.update("aeioulnrstAEZ .,?!'\n&;<\u00a0\u0301\u1ac1\u3042\u4e2d\ufffd\x1a\x1b[0m1")
    pool = sorted(pool)
    out = []
    for _ in range(3000):
        out.append("".join(rnd.choice(pool) for _ in range(rnd.randint(1, 10))))
    for _ in range(1500):
        data = bytes(rnd.choice([0x20, 0x41, 0x61, 0x80, 0x81, 0x8d, 0x9d, 0xa0, 0xa9, 0xb3, 0xbf, 0xc0, 0xc2, 0xc3,
                                 0xc5, 0xce, 0xd0, 0xd9, 0xe0, 0xe2, 0xe3, 0xed, 0xef, 0xf0, 0xf4, 0x1a, 0x3f, 0x0a])
                     for _ in range(rnd.randint(1, 12)))
        page = rnd.choice(["sloppy-windows-1252", "sloppy-windows-1251", "latin-1", "macroman", "cp437",
                           "sloppy-windows-1250", "iso-8859-2"])
        out.append(data.decode(page))
    for _ in range(600):
        # valid UTF-8 of random characters, seen through a random code page
        text = "".join(chr(rnd.choice([rnd.randint(0xa0, 0x17f), rnd.randint(0x370, 0x4ff), rnd.randint(0x2000, 0x206f),
                                      rnd.randint(0x3040, 0x30ff), rnd.randint(0x1f300, 0x1f64f), rnd.randint(0xd7a0, 0xd7ff)]))
                       for _ in range(rnd.randint(1, 4)))
        page = rnd.choice(["sloppy-windows-1252", "sloppy-windows-1251", "latin-1", "sloppy-windows-1250",
                           "sloppy-windows-1253", "sloppy-windows-1254", "sloppy-windows-1257", "macroman"])
        b = text.encode("utf-8")
        if rnd.random() < 0.2:
            # CESU-8 for characters outside the BMP, and Java's C0 80 for NUL
            b = cesu8(text) + (b"\xc0\x80" if rnd.random() < 0.5 else b"")
        out.append("x " + b.decode(page, "replace") + rnd.choice(["", " y", "\n", "!"]))
    return out


def own_texts(rnd):
    texts = [
        "it’s", "It’s a “test”", "‘single’ and „low“", "ʼn Afrikaans", "ﬁ ﬂ ﬀ ﬃ ﬄ ﬅ ﬆ", "the ﬁrst ﬂoor",
        "ＡＢＣ ０１２", "ＬＯＵＤ　ＮＯＩＳＥＳ", "ｶﾀｶﾅ", "Ｕﾀｰﾝ", "sÃ³", "cafÃ©", "Ã la mode", "voilÃ le travail",
        "\ufeffBOM at the start", "in\ufeffside", "\x1b[31mred\x1b[0m text", "\x1b[1;32;40mbold\x1b[0m",
        "C1 \x85 next line", "\x80 euro \x99 tm", "\x96 dash \x97", "NUL\x00inside", "bell\x07 and \x7f del",
        "xa\u0303y", "e\u0301", "A\u030a", "\u212b angstrom", "\u1e9b\u0323", "&amp;amp;amp;", "&amp;amp;", "&amp;",
        "Tom &amp; Jerry", "&lt;b&gt;bold&lt;/b&gt;", "<b>&amp;</b>", "a < b &amp; c", "&EACUTE;T&EACUTE;",
        "P&EACUTE;REZ", "BUNDESSTRA&SZLIG;E", "&ntilde; &Ntilde; &NTILDE; &nTILDE;", "&#x2019;", "&#8217;s",
        "&#128512;", "&#x1F600;", "&#0;", "&#x80;", "&#12abc;", "&hellip;", "&macr;\\_(ã\x83\x84)_/&macr;",
        "this&not that", "&notit;", "&amp", "&#39;", "&quot;quoted&quot;", "&nbsp;&nbsp;x",
        "emoji 😀 👍🏽 ❤️ 🇫🇷 👨‍👩‍👧", "CJK 中文 日本語 한국어", "line\r\nbreak", "cr\ronly", "ls\u2028ps\u2029",
        "tab\tand\x0bvt\x0cff", "\u206a\u206f deprecated", "\ufff9\ufffa\ufffb\ufffc annotation",
        "zero\u200bwidth\u200cjoiner\u200d", "rtl \u202e mark", "soft\u00adhyphen", "non\u00a0breaking",
        "ideographic\u3000space", "âœ” No problems", "Broken text&hellip; it&#x2019;s ﬂubberiﬁc!",
        "Ã¼ber", "Ð¿Ñ€Ð¸Ð²ÐµÑ‚", "Ð\u00a0Ð¾ÑÑÐ¸Ñ", "â€œquotedâ€�", "â€œ like this â€�", "Ã¢â‚¬Å“",
        "Ã‚Â£100", "Â£100", "sÃƒÂ³", "ÃƒÂ©tÃƒÂ©", "ãƒ†ã‚¹ãƒˆ", "Ø§Ù„Ø¹Ø±Ø¨ÙŠØ©", "à¤¹à¤¿à¤¨à¥\x8dà¤¦à¥€",
        "ðŸ˜€ emoji mojibake", "ðŸ‘\x8d", "ÄŒeÅ¡tina", "Î•Î»Î»Î·Î½Î¹ÎºÎ¬", "Ñ€ÑƒÑÑÐºÐ¸Ð¹",
        "ÐšÐ¸Ñ€Ð¸Ð»Ð»Ð¸Ñ†Ð°", "Ä\u008c", "IÃ±tÃ«rnÃ¢tiÃ´nÃ\u00a0lizÃ¦tiÃ¸n", "Ã\u00a0",
        "Direct: 5 â€“ 10 Â°C", "Ãƒâ€šÃ‚Â·", "The Mona Lisa doesnÃƒÂ¢Ã¢â€šÂ¬Ã¢â€žÂ¢t have eyebrows.",
        "weâ€™re", "doesnâ€™t", "Ã©", "Ã", "Â", "Ã ", " Ã ", "a Ã b", "Ãºnico", "ÃŸ", "Ã—", "Ã·",
        "Ã¶Ã¤Ã¼", "Ã–Ã„Ãœ", "Ãˆ", "Ã‰", "Ã‹", "Ã\u008d", "â€¦", "â€”", "â€“", "â€˜", "â€¢", "â„¢", "â‚¬",
        "Â¡Hola!", "Â¿QuÃ©?", "Â«guillemetsÂ»", "Â©2020", "Â®", "Â°", "Â±", "Âµ", "Â·",
        "l’été", "L'été dernier", "Dünyaya merhaba", "Wiederholung â€\" Test", "í•œêµ\xadì–´",
        "ã\x81\x82ã\x81\x84", "ä¸\xadæ–‡", "ðŸ\x98\x80", "Ã\x83Â©", "something\x92s", "\x93quoted\x94",
        "caf\u00e9 \u00c3\u00a9", "naÃ¯ve", "piÃ±ata", "rÃ©sumÃ©", "jalapeÃ±o", "Ã¼berÂ cool",
        "Ã¥ngstrÃ¶m", "smÃ¶rgÃ¥sbord", "Ã\u0083Ã\u0083Ã\u0083", "\u00c3\u00a0 la carte",
        "a\u030a\u0327 marks", "\u0d4c malayalam", "\u0b48 oriya", "\u1100\u1161\u11a8 hangul jamo",
        "ḱṷṓn", "ﬀ vs ff", "ǅ digraph", "Ĳssel", "ŉ", "ﬅ",
        "A" * 100, "word " * 40, "é" * 90, "😀" * 30, "long sÃ³ " * 20,
        "first line\nsecond line with sÃ³\nthird &amp; <tag> &amp;\nfourth &amp;",
        "line one &amp;\nline <two> &amp;", "<html> &amp; </html>\n&amp; after",
        "multi\n\nline\n\n\ntext", "\n\nleading newlines", "trailing newlines\n\n",
        "  spaces  around  ", "\t\ttabs\t", "", " ", "\n", "\x00", "\ufeff", "\x1b[0m",
        "<|startoftext|> and <|endoftext|>", "&lt;|endoftext|&gt;", "IT’S LOUD", "İstanbul",
        "ΣΊΣΥΦΟΣ", "Straße", "ﬀﬁﬂ", "Ⅻ roman", "½ half", "²³", "x² + y²", "H₂O", "℃ ℉", "№ 5",
        "\u2028", "\u0085", "\r", "\r\n", "\ud7ff", "\uffff", "\U0010ffff", "\U000e0067 tag",
        "🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f wales",
    ]
    # mojibake of more sentences, through the code pages people mix up
    for s in SENTENCES:
        for page, errors in (("windows-1252", "replace"), ("latin-1", "strict"), ("windows-1251", "replace"),
                             ("windows-1250", "replace"), ("macroman", "strict"), ("cp437", "strict")):
            texts.append(s.encode("utf-8").decode(page, errors))
        texts.append(s)
    rnd.shuffle(texts)
    return texts


def nfc_cases(rnd):
    """NFC of texts with the combining marks new in Unicode 14.0 (unknown to Java 17) among older marks."""
    new = [0x0898, 0x0899, 0x089C, 0x08CA, 0x08CF, 0x0C3C, 0x1715, 0x1AC1, 0x1AC3, 0x1ACE, 0x1DFA, 0x10F82,
           0x10F83, 0x11070, 0x1E2AE]
    old = [0x0301, 0x0300, 0x0302, 0x0303, 0x0308, 0x0323, 0x0327, 0x0328, 0x0331, 0x093C, 0x0C56, 0x0C4D,
           0x05B0, 0x0650, 0x064B, 0x1DCE, 0x0345]
    bases = ["a", "e", "o", "A", "O", "\u0928", "\u0c15", "\u0627", "\u1100", "\u1161", " ", "\u0915"]
    out = []
    for _ in range(600):
        s = "".join(rnd.choice(bases) + "".join(chr(rnd.choice(new + old)) for _ in range(rnd.randint(0, 4)))
                    for _ in range(rnd.randint(1, 3)))
        out.append({"text": s, "nfc": unicodedata.normalize("NFC", s)})
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ftfy", required=True, help="source tree of ftfy 6.3.1")
    parser.add_argument("--clip", required=True, help="openai/CLIP checkout (clip/simple_tokenizer.py)")
    args = parser.parse_args()
    sys.path.insert(0, args.ftfy)
    stub_wcwidth()
    import ftfy
    from ftfy import badness, chardata
    if ftfy.__version__ != "6.3.1" or sys.version_info[:3] != (3, 11, 2) or unicodedata.unidata_version != "14.0.0":
        sys.exit("need ftfy 6.3.1 on Python 3.11.2 / Unicode 14.0.0")
    sys.path.insert(0, os.path.join(args.clip, "clip"))
    import simple_tokenizer
    assert simple_tokenizer.ftfy is ftfy
    tokenizer = simple_tokenizer.SimpleTokenizer()

    suite = json.load(open(os.path.join(args.ftfy, "tests", "test_cases.json"), encoding="utf-8"))
    cases = []
    for case in suite:
        orig = case["original"]
        out = {k: case[k] for k in ("label", "original", "fixed", "fixed-encoding", "expect") if k in case}
        out["ftfy_fix_text"] = ftfy.fix_text(orig)
        out["ftfy_fix_encoding"] = ftfy.fix_encoding(orig)
        out["ftfy_fix_text_extra_bad"] = ftfy.fix_text(orig.encode("utf-8").decode("latin-1"))
        cases.append(out)
    header = {"source": "tests/test_cases.json of ftfy 6.3.1 (https://github.com/rspeer/python-ftfy, tag v6.3.1), "
                        "Copyright 2023 Robyn Speer, Apache License 2.0; ftfy_* fields added by "
                        "clip-core/src/test/scripts/gen_ftfy_cases.py with ftfy 6.3.1 on Python 3.11.2",
              "cases": cases}
    write("ftfy_test_cases.json", header)

    rnd = random.Random(20261204)
    texts = mojibake_cases(ftfy, chardata) + random_cases(rnd, badness)
    seen, rows = set(), []
    for t in texts:
        if t not in seen:
            seen.add(t)
            rows.append({"text": t, "fix_text": ftfy.fix_text(t), "badness": badness.badness(t)})
    write("ftfy_random_cases.json", {"source": "ftfy 6.3.1 on Python 3.11.2", "cases": rows})

    write("nfc_cases.json", {"source": "unicodedata.normalize('NFC') of Python 3.11.2 (Unicode 14.0.0)",
                             "cases": nfc_cases(random.Random(14))})

    rows = []
    for t in own_texts(random.Random(7)):
        rows.append({"text": t, "fix_text": ftfy.fix_text(t), "encode": tokenizer.encode(t)})
    write("tokenizer_ftfy_cases.json", {
        "source": "openai/CLIP d05afc436d78f1c48dc0dbf8e5980a9d471f35f6 SimpleTokenizer().encode with ftfy 6.3.1, "
                  "regex 2022.10.31, Python 3.11.2",
        "cases": rows})


def write(name, data):
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(data, f, ensure_ascii=True, indent=0)
        f.write("\n")
    print("wrote %s: %d cases" % (path, len(data["cases"])))


if __name__ == "__main__":
    main()
