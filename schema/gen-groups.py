#!/usr/bin/env python3
"""Generate schema/groups.xsd: the relaxed copy of the configuration used
inside [edit groups NAME].

Reads the strict schema files that configuration.xsd includes (all but
groups.xsd itself) and writes the group `configuration-body-grp`, a deep
copy of `configuration-body` in which

  * every named complex type T with element content (a container or list
    entry type) that is reached becomes a copy named T-grp;
  * anonymous types are copied inline;
  * identity constraints (xs:key, xs:unique, xs:keyref) are dropped;
  * the type of every list key element (the `name` child, or the children
    named by <o:key>) becomes the union of its strict simple type and
    `wildcard-name` (<ms-*>, <*>): X-leaf -> X-or-wildcard-leaf.

Leaf types (X-leaf, flag) hold no keys and are shared, not copied.
Conventions: docs/schema.md.  Python 3 standard library only.

usage: gen-groups.py [--check] [--output FILE] [SCHEMADIR]
  SCHEMADIR  directory of configuration.xsd (default: this script's)
  --output   file to write (default: SCHEMADIR/groups.xsd)
  --check    write nothing; exit 1 if the file differs from what would
             be generated (stale), 0 if it is up to date
"""

import argparse
import os
import sys
import xml.dom.minidom as minidom

XS = "http://www.w3.org/2001/XMLSchema"
O = "urn:opensg:schema:1"
OUTPUT_NAME = "groups.xsd"
IDENTITY = ("key", "unique", "keyref")


def fail(msg):
    sys.stderr.write("gen-groups.py: %s\n" % msg)
    sys.exit(2)


def is_xs(node, local=None):
    return (node.nodeType == node.ELEMENT_NODE and node.namespaceURI == XS
            and (local is None or node.localName == local))


def xs_children(node, local=None):
    return [c for c in node.childNodes if is_xs(c, local)]


def has_element_content(ctype):
    """True for a complex type whose content holds elements (container)."""
    return any(c.localName in ("sequence", "choice", "all", "group")
               for c in xs_children(ctype))


class Schema:
    """The named components of the strict schema files."""

    def __init__(self, schemadir):
        self.ctypes = {}
        self.stypes = {}
        self.groups = {}
        top = os.path.join(schemadir, "configuration.xsd")
        files = [top]
        doc = self._load(top)
        for inc in xs_children(doc.documentElement, "include"):
            loc = inc.getAttribute("schemaLocation")
            if loc != OUTPUT_NAME:
                files.append(os.path.join(schemadir, loc))
        for path in files[1:]:
            self._load(path)
        if "configuration-body" not in self.groups:
            fail("no group configuration-body in %s" % top)

    def _load(self, path):
        try:
            doc = minidom.parse(path)
        except (OSError, Exception) as e:  # expat errors, missing files
            fail("%s: %s" % (path, e))
        for c in xs_children(doc.documentElement):
            name = c.getAttribute("name")
            table = {"complexType": self.ctypes, "simpleType": self.stypes,
                     "group": self.groups}.get(c.localName)
            if table is None or not name:
                continue
            if name in table:
                fail("%s: %s %s defined twice" % (path, c.localName, name))
            table[name] = c
        return doc


def appinfo(elem, local):
    """Text of <o:LOCAL> in the element's xs:annotation/xs:appinfo, or None."""
    for ann in xs_children(elem, "annotation"):
        for info in xs_children(ann, "appinfo"):
            for c in info.childNodes:
                if (c.nodeType == c.ELEMENT_NODE and c.namespaceURI == O
                        and c.localName == local):
                    return "".join(t.data for t in c.childNodes
                                   if t.nodeType == t.TEXT_NODE).strip()
    return None


def wrapper_unbounded(elem):
    """A list or leaf-list: the element's wrapper repeats."""
    p = elem.parentNode
    return (is_xs(p, "sequence")
            and (p.getAttribute("maxOccurs") == "unbounded"
                 or elem.getAttribute("maxOccurs") == "unbounded"))


def list_keys(elem):
    keys = appinfo(elem, "key")
    return keys.split() if keys else ["name"]


