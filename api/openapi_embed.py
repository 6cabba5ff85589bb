#!/usr/bin/env python3
"""Turns docs/openapi.yaml into a C++ source that returns it as compact JSON,
for GET /v1/openapi.json. Run by the build (api/CMakeLists.txt):
    openapi_embed.py INPUT.yaml OUTPUT.cpp
"""
import json
import sys

import yaml


def c_literal(text, width=100):
    """The text as adjacent C string literals of at most `width` characters."""
    out = []
    for i in range(0, len(text), width):
        chunk = text[i:i + width]
        escaped = chunk.replace("\\", "\\\\").replace('"', '\\"').replace("?", "\\?")
        out.append('    "' + escaped + '"')
    return "\n".join(out) if out else '    ""'


def main():
    source, target = sys.argv[1], sys.argv[2]
    with open(source, encoding="utf-8") as f:
        document = yaml.safe_load(f)
    # ensure_ascii: the literal is plain ASCII whatever the document holds.
    text = json.dumps(document, ensure_ascii=True, separators=(",", ":"))
    code = (
        "// Generated from docs/openapi.yaml by api/openapi_embed.py; do not edit.\n"
        '#include "api/openapi.h"\n\n'
        "namespace jaild::api {\n\n"
        "std::string_view openapi_json() {\n"
        "  static constexpr char text[] =\n" + c_literal(text) + ";\n"
        "  return {text, sizeof text - 1};\n"
        "}\n\n"
        "}  // namespace jaild::api\n"
    )
    with open(target, "w", encoding="utf-8") as f:
        f.write(code)


if __name__ == "__main__":
    main()
