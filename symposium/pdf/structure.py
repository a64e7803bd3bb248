"""Tagged PDFs through splitting and layering: structure trees, subset names, identification.

WeasyPrint writes one structure tree (PDF/UA) for a whole batch; :mod:`.engine` splits the
batch into one PDF per document and may draw a shared "background" page underneath as a
Form XObject. This module keeps each output a conforming tagged PDF:

- :class:`Source` indexes a WeasyPrint PDF's tree: the top-level elements of each page and
  the parent tree (MCID -> element) entries; top-level elements are detached from the
  batch's Document element so copying one document never drags in the others.
- :class:`Builder` gives each output its own StructTreeRoot / Document / ParentTree from its
  pages' elements; a background's elements are merged in reading order (the names layer's
  slot takes the place of the background's empty slot; the rest of the names layer follows
  the background), their marked content referenced in the Form XObject (MCR with /Stm).
- :func:`unique_subset_names`: WeasyPrint names a subset after the font FILE, so two layers
  carry different subsets under one name (ISO 32000-1 §9.6.4 wants one name per subset):
  the tag becomes a hash of the subset's own bytes.
- :func:`identify`: XMP metadata (PDF/UA-1, and PDF/A-2u for archival outputs) matching the
  document information dictionary, deterministic (no random ids, no "now").
"""

from __future__ import annotations

import functools
import hashlib
import string
from importlib import resources
from xml.sax.saxutils import escape

import pikepdf

SUBSET_LETTERS = string.ascii_uppercase


class Source:
    """The structure tree of a WeasyPrint PDF, indexed by page."""

    def __init__(self, pdf: pikepdf.Pdf, *, strip_pages: bool = False):
        self.pdf = pdf
        self.top: dict[tuple, list] = {}
        self.nums: dict[int, object] = {}
        root = pdf.Root.get("/StructTreeRoot")
        self.tagged = root is not None
        if root is None:
            return
        nums = root.ParentTree.get("/Nums", pikepdf.Array())
        for i in range(0, len(nums) - 1, 2):
            self.nums[int(nums[i])] = nums[i + 1]
        kids = root.K if isinstance(root.K, pikepdf.Array) else pikepdf.Array([root.K])
        for document in kids:
            children = document.get("/K", pikepdf.Array())
            if not isinstance(children, pikepdf.Array):
                children = pikepdf.Array([children])
            for element in children:
                if not isinstance(element, pikepdf.Dictionary):
                    continue
                page = element.get("/Pg")
                key = page.objgen if page is not None else None
                self.top.setdefault(key, []).append(element)
                if "/P" in element:
                    del element["/P"]
        if strip_pages:  # a background: its elements will point at the output's page
            for elements in self.top.values():
                for element in elements:
                    _walk(element, _drop_page)

    def elements(self, page: pikepdf.Page) -> list:
        return self.top.get(page.obj.objgen, [])


def _walk(element, visit) -> None:
    seen = set()
    stack = [element]
    while stack:
        item = stack.pop()
        if not isinstance(item, pikepdf.Dictionary) or item.get("/Type") != "/StructElem":
            continue
        if item.is_indirect:
            if item.objgen in seen:
                continue
            seen.add(item.objgen)
        visit(item)
        kids = item.get("/K")
        if isinstance(kids, pikepdf.Array):
            stack.extend(kids)
        elif isinstance(kids, pikepdf.Dictionary):
            stack.append(kids)


def _drop_page(element) -> None:
    if "/Pg" in element:
        del element["/Pg"]


def _children(element) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


