"""Word building blocks for the evidence report: styles, fields (TOC, PAGE), tables, muted notes."""
from __future__ import annotations

from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

BODY_FONT = "Calibri"
HEADING_FONT = "Calibri Light"
MUTED = RGBColor(0x59, 0x59, 0x59)
ACCENT = RGBColor(0x1F, 0x4E, 0x79)
ATTRIBUTION_STYLE = "Quote Attribution"
NOTE_STYLE = "Report Note"
TABLE_STYLE = "Light Grid Accent 1"
TOC_INSTRUCTION = r'TOC \o "1-3" \h \z \u'


def new_document() -> DocumentObject:
    """A document with report styles: Calibri 11 body, theme-coloured headings, indented quotes."""
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)  # A4
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.5))
    section.top_margin, section.bottom_margin = Cm(2.3), Cm(2.3)
    _style_fonts(document)
    _style_quote(document)
    _add_paragraph_style(document, ATTRIBUTION_STYLE, size=9, color=MUTED, left=1.0, after=12, before=2,
                         align=WD_ALIGN_PARAGRAPH.RIGHT)
    _add_paragraph_style(document, NOTE_STYLE, size=9.5, color=MUTED, after=6)
    for level in (1, 2, 3):
        _add_paragraph_style(document, f"toc {level}", size=11 if level == 1 else 10.5,
                             left=0.6 * (level - 1), after=2, bold=level == 1)
    return document


def _style_fonts(document: DocumentObject) -> None:
    """Calibri body and Calibri Light headings, keeping the built-in theme colours."""
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = BODY_FONT, Pt(11)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), BODY_FONT)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    sizes = {"Title": 30, "Subtitle": 15, "Heading 1": 17, "Heading 2": 13.5, "Heading 3": 12}
    for name, size in sizes.items():
        style = document.styles[name]
        style.font.name, style.font.size = HEADING_FONT, Pt(size)
        style.element.rPr.rFonts.set(qn("w:eastAsia"), HEADING_FONT)
    document.styles["Heading 1"].paragraph_format.space_before = Pt(18)
    document.styles["Heading 1"].paragraph_format.space_after = Pt(6)
    document.styles["Heading 2"].paragraph_format.space_before = Pt(14)
    document.styles["Heading 2"].paragraph_format.space_after = Pt(2)
    document.styles["Heading 3"].paragraph_format.space_before = Pt(10)
    document.styles["Subtitle"].element.get_or_add_pPr().remove_all("w:numPr")


# Elements that follow w:pBdr in w:pPr, and w:updateFields in w:settings (Word insists on schema order).
_PPR_AFTER_BORDERS = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
                      "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
                      "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
                      "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
                      "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
_SETTINGS_AFTER_UPDATE_FIELDS = ("w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr", "w:compat", "w:docVars",
                                 "w:rsids", "m:mathPr", "w:attachedSchema", "w:themeFontLang", "w:clrSchemeMapping",
                                 "w:doNotIncludeSubdocsInStats", "w:doNotAutoCompressPictures", "w:forceUpgrade",
                                 "w:captions", "w:readModeInkLockDown", "w:smartTagType", "w:shapeDefaults",
                                 "w:doNotEmbedSmartTags", "w:decimalSymbol", "w:listSeparator")


def _style_quote(document: DocumentObject) -> None:
    """Word's Quote style, indented with an accent bar on the left."""
    quote = document.styles["Quote"]
    fmt = quote.paragraph_format
    fmt.left_indent, fmt.right_indent = Cm(1.0), Cm(1.0)
    fmt.space_before, fmt.space_after = Pt(6), Pt(0)
    fmt.keep_with_next = True
    quote.font.color.rgb = RGBColor(0x26, 0x26, 0x26)
    borders = OxmlElement("w:pBdr")
    left = OxmlElement("w:left")
    for key, value in (("val", "single"), ("sz", "18"), ("space", "8"), ("color", "4F81BD"),
                       ("themeColor", "accent1")):
        left.set(qn(f"w:{key}"), value)
    borders.append(left)
    quote.element.get_or_add_pPr().insert_element_before(borders, *_PPR_AFTER_BORDERS)


def _add_paragraph_style(document: DocumentObject, name: str, *, size: float, color: RGBColor | None = None,
                         left: float = 0.0, after: float = 6, before: float = 0, bold: bool = False,
                         align: WD_ALIGN_PARAGRAPH | None = None) -> None:
    """A paragraph style based on Normal."""
    style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    style.font.size = Pt(size)
    style.font.bold = bold or None
    if color is not None:
        style.font.color.rgb = color
    fmt = style.paragraph_format
    fmt.left_indent, fmt.space_after, fmt.space_before = Cm(left), Pt(after), Pt(before)
    if align is not None:
        fmt.alignment = align


def _run(paragraph: Paragraph, *, fld: str, text: str = "") -> None:
    """Append a fldChar (begin/separate/end) or instrText run."""
    run = OxmlElement("w:r")
    if fld == "instr":
        instr = OxmlElement("w:instrText")
        instr.set(qn("xml:space"), "preserve")
        instr.text = f" {text} "
        run.append(instr)
    else:
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), fld)
        if fld == "begin":
            char.set(qn("w:dirty"), "true")
        run.append(char)
    paragraph._p.append(run)


def add_toc(document: DocumentObject, entries: Sequence[tuple[int, str]]) -> None:
    """A real TOC field (levels 1-3, hyperlinked) whose cached result lists ``entries`` (level, text).

    Word recomputes it, with page numbers, when the document opens (the field is marked dirty and
    the settings ask Word to update fields); other readers show the cached entries.
    """
    first = document.add_paragraph(style="toc 1")
    _run(first, fld="begin")
    _run(first, fld="instr", text=TOC_INSTRUCTION)
    _run(first, fld="separate")
    last = first
    for n, (level, text) in enumerate(entries):
        paragraph = first if n == 0 else document.add_paragraph(style=f"toc {min(level, 3)}")
        if n == 0:
            paragraph.style = document.styles[f"toc {min(level, 3)}"]
        paragraph.add_run(text)
        last = paragraph
    _run(last, fld="end")
    _ask_word_to_update_fields(document)