class Generator:
    def __init__(self, schema):
        self.s = schema
        self.out = minidom.getDOMImplementation().createDocument(XS, "xs:schema", None)
        self.queue = []          # named complex types to copy, in order
        self.copied = set()
        self.type_keys = {}      # named complex type -> key names of its entries
        self.wild = []           # strict simple types given a wildcard union
        self._scan_lists()

    def _scan_lists(self):
        """Record, for each named complex type used as a list entry, its keys."""
        def walk(node):
            for c in node.childNodes:
                if c.nodeType != c.ELEMENT_NODE:
                    continue
                t = c.getAttribute("type")
                if is_xs(c, "element") and t in self.s.ctypes \
                        and has_element_content(self.s.ctypes[t]) and wrapper_unbounded(c):
                    keys = list_keys(c)
                    if self.type_keys.setdefault(t, keys) != keys:
                        fail("type %s is a list entry with different keys" % t)
                walk(c)
        for table in (self.s.ctypes, self.s.groups):
            for node in table.values():
                walk(node)

    # -- copying -----------------------------------------------------------

    def grp_type(self, name):
        if name not in self.copied:
            self.copied.add(name)
            self.queue.append(name)
        return name + "-grp"

    def wildcard_type(self, leaf_type, where):
        ct = self.s.ctypes.get(leaf_type)
        base = None
        if ct is not None:
            for sc in xs_children(ct, "simpleContent"):
                for ext in xs_children(sc, "extension"):
                    base = ext.getAttribute("base")
        if not base or base not in self.s.stypes:
            fail("key %s: type %s is not an X-leaf of a named simple type"
                 % (where, leaf_type or "(anonymous)"))
        if base not in self.wild:
            self.wild.append(base)
        return base + "-or-wildcard-leaf"

    def copy(self, node, keys=None):
        """Deep copy of NODE into the output document.  KEYS: names of the
        key elements when NODE is (part of) the content of a list entry."""
        if node.nodeType == node.TEXT_NODE:
            return self.out.createTextNode(node.data) if node.data.strip() else None
        if node.nodeType != node.ELEMENT_NODE:
            return None                        # XML comments are not copied
        if is_xs(node) and node.localName in IDENTITY:
            return None
        new = self.out.createElementNS(node.namespaceURI, node.tagName)
        for i in range(node.attributes.length):
            a = node.attributes.item(i)
            new.setAttribute(a.name, a.value)

        child_keys = None
        if is_xs(node, "element"):
            t = node.getAttribute("type")
            name = node.getAttribute("name")
            if keys and name in keys and is_key_position(node):
                new.setAttribute("type", self.wildcard_type(t, name))
            elif t in self.s.ctypes and has_element_content(self.s.ctypes[t]):
                new.setAttribute("type", self.grp_type(t))
            if not t and wrapper_unbounded(node):
                child_keys = list_keys(node)   # anonymous list entry type
        elif is_xs(node, "group") and node.hasAttribute("ref"):
            ref = node.getAttribute("ref")
            g = self.s.groups.get(ref)
            if g is not None and contains_element_decl(g):
                new.setAttribute("ref", self.grp_group(ref))
        elif is_xs(node, "complexType"):
            child_keys = keys                  # content of this type
        elif is_xs(node, "sequence") and is_xs(node.parentNode, "complexType"):
            child_keys = keys                  # top sequence of the entry type

        for c in node.childNodes:
            if is_xs(node, "element") and is_xs(c, "complexType"):
                cc = self.copy(c, child_keys)
            elif is_xs(node, "complexType") or (is_xs(node, "sequence")
                                                and is_xs(node.parentNode, "complexType")):
                cc = self.copy(c, child_keys)
            else:
                cc = self.copy(c, None)
            if cc is not None:
                new.appendChild(cc)
        return new

    def grp_group(self, name):
        key = ("group", name)
        if key not in self.copied:
            self.copied.add(key)
            self.queue.append(key)
        return name + "-grp"

    # -- output ------------------------------------------------------------

    def build(self):
        root = self.out.documentElement
        root.setAttribute("xmlns:xs", XS)
        root.setAttribute("xmlns:junos", "http://xml.juniper.net/junos/*/junos")
        root.setAttribute("xmlns:o", O)

        body = self.copy(self.s.groups["configuration-body"])
        body.setAttribute("name", "configuration-body-grp")
        items = [("group", "configuration-body-grp", body)]
        while self.queue:
            item = self.queue.pop(0)
            if isinstance(item, tuple):
                g = self.copy(self.s.groups[item[1]])
                g.setAttribute("name", item[1] + "-grp")
                items.append(("group", item[1] + "-grp", g))
                continue
            src = self.s.ctypes[item]
            ct = self.copy(src, self.type_keys.get(item))
            ct.setAttribute("name", item + "-grp")
            items.append(("complexType", item + "-grp", ct))

        parts = [wildcard_decl()]
        for base in self.wild:
            parts.append(union_decl(base))
        for _, _, node in items:
            parts.append(serialize(node, 1))
        return HEADER + "\n".join(parts) + "</xs:schema>\n"