class Builder:
    """The structure tree of one output PDF."""

    def __init__(self, target: pikepdf.Pdf, source: Source):
        self.target = target
        self.source = source
        self.document = target.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document)
        )
        self.kids: list = []
        self.nums: list = []
        self.next = 0

    def _entry(self, value):
        """A parent tree value copied into the target (arrays are direct in WeasyPrint)."""
        if isinstance(value, pikepdf.Array):
            return pikepdf.Array(
                [self.target.copy_foreign(v) if _indirect(v) else v for v in value]
            )
        return self.target.copy_foreign(value) if _indirect(value) else value

    def _key(self, value) -> int:
        key = self.next
        self.next += 1
        self.nums += [key, value]
        return key

    def add_page(self, page: pikepdf.Page, number: int) -> None:
        """Page ``number`` of the source, already appended to the target as ``page``."""
        if not self.source.tagged:
            return
        source_page = self.source.pdf.pages[number]
        for element in self.source.elements(source_page):
            copied = self.target.copy_foreign(element)
            copied.P = self.document
            self.kids.append(copied)
        key = source_page.obj.get("/StructParents")
        if key is not None and int(key) in self.source.nums:
            page.obj.StructParents = self._key(self._entry(self.source.nums[int(key)]))
        for annotation in page.obj.get("/Annots", pikepdf.Array()):
            old = annotation.get("/StructParent")
            if old is not None and int(old) in self.source.nums:
                annotation.StructParent = self._key(self._entry(self.source.nums[int(old)]))
        if "/Annots" in page.obj:
            page.obj.Tabs = pikepdf.Name.S

    def merge_form(self, page: pikepdf.Page, form, background: Source, number: int) -> None:
        """Merge the structure of background page ``number``, drawn on ``page`` as ``form``."""
        if not (self.source.tagged and background.tagged):
            return
        source_page = background.pdf.pages[number]
        tops = [self.target.copy_foreign(e) for e in background.elements(source_page)]
        key = source_page.obj.get("/StructParents")
        if key is not None and int(key) in background.nums:
            entry = background.nums[int(key)]
            values = pikepdf.Array(
                [self.target.copy_foreign(v) if _indirect(v) else v for v in entry]
            )
            form.StructParents = self._key(values)
        for top in tops:
            _walk(top, lambda element: _point_at_form(element, page, form))
        if not tops or not self.kids:
            self.kids.extend(tops)
            return
        # Reading order: the background's section, its empty names slot replaced by the
        # names layer's slot; what else the names layer holds (number, date, link) after it.
        names = self.kids.pop()
        section = tops[0]
        names_children = [c for c in _children(names) if _has_content(c)]
        children = _children(section)
        slots = [i for i, child in enumerate(children) if _is_empty_div(child)]
        slot = slots[-1] if slots and names_children else None  # the last empty box
        merged = []
        for i, child in enumerate(children):
            if i == slot:
                merged.append(names_children.pop(0))
            elif _has_content(child):
                merged.append(child)
        merged += names_children
        for child in merged:
            if isinstance(child, pikepdf.Dictionary):
                child.P = section
        section.K = pikepdf.Array(merged)
        for key_name in ("/Lang",):
            if key_name in names and key_name not in section:
                section[key_name] = names[key_name]
        self.kids.append(section)
        self.kids.extend(tops[1:])

    def finish(self) -> None:
        if not self.source.tagged:
            return
        for kid in self.kids:
            kid.P = self.document
        self.document.K = pikepdf.Array(self.kids)
        parent_tree = self.target.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(self.nums)))
        root = self.target.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.StructTreeRoot,
                K=pikepdf.Array([self.document]),
                ParentTree=parent_tree,
                ParentTreeNextKey=self.next,
            )
        )
        self.document.P = root
        self.target.Root.StructTreeRoot = root
        self.target.Root.MarkInfo = pikepdf.Dictionary(Marked=True)


def _indirect(value) -> bool:
    return isinstance(value, pikepdf.Object) and value.is_indirect


def _point_at_form(element, page: pikepdf.Page, form) -> None:
    element.Pg = page.obj
    kids = element.get("/K")
    if kids is None:
        return
    items = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
    changed = []
    for item in items:
        if isinstance(item, int) or (isinstance(item, pikepdf.Object) and _is_int(item)):
            changed.append(
                pikepdf.Dictionary(Type=pikepdf.Name.MCR, MCID=int(item), Pg=page.obj, Stm=form)
            )
        else:
            changed.append(item)
    element.K = pikepdf.Array(changed)


def _is_int(value) -> bool:
    try:
        return value._type_code == pikepdf.ObjectType.integer
    except AttributeError:
        return False


