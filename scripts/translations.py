#!/usr/bin/env python3
"""The person's words for translators: export them, import a translation back.

  python3 scripts/translations.py export > strings.json
      every person-facing text of the shipped content (protocol items and choices, resource
      descriptions) and of the hand-over view (ui/src/lib/personWords.json), as a list of
      {key, where, en, es}.
  python3 scripts/translations.py import CODE CODE.json
      writes a translation (one JSON object, key -> text) into the content files: `text.CODE`
      after an item's or choice's last text line, `description.CODE` after a resource's last
      description, CODE into each protocol's `languages`, and the hand-over words into
      personWords.json. An existing CODE line is replaced. Register the language in
      screening-protocols/languages.toml (status "unreviewed" until a qualified translator has
      checked it), then run `fieldscreen protocol check`.
"""
import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "screening-protocols"
PROTOCOLS = ["adult-roadside/protocol.toml", "minors/protocol.toml"]
DIRECTORIES = ["resources/us-national.toml"]
WORDS = ROOT / "ui/src/lib/personWords.json"


def entries():
    out = []
    for f in PROTOCOLS:
        d = tomllib.loads((CONTENT / f).read_text())
        for sec in d["section"]:
            for it in sec.get("item", []):
                if "text" in it:
                    out.append({"key": f"{f}#{it['id']}", "where": f"{d['protocol']['id']}: {it['label']}",
                                "en": it["text"]["en"], "es": it["text"].get("es")})
                for c in it.get("choices", []):
                    out.append({"key": f"{f}#{it['id']}/{c['id']}", "where": f"{d['protocol']['id']}: {it['label']}, a choice",
                                "en": c["text"]["en"], "es": c["text"].get("es")})
    for f in DIRECTORIES:
        d = tomllib.loads((CONTENT / f).read_text())
        for r in d["resource"]:
            out.append({"key": f"{f}#{r['id']}", "where": f"resource card: {r['name']}",
                        "en": r["description"]["en"], "es": r["description"].get("es")})
    words = json.loads(WORDS.read_text())
    for k, en in words["en"].items():
        out.append({"key": f"ui#{k}", "where": "hand-over view", "en": en, "es": words.get("es", {}).get(k)})
    return out


def toml_str(s):
    return json.dumps(s, ensure_ascii=False)


def put_line(lines, start, end, prefix, code, value):
    """Replaces `prefix.code = ...` within lines[start:end], or adds it after the last `prefix.*` line."""
    new = f"{prefix}.{code} = {toml_str(value)}"
    last = None
    for i in range(start, end):
        if lines[i].startswith(f"{prefix}.{code} ="):
            lines[i] = new
            return
        if re.match(rf"{re.escape(prefix)}\.[A-Za-z-]+ =", lines[i]):
            last = i
    if last is None:
        raise SystemExit(f"no {prefix}.* line to put {prefix}.{code} after")
    lines.insert(last + 1, new)


def put_choice(lines, start, end, choice, code, value):
    """Sets `text.code` in the inline table `{ id = "choice", text.en = ..., ... }` of an item's
    `choices` (one choice to a line, as the format writes them)."""
    for i in range(start, end):
        if re.search(rf'\{{\s*id = "{re.escape(choice)}"', lines[i]):
            line = re.sub(rf',\s*text\.{re.escape(code)} = "(?:[^"\\]|\\.)*"', "", lines[i])
            cut = line.rindex("}")
            lines[i] = line[:cut].rstrip() + f", text.{code} = {toml_str(value)} " + line[cut:]
            return
    raise SystemExit(f"no choice {choice} on a line of its own in this item")


def block(lines, header_re, ident):
    """The line range of the table whose header matches and whose `id` is `ident`."""
    for i, l in enumerate(lines):
        if re.match(header_re, l):
            j = i + 1
            while j < len(lines) and not lines[j].startswith("["):
                j += 1
            if any(x == f'id = "{ident}"' for x in lines[i:j]):
                return i, j
    raise SystemExit(f"no table with id {ident}")


def import_lang(code, path):
    t = json.loads(Path(path).read_text())
    keys = {e["key"] for e in entries()}
    missing = keys - t.keys()
    extra = t.keys() - keys
    if missing or extra:
        raise SystemExit(f"{path}: missing {sorted(missing)}, unknown {sorted(extra)}")
    for f in PROTOCOLS + DIRECTORIES:
        p = CONTENT / f
        lines = p.read_text().split("\n")
        for key, value in t.items():
            file, _, ident = key.partition("#")
            if file != f:
                continue
            if f in DIRECTORIES:
                s, e = block(lines, r"\[\[resource\]\]", ident)
                put_line(lines, s, e, "description", code, value)
            elif "/" in ident:
                item, choice = ident.split("/")
                s, e = block(lines, r"\[\[section\.item\]\]", item)
                put_choice(lines, s, e, choice, code, value)
            else:
                s, e = block(lines, r"\[\[section\.item\]\]", ident)
                put_line(lines, s, e, "text", code, value)
        if f in PROTOCOLS:
            for i, l in enumerate(lines):
                m = re.match(r"languages = \[(.*)\]$", l)
                if m:
                    langs = json.loads(f"[{m.group(1)}]")
                    if code not in langs:
                        langs.append(code)
                    lines[i] = "languages = [" + ", ".join(toml_str(x) for x in langs) + "]"
                    break
        p.write_text("\n".join(lines))
    words = json.loads(WORDS.read_text())
    words[code] = {k: t[f"ui#{k}"] for k in words["en"]}
    WORDS.write_text(json.dumps(words, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["export"]:
        json.dump(entries(), sys.stdout, ensure_ascii=False, indent=1)
        print()
    elif sys.argv[1:2] == ["import"] and len(sys.argv) == 4:
        import_lang(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