def is_key_position(elem):
    """A key element sits directly in the top sequence of the entry type."""
    p = elem.parentNode
    return is_xs(p, "sequence") and is_xs(p.parentNode, "complexType")


def contains_element_decl(node):
    """A named group that declares elements (not just refs) needs a copy."""
    return any(c.hasAttribute("name") for c in node.getElementsByTagNameNS(XS, "element"))


HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<!--
  generated by gen-groups.py; do not edit.

  The relaxed copy of the configuration used inside [edit groups NAME]:
  configuration-body-grp mirrors configuration-body with every container
  type T copied as T-grp, no identity constraints, and list keys that also
  accept a wildcard name (<ms-*>, <*>).  Regenerate with
  schema/gen-groups.py after changing any other schema file.
-->
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:junos="http://xml.juniper.net/junos/*/junos"
           xmlns:o="urn:opensg:schema:1">

"""


def wildcard_decl():
    return """  <!-- A wildcard list key, only inside groups: <ms-*>, <*>, <ge-0/0/[0-3]>. -->
  <xs:simpleType name="wildcard-name">
    <xs:annotation><xs:appinfo>
      <o:value-help>wildcard</o:value-help>
      <o:message>Must be a wildcard name enclosed in angle brackets, such as &lt;ms-*&gt;</o:message>
    </xs:appinfo></xs:annotation>
    <xs:restriction base="xs:string">
      <xs:pattern value="&lt;[^&lt;&gt;]+&gt;"/>
    </xs:restriction>
  </xs:simpleType>
"""


def union_decl(base):
    return """  <xs:simpleType name="{b}-or-wildcard">
    <xs:union memberTypes="{b} wildcard-name"/>
  </xs:simpleType>
  <xs:complexType name="{b}-or-wildcard-leaf">
    <xs:simpleContent><xs:extension base="{b}-or-wildcard"><xs:attributeGroup ref="meta"/></xs:extension></xs:simpleContent>
  </xs:complexType>
""".format(b=base)


def esc(text, attr=False):
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if attr else text


def serialize(node, level):
    pad = "  " * level
    attrs = "".join(' %s="%s"' % (node.attributes.item(i).name,
                                  esc(node.attributes.item(i).value, True))
                    for i in range(node.attributes.length))
    kids = [c for c in node.childNodes
            if c.nodeType == c.ELEMENT_NODE or (c.nodeType == c.TEXT_NODE and c.data.strip())]
    if not kids:
        return "%s<%s%s/>\n" % (pad, node.tagName, attrs)
    if all(c.nodeType == c.TEXT_NODE for c in kids):
        text = "".join(c.data for c in kids).strip()
        return "%s<%s%s>%s</%s>\n" % (pad, node.tagName, attrs, esc(text), node.tagName)
    out = ["%s<%s%s>\n" % (pad, node.tagName, attrs)]
    for c in kids:
        if c.nodeType == c.TEXT_NODE:
            out.append("%s  %s\n" % (pad, esc(c.data.strip())))
        else:
            out.append(serialize(c, level + 1))
    out.append("%s</%s>\n" % (pad, node.tagName))
    return "".join(out)


def main():
    ap = argparse.ArgumentParser(description="Generate schema/groups.xsd")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if the output file is stale")
    ap.add_argument("--output", help="file to write (default SCHEMADIR/groups.xsd)")
    ap.add_argument("schemadir", nargs="?",
                    default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()
    output = args.output or os.path.join(args.schemadir, OUTPUT_NAME)

    text = Generator(Schema(args.schemadir)).build()
    if args.check:
        try:
            with open(output, encoding="utf-8") as f:
                current = f.read()
        except OSError:
            current = None
        if current != text:
            sys.stderr.write("gen-groups.py: %s is stale; run schema/gen-groups.py\n" % output)
            return 1
        return 0
    tmp = output + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