def _ask_word_to_update_fields(document: DocumentObject) -> None:
    """``<w:updateFields w:val="true"/>`` in settings: Word offers to update the TOC on open."""
    settings = document.settings.element
    if settings.find(qn("w:updateFields")) is None:
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        following = [settings.find(qn(tag)) for tag in _SETTINGS_AFTER_UPDATE_FIELDS]
        following = [e for e in following if e is not None]
        if following:
            min(following, key=list(settings).index).addprevious(update)
        else:
            settings.append(update)


def add_simple_field(paragraph: Paragraph, instruction: str, placeholder: str = "1") -> None:
    """A ``w:fldSimple`` field such as PAGE, with a cached value."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = placeholder
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def page_footer(document: DocumentObject, label: str) -> None:
    """``label · page N`` in the footer of every page but the title page."""
    section = document.sections[0]
    section.different_first_page_header_footer = True
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(f"{label}  ·  page ")
    run.font.size, run.font.color.rgb = Pt(9), MUTED
    add_simple_field(paragraph, "PAGE")
    for r in paragraph._p.iter(qn("w:r")):
        props = r.find(qn("w:rPr"))
        if props is None:
            r.insert(0, _small_muted_rpr())


def _small_muted_rpr() -> OxmlElement:
    props = OxmlElement("w:rPr")
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "595959")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "18")
    props.append(color)
    props.append(size)
    return props


def page_break(document: DocumentObject) -> None:
    """Start the next content on a new page."""
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def add_table(document: DocumentObject, header: Sequence[str], rows: Sequence[Sequence[object]], *,
              first_width: float = 5.5, group_rows: Sequence[int] = (), total_row: bool = False,
              bold_first_column: bool = True) -> Table:
    """A table in a built-in style with a shaded header repeated on each page and numbers right-aligned.

    ``group_rows`` are indices of rows that label a group (bold, shaded, spanning the row);
    ``total_row`` makes the last row bold.
    """
    table = document.add_table(rows=1, cols=len(header))
    table.style = document.styles[TABLE_STYLE]
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    _table_look(table, bold_first_column)
    number_width = min(MAX_NUMBER_WIDTH_CM, max(1.6, (TEXT_WIDTH_CM - first_width) / max(1, len(header) - 1)))
    _widths(table, [first_width] + [number_width] * (len(header) - 1))  # before adding rows: they copy the grid
    _cell_text(table.rows[0].cells, header, bold=True)
    _shade(table.rows[0].cells, HEADER_FILL)
    _repeat_header(table.rows[0])
    for index, values in enumerate(rows):
        cells = table.add_row().cells
        if index in group_rows:
            merged = cells[0].merge(cells[-1])
            _cell_text([merged], [values[0]], bold=True)
            _shade([merged], GROUP_FILL)
            continue
        _cell_text(cells, values, bold=total_row and index == len(rows) - 1)
    return table


TEXT_WIDTH_CM = 16.0
MAX_NUMBER_WIDTH_CM = 2.6
HEADER_FILL = "DBE5F1"
GROUP_FILL = "F2F2F2"


def _table_look(table: Table, first_column: bool) -> None:
    """Header row (and optionally first column) emphasised, no banded rows (group shading shows structure)."""
    props = table._tbl.tblPr
    look = props.find(qn("w:tblLook"))
    if look is None:
        look = OxmlElement("w:tblLook")
        props.append(look)
    for key, value in (("val", "06A0" if first_column else "0620"), ("firstRow", "1"), ("lastRow", "0"),
                       ("firstColumn", "1" if first_column else "0"),
                       ("lastColumn", "0"), ("noHBand", "1"), ("noVBand", "1")):
        look.set(qn(f"w:{key}"), value)


def _widths(table: Table, widths_cm: Sequence[float]) -> None:
    """Fixed column widths that both Word (gridCol, tcW) and LibreOffice honour."""
    for column, width in zip(table.columns, widths_cm):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)


def _shade(cells: Sequence, fill: str) -> None:
    for cell in cells:
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:color"), "auto")
        shading.set(qn("w:fill"), fill)
        cell._tc.get_or_add_tcPr().append(shading)


def _cell_text(cells: Sequence, values: Sequence[object], bold: bool = False) -> None:
    for n, (cell, value) in enumerate(zip(cells, values)):
        paragraph = cell.paragraphs[0]
        paragraph.paragraph_format.space_after = Pt(0)
        paragraph.paragraph_format.line_spacing = 1.0
        if n > 0:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = paragraph.add_run("–" if value in (0, None, "") and n > 0 else str(value))
        run.font.size = Pt(9.5)
        run.bold = bold or None


def _repeat_header(row) -> None:
    props = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    props.append(header)


def caption(document: DocumentObject, text: str) -> Paragraph:
    """A caption paragraph (Word's Caption style), placed above its table and kept with it."""
    paragraph = document.add_paragraph(text, style="Caption")
    paragraph.paragraph_format.space_before = Pt(6)
    paragraph.paragraph_format.space_after = Pt(4)
    paragraph.paragraph_format.keep_with_next = True
    return paragraph


__all__ = ["new_document", "add_toc", "add_simple_field", "page_footer", "page_break", "add_table", "caption",
           "ATTRIBUTION_STYLE", "NOTE_STYLE", "TABLE_STYLE", "TOC_INSTRUCTION", "MUTED"]
