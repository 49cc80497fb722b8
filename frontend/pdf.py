"""The referral slip as a one-page A4 PDF, drawn with ReportLab.

ReportLab's built-in Helvetica uses WinAnsi encoding, which covers Spanish
(á é í ó ú ñ ü ¿ ¡ « »), so no font file has to be installed or shipped.
"""
from io import BytesIO
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Frame, KeepInFrame, Paragraph, Spacer, Table, TableStyle
from reportlab.pdfgen.canvas import Canvas


MARGIN = 15 * mm
QR_SIZE = 38 * mm
PRIMARY = colors.HexColor("#00587a")
#: The QR code and link at the foot of the page; the slip's text fills the body above it.
FOOTER_HEIGHT = QR_SIZE + 4 * mm
BODY_WIDTH = A4[0] - 2 * MARGIN
BODY_HEIGHT = A4[1] - 2 * MARGIN - FOOTER_HEIGHT


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontSize=18, leading=22, alignment=0,
                                textColor=PRIMARY, spaceAfter=2 * mm),
        "facility": ParagraphStyle("facility", parent=base["Heading1"], fontSize=16, leading=19, spaceAfter=1 * mm),
        "heading": ParagraphStyle("heading", parent=base["Heading2"], fontSize=12, leading=15, textColor=PRIMARY,
                                  spaceBefore=3 * mm, spaceAfter=1 * mm),
        # BodyText's 6 pt space before each paragraph is dropped, so that the slip fits one page at full size.
        "body": ParagraphStyle("body", parent=base["BodyText"], fontSize=10, leading=13, spaceBefore=0,
                               spaceAfter=1 * mm),
        # 9 pt is the smallest text on the slip, so that it stays readable once printed.
        "small": ParagraphStyle("small", parent=base["BodyText"], fontSize=9, leading=11, spaceBefore=0,
                                spaceAfter=1 * mm, textColor=colors.HexColor("#4a4a4a")),
    }


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    # Paragraph reads a small XML markup, so data from the registry is escaped.
    return Paragraph(escape(str(text)), style)


def _bullets(items: list[str], style: ParagraphStyle) -> list[Paragraph]:
    return [Paragraph("• " + escape(str(item)), style) for item in items]


def _phone_paragraph(slip: dict, style: ParagraphStyle) -> Paragraph:
    """Write each phone number as a ``tel:`` link, so that it can be tapped in a PDF viewer on a phone."""
    if not slip["phones"]:
        return _paragraph(slip["facility"].get("phone") or _("Not listed"), style)
    links = [
        '<a href="tel:%s">%s</a>' % (escape(phone["dial"]), escape(phone["number"])) for phone in slip["phones"]
    ]
    return Paragraph(" · ".join(links), style)


