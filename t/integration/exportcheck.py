#!/usr/bin/python3
"""exportcheck.py - read an export the way its readers do, for test_exports.c.

  exportcheck.py csv FILE   strict UTF-8, RFC 4180 (every record ends in
                            CRLF, quotes balanced), read by Python's csv
                            module; prints the records as a JSON array of
                            arrays.
  exportcheck.py svg FILE   parsed by xml.etree (a well-formed document),
                            root <svg role="img"> with a <title> and a
                            <desc>, nothing that runs (no script,
                            foreignObject, on* attribute, javascript: link);
                            prints {"title", "desc", "titles": [...]}.

Exits 1 with a message on stderr when the file is not so.  Debian's
/usr/bin/python3, standard library only.
"""
import csv
import io
import json
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def fail(msg):
    sys.stderr.write("exportcheck: %s\n" % msg)
    sys.exit(1)


def check_csv(path):
    text = open(path, "rb").read().decode("utf-8")
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch == "\n" and not quoted and (i == 0 or text[i - 1] != "\r"):
            fail("a record ends in a bare LF at offset %d" % i)
        elif ch == "\r" and not quoted and text[i + 1:i + 2] != "\n":
            fail("a bare CR outside quotes at offset %d" % i)
    if quoted:
        fail("unbalanced quotes")
    if text and not text.endswith("\r\n"):
        fail("the last record does not end in CRLF")
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    print(json.dumps(rows))


def check_svg(path):
    root = ET.parse(path).getroot()
    if root.tag != SVG + "svg" or root.get("role") != "img":
        fail("root is %s role=%s" % (root.tag, root.get("role")))
    title, desc = root.find(SVG + "title"), root.find(SVG + "desc")
    if title is None or desc is None or not title.text or not desc.text:
        fail("no title or desc")
    for e in root.iter():
        if e.tag.split("}")[-1].lower() in ("script", "foreignobject"):
            fail("a %s element" % e.tag)
        for k, v in e.attrib.items():
            if k.lower().startswith("on") or "javascript:" in v.lower():
                fail("attribute %s=%s" % (k, v))
    titles = [t.text for t in root.iter(SVG + "title")][1:]
    print(json.dumps({"title": title.text, "desc": desc.text, "titles": titles}))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("csv", "svg"):
        fail("usage: exportcheck.py csv|svg FILE")
    try:
        (check_csv if sys.argv[1] == "csv" else check_svg)(sys.argv[2])
    except (UnicodeDecodeError, ET.ParseError, csv.Error) as e:
        fail(str(e))