def _is_empty_div(element) -> bool:
    return (
        isinstance(element, pikepdf.Dictionary)
        and element.get("/S") == "/Div"
        and not _has_content(element)
    )


def _has_content(element) -> bool:
    """Whether a structure element (or a marked-content reference) holds any content."""
    if not isinstance(element, pikepdf.Dictionary):
        return True  # an MCID
    if element.get("/Type") != "/StructElem":
        return True  # MCR / OBJR
    return any(_has_content(child) for child in _children(element))


# --------------------------------------------------------------------------- fonts


def pdf_to_w3c(stamp: str) -> str:
    """``D:20260126090000Z`` -> ``2026-01-26T09:00:00Z`` (XMP dates match the docinfo)."""
    digits = stamp.removeprefix("D:")[:14].ljust(14, "0")
    d = digits
    return f"{d[0:4]}-{d[4:6]}-{d[6:8]}T{d[8:10]}:{d[10:12]}:{d[12:14]}Z"


def unique_subset_names(pdf: pikepdf.Pdf) -> None:
    """Rename every embedded subset ``ABCDEF+Name`` after a hash of its own font program."""
    renamed: dict[tuple, str] = {}
    for font in _fonts(pdf):
        descriptor = font.get("/FontDescriptor")
        if descriptor is None:
            continue
        program = next(
            (descriptor[k] for k in ("/FontFile2", "/FontFile3", "/FontFile") if k in descriptor),
            None,
        )
        base = str(font.get("/BaseFont", ""))
        if program is None or "+" not in base:
            continue
        key = program.objgen
        if key not in renamed:
            digest = hashlib.sha256(program.read_raw_bytes()).digest()
            renamed[key] = "".join(SUBSET_LETTERS[b % 26] for b in digest[:6])
        name = pikepdf.Name("/" + renamed[key] + "+" + base.split("+", 1)[1])
        font.BaseFont = name
        descriptor.FontName = name


def _fonts(pdf: pikepdf.Pdf):
    seen = set()
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font":
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
            yield obj
            for descendant in obj.get("/DescendantFonts", pikepdf.Array()):
                if descendant.objgen not in seen:
                    seen.add(descendant.objgen)
                    yield descendant


# --------------------------------------------------------------------------- identification

XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" pdfuaid:part="1"/>
{pdfa}<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
<dc:language><rdf:Bag><rdf:li>{lang}</rdf:li></rdf:Bag></dc:language>
<dc:format>application/pdf</dc:format>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="{creator}" xmp:CreateDate="{date}" xmp:ModifyDate="{date}" xmp:MetadataDate="{date}"/>
<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" pdf:Producer="{producer}"/>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
PDFA = (
    '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" '
    'pdfaid:part="2" pdfaid:conformance="U"/>\n'
)


def identify(target: pikepdf.Pdf, part, *, archival: bool) -> None:
    """XMP metadata for PDF/UA-1 (and PDF/A-2u with ``archival``), from the docinfo."""
    info = target.docinfo
    stamp = pdf_to_w3c(str(info.get("/CreationDate", "")))
    xmp = XMP.format(
        pdfa=PDFA if archival else "",
        title=escape(str(info.get("/Title", ""))),
        lang=escape(part.lang),
        creator=escape(str(info.get("/Creator", "")), {'"': "&quot;"}),
        producer=escape(str(info.get("/Producer", "")), {'"': "&quot;"}),
        date=stamp,
    )
    target.Root.Metadata = target.make_stream(
        xmp.encode("utf-8"), Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML
    )
    if archival:
        profile = target.make_stream(_srgb_profile(), N=3)
        target.Root.OutputIntents = pikepdf.Array(
            [
                pikepdf.Dictionary(
                    Type=pikepdf.Name.OutputIntent,
                    S=pikepdf.Name.GTS_PDFA1,
                    OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
                    Info=pikepdf.String("sRGB IEC61966-2.1"),
                    DestOutputProfile=profile,
                )
            ]
        )


@functools.cache
def _srgb_profile() -> bytes:
    """The sRGB ICC profile shipped with WeasyPrint (what its PDF/A output uses)."""
    return (resources.files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()
