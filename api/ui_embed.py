#!/usr/bin/env python3
"""Turns the status page's files (api/ui/) into a C++ source that serves
them from inside jaild (GET /ui/...). Run by the build (api/CMakeLists.txt):
    ui_embed.py OUTPUT.cpp FILE...
"""
import os
import sys

TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8"}


def c_literal(data, width=100):
    """The bytes as adjacent C string literals, every byte outside printable
    ASCII (and the quote, backslash and ?) as an octal escape."""
    out, line = [], ""
    for b in data:
        c = chr(b)
        if c in '"\\?' or not (32 <= b < 127):
            line += "\\%03o" % b
        else:
            line += c
        if len(line) >= width:
            out.append('    "' + line + '"')
            line = ""
    if line or not out:
        out.append('    "' + line + '"')
    return "\n".join(out)


def main():
    target, files = sys.argv[1], sys.argv[2:]
    entries = []
    for i, path in enumerate(files):
        name = os.path.basename(path)
        with open(path, "rb") as f:
            data = f.read()
        entries.append((name, TYPES[os.path.splitext(name)[1]], i, data))
    code = ["// Generated from api/ui/ by api/ui_embed.py; do not edit.",
            '#include "api/ui.h"', "", "namespace jaild::api {", "namespace {", ""]
    for name, _, i, data in entries:
        code.append("constexpr char file_%d[] =\n%s;" % (i, c_literal(data)))
    code += ["", "}  // namespace", "",
             "const ui_file* find_ui_file(std::string_view name) {",
             "  static const ui_file files[] = {"]
    for name, ctype, i, _ in entries:
        code.append('      {"%s", "%s", {file_%d, sizeof file_%d - 1}},' % (name, ctype, i, i))
    code += ["  };",
             "  for (const auto& f : files)",
             "    if (f.name == name) return &f;",
             "  return nullptr;",
             "}", "", "}  // namespace jaild::api", ""]
    with open(target, "w", encoding="ascii") as f:
        f.write("\n".join(code))


if __name__ == "__main__":
    main()
