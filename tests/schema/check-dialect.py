#!/usr/bin/env python3
"""Check that schema files follow the XSD dialect of docs/schema.md.

usage: check-dialect.py FILE.xsd...   (prints one line per violation,
exits 1 if there is any)

Rules checked, for every statement element (xs:element with a name):
  - it has help text (xs:annotation/xs:documentation, not empty);
  - it is a list key (the `name` child, or one named by <o:key>), first
    in its entry and not optional, or it is wrapped: the only element of
    an xs:sequence (minOccurs="0", or a branch of an optional xs:choice)
    that ends with <xs:group ref="comments"/>;
  - its type (named or anonymous) carries <xs:attributeGroup ref="meta"/>;
  - a type with element content starts with the comments slot, or with
    its keys followed by the comments slot;
  - an X-leaf complex type extends the simple type X.
"""

import sys
import xml.dom.minidom as minidom

XS = "http://www.w3.org/2001/XMLSchema"
O = "urn:opensg:schema:1"


def kids(node, local=None):
    return [c for c in node.childNodes
            if c.nodeType == c.ELEMENT_NODE and c.namespaceURI == XS
            and (local is None or c.localName == local)]


def appinfo(elem, local):
    for ann in kids(elem, "annotation"):
        for info in kids(ann, "appinfo"):
            for c in info.childNodes:
                if c.nodeType == c.ELEMENT_NODE and c.namespaceURI == O and c.localName == local:
                    return "".join(t.data for t in c.childNodes if t.nodeType == t.TEXT_NODE).strip()
    return None


def is_comments(node):
    return node.localName == "group" and node.getAttribute("ref") == "comments"


class Checker:
    def __init__(self):
        self.ctypes = {}
        self.errors = []

    def err(self, path, elem, msg):
        name = elem.getAttribute("name") if elem.hasAttribute("name") else elem.localName
        self.errors.append("%s: %s: %s" % (path, name, msg))

    def load(self, paths):
        docs = []
        for p in paths:
            doc = minidom.parse(p)
            docs.append((p, doc))
            for c in kids(doc.documentElement, "complexType"):
                self.ctypes[c.getAttribute("name")] = c
        return docs

    def has_meta(self, ctype):
        """<xs:attributeGroup ref="meta"/> on the type itself (directly or in
        its simpleContent derivation), not in a nested anonymous type."""
        holders = [ctype] + [d for sc in kids(ctype, "simpleContent") for d in kids(sc)]
        return any(g.getAttribute("ref") == "meta"
                   for h in holders for g in kids(h, "attributeGroup"))

    def element_content(self, ctype):
        return any(c.localName in ("sequence", "choice", "group") for c in kids(ctype))

    def check_type(self, path, ctype, keys):
        if not self.has_meta(ctype):
            self.err(path, ctype, "type lacks <xs:attributeGroup ref=\"meta\"/>")
        if not self.element_content(ctype):
            return
        seqs = kids(ctype, "sequence")
        if len(seqs) != 1:
            self.err(path, ctype, "element content must be one xs:sequence")
            return
        items = kids(seqs[0])
        i = 0
        for k in keys:
            if i < len(items) and items[i].localName == "element" and items[i].getAttribute("name") == k:
                i += 1
            else:
                self.err(path, ctype, "list key '%s' must come first, in o:key order" % k)
                return
        if i >= len(items) or not is_comments(items[i]):
            self.err(path, ctype, "the comments slot must follow the keys / open the block")
        for item in items[i + 1:]:
            self.check_item(path, item)

    def check_item(self, path, item):
        """An item of a container's sequence: a wrapper, a choice, a group."""
        if item.localName == "group":
            return
        if item.localName == "choice":
            if item.getAttribute("minOccurs") != "0":
                self.err(path, item, "xs:choice must have minOccurs=\"0\"")
            for branch in kids(item):
                self.check_wrapper(path, branch, in_choice=True)
            return
        if item.localName == "sequence":
            if item.getAttribute("minOccurs") != "0":
                self.err(path, item, "wrapper xs:sequence must have minOccurs=\"0\"")
            self.check_wrapper(path, item, in_choice=False)
            return
        self.err(path, item, "unexpected %s in a container" % item.localName)

    def check_wrapper(self, path, seq, in_choice):
        parts = kids(seq)
        if (seq.localName != "sequence" or len(parts) != 2 or parts[0].localName != "element"
                or not is_comments(parts[1])):
            self.err(path, seq, "a statement is wrapped as <xs:sequence><xs:element/><xs:group ref=\"comments\"/></xs:sequence>")
            return
        if in_choice and seq.getAttribute("minOccurs") == "0":
            self.err(path, seq, "choice branches are not optional themselves")
        self.check_element(path, parts[0], seq)

    def check_element(self, path, elem, wrapper):
        doc = [d for a in kids(elem, "annotation") for d in kids(a, "documentation")]
        if not doc or not "".join(t.data for t in doc[0].childNodes if t.nodeType == t.TEXT_NODE).strip():
            self.err(path, elem, "no xs:documentation (help text)")
        if elem.hasAttribute("minOccurs") or elem.hasAttribute("maxOccurs"):
            self.err(path, elem, "occurrence belongs on the wrapper, not the element")
        is_list = wrapper is not None and wrapper.getAttribute("maxOccurs") == "unbounded"
        keys = (appinfo(elem, "key") or "name").split() if is_list else []
        t = elem.getAttribute("type")
        anon = kids(elem, "complexType")
        if t:
            ctype = self.ctypes.get(t)
            if ctype is None:
                return              # simple type or a type of another file: xmllint checks
            if not self.element_content(ctype):
                keys = []           # leaf-list
            self.check_named(t, keys)
        elif anon:
            if not self.element_content(anon[0]):
                keys = []
            self.check_type(path + "/" + elem.getAttribute("name"), anon[0], keys)
        else:
            self.err(path, elem, "element without a type")

    def check_named(self, name, keys):
        key = (name, tuple(keys))
        if key in self.done:
            return
        self.done.add(key)
        self.check_type("type " + name, self.ctypes[name], keys)

    def run(self, paths):
        self.done = set()
        for p, doc in self.load(paths):
            root = doc.documentElement
            for ct in kids(root, "complexType"):
                name = ct.getAttribute("name")
                if name.endswith("-leaf"):
                    ext = [e for sc in kids(ct, "simpleContent") for e in kids(sc, "extension")]
                    if not ext or ext[0].getAttribute("base") != name[:-len("-leaf")]:
                        self.err(p, ct, "X-leaf must extend the simple type X")
                    if not self.has_meta(ct):
                        self.err(p, ct, "type lacks <xs:attributeGroup ref=\"meta\"/>")
            for g in kids(root, "group"):
                if g.getAttribute("name") in ("comments",):
                    continue
                for seq in kids(g, "sequence"):
                    for item in kids(seq):
                        self.check_item("group " + g.getAttribute("name"), item)
            for el in kids(root, "element"):
                if el.namespaceURI == XS and el.getAttribute("name") and kids(el, "annotation"):
                    doc_ = [d for a in kids(el, "annotation") for d in kids(a, "documentation")]
                    if not doc_:
                        self.err(p, el, "no xs:documentation (help text)")
        # named container types never reached from a statement are checked as non-lists
        for name, ct in self.ctypes.items():
            if not name.endswith("-leaf") and self.element_content(ct) and \
                    not any(n == name for n, _ in self.done):
                self.check_named(name, [])
        return self.errors


def main():
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    errors = Checker().run(sys.argv[1:])
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