def _details_table(slip: dict, styles: dict) -> Table:
    facility = slip["facility"]
    rows = [
        (_("Category"), facility.get("category") or "—"),
        (_("Institution"), facility.get("institution_label") or facility.get("institution") or "—"),
        (_("Address"), ", ".join(part for part in (facility.get("address"), slip["district_name"]) if part) or "—"),
        (_("Phone"), _phone_paragraph(slip, styles["body"])),
        (_("Opening hours"), facility.get("hours") or _("Not listed")),
    ]
    data = []
    for label, value in rows:
        cell = value if isinstance(value, Paragraph) else _paragraph(value, styles["body"])
        data.append([_paragraph(label, styles["body"]), cell])
    table = Table(data, colWidths=[32 * mm, None], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return table


#: Levels of detail tried in turn until the slip fits its page without shrinking
#: the text: everything, then without each programme's reason, then without
#: the travel-time method too.
DETAIL_LEVELS = ("full", "no_reasons", "short")


def _story(slip: dict, styles: dict, detail: str = "full") -> list:
    facility = slip["facility"]
    story = [
        _paragraph(_("Referral slip"), styles["title"]),
        _paragraph(facility["name"], styles["facility"]),
        _details_table(slip, styles),
        _paragraph(_("How to get there"), styles["heading"]),
        _paragraph(slip["travel_summary"], styles["body"]),
    ]
    if facility.get("travel_time_method") and detail != "short":
        story.append(_paragraph(facility["travel_time_method"], styles["small"]))
    story.append(_paragraph(
        _("Location: %(lat)s, %(lon)s (latitude, longitude)")
        % {"lat": facility["location"]["lat"], "lon": facility["location"]["lon"]}, styles["body"]))
    if slip["need_names"]:
        story.append(_paragraph(_("Care needed"), styles["heading"]))
        story.append(_paragraph(", ".join(slip["need_names"]), styles["body"]))
    story.extend(_programme_story(slip, styles, with_reasons=detail == "full"))
    story.append(Spacer(1, 3 * mm))
    story.append(_paragraph(
        _("The services of each facility are inferred from its MINSA category, not confirmed by the facility. "
          "Call before you go if you can."), styles["small"]))
    return story


def _programme_story(slip: dict, styles: dict, with_reasons: bool) -> list:
    """List each programme once, with its status, the documents it requires and the next step.

    The documents are those of :func:`frontend.referral.documents_by_programme`,
    so a document already listed under an earlier programme is not repeated.
    """
    if not slip["programs"]:
        return [_paragraph(_("Documents to bring"), styles["heading"]),
                _paragraph(_("Your DNI or other identity document."), styles["body"])]
    documents = {group["programme"]: group["documents"] for group in slip["document_groups"]}
    story = [_paragraph(_("Programmes your family may qualify for"), styles["heading"])]
    for program in slip["programs"]:
        story.append(Paragraph(
            "<b>%s</b> — %s" % (escape(program["name"]), escape(program["status_label"])), styles["body"]))
        if with_reasons and program.get("reasons"):
            story.append(_paragraph(program["reasons"][0], styles["small"]))
        if documents.get(program["name"]):
            story.append(_paragraph(
                _("Documents to bring:") + " " + "; ".join(documents[program["name"]]) + ".", styles["small"]))
        if program.get("next_step"):
            story.append(_paragraph(_("Next step:") + " " + program["next_step"], styles["small"]))
    return story


def story_height(story: list) -> float:
    """Return the height in points that ``story`` takes in the body frame."""
    return sum(flowable.wrap(BODY_WIDTH, 10_000)[1] + flowable.getSpaceBefore() + flowable.getSpaceAfter()
               for flowable in story)


def fitting_story(slip: dict, styles: dict | None = None) -> list:
    """Return the most detailed story that fits the body frame at full text size.

    When even the shortest one does not fit, it is returned anyway and
    KeepInFrame shrinks it, so a very large household still gets one page.
    """
    styles = styles or _styles()
    for detail in DETAIL_LEVELS:
        story = _story(slip, styles, detail)
        if story_height(story) <= BODY_HEIGHT:
            # wrap() has laid the flowables out once; fresh ones are drawn.
            return _story(slip, styles, detail)
    return _story(slip, styles, DETAIL_LEVELS[-1])


def _qr_drawing(url: str) -> Drawing:
    widget = QrCodeWidget(url)
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (right - left), 0, 0, QR_SIZE / (top - bottom), 0, 0])
    drawing.add(widget)
    return drawing


def render_referral_pdf(slip: dict, share_url: str) -> bytes:
    """Draw the slip on one A4 page and return the PDF bytes.

    Parameters
    ----------
    slip
        The content from :func:`frontend.referral.build_referral`.
    share_url
        Absolute URL that reopens the same search; printed and encoded in the QR code.

    Details are left out, then the text is shrunk, when the slip is longer
    than the page (see :func:`fitting_story`), so the PDF always has exactly
    one page.
    """
    buffer = BytesIO()
    width = A4[0]
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(_("Referral slip") + " — " + slip["facility"]["name"])
    canvas.setAuthor("GeoSalud")
    styles = _styles()

    renderPDF.draw(_qr_drawing(share_url), canvas, width - MARGIN - QR_SIZE, MARGIN)
    footer = Frame(MARGIN, MARGIN, width - 2 * MARGIN - QR_SIZE - 5 * mm, FOOTER_HEIGHT, showBoundary=0,
                   leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    footer.addFromList([
        _paragraph(_("Scan the code or open this link to see the same search again:"), styles["body"]),
        _paragraph(share_url, styles["small"]),
        Spacer(1, 2 * mm),
        _paragraph(_("Made with GeoSalud from public data of MINSA, SUSALUD, INEI and OpenStreetMap."), styles["small"]),
    ], canvas)

    body = Frame(MARGIN, MARGIN + FOOTER_HEIGHT, BODY_WIDTH, BODY_HEIGHT, showBoundary=0,
                 leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    story = fitting_story(slip, styles)
    body.addFromList([KeepInFrame(BODY_WIDTH, BODY_HEIGHT, story, mode="shrink")], canvas)

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
