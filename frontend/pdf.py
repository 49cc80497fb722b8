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


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontSize=18, leading=22, alignment=0,
                                textColor=PRIMARY, spaceAfter=2 * mm),
        "facility": ParagraphStyle("facility", parent=base["Heading1"], fontSize=16, leading=19, spaceAfter=1 * mm),
        "heading": ParagraphStyle("heading", parent=base["Heading2"], fontSize=12, leading=15, textColor=PRIMARY,
                                  spaceBefore=3 * mm, spaceAfter=1 * mm),
        "body": ParagraphStyle("body", parent=base["BodyText"], fontSize=10, leading=13),
        "small": ParagraphStyle("small", parent=base["BodyText"], fontSize=8, leading=10, textColor=colors.HexColor("#4a4a4a")),
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


def _story(slip: dict, styles: dict) -> list:
    facility = slip["facility"]
    story = [
        _paragraph(_("Referral slip"), styles["title"]),
        _paragraph(facility["name"], styles["facility"]),
        _details_table(slip, styles),
        _paragraph(_("How to get there"), styles["heading"]),
        _paragraph(slip["travel_summary"], styles["body"]),
    ]
    if facility.get("travel_time_method"):
        story.append(_paragraph(facility["travel_time_method"], styles["small"]))
    story.append(_paragraph(
        _("Location: %(lat)s, %(lon)s (latitude, longitude)")
        % {"lat": facility["location"]["lat"], "lon": facility["location"]["lon"]}, styles["body"]))
    if slip["need_names"]:
        story.append(_paragraph(_("Care needed"), styles["heading"]))
        story.extend(_bullets(slip["need_names"], styles["body"]))
    story.append(_paragraph(_("Documents to bring"), styles["heading"]))
    story.extend(_bullets(slip["documents"] or [_("Your DNI or other identity document.")], styles["body"]))
    if slip["programs"]:
        story.append(_paragraph(_("Programmes your family may qualify for"), styles["heading"]))
        for program in slip["programs"]:
            story.append(Paragraph(
                "<b>%s</b> — %s" % (escape(program["name"]), escape(program["status_label"])), styles["body"]))
            if program.get("reasons"):
                story.append(_paragraph(program["reasons"][0], styles["small"]))
            if program.get("next_step"):
                story.append(_paragraph(_("Next step:") + " " + program["next_step"], styles["small"]))
    story.append(Spacer(1, 3 * mm))
    story.append(_paragraph(
        _("The services of each facility are inferred from its MINSA category, not confirmed by the facility. "
          "Call before you go if you can."), styles["small"]))
    return story


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

    The text is shrunk to fit if it is longer than the page, so the PDF always
    has exactly one page.
    """
    buffer = BytesIO()
    width, height = A4
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(_("Referral slip") + " — " + slip["facility"]["name"])
    canvas.setAuthor("GeoSalud")
    styles = _styles()

    # QR code and link at the foot of the page, the text above them.
    footer_height = QR_SIZE + 4 * mm
    renderPDF.draw(_qr_drawing(share_url), canvas, width - MARGIN - QR_SIZE, MARGIN)
    footer = Frame(MARGIN, MARGIN, width - 2 * MARGIN - QR_SIZE - 5 * mm, footer_height, showBoundary=0,
                   leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    footer.addFromList([
        _paragraph(_("Scan the code or open this link to see the same search again:"), styles["body"]),
        _paragraph(share_url, styles["small"]),
        Spacer(1, 2 * mm),
        _paragraph(_("Made with GeoSalud from public data of MINSA, SUSALUD, INEI and OpenStreetMap."), styles["small"]),
    ], canvas)

    body_height = height - 2 * MARGIN - footer_height
    body = Frame(MARGIN, MARGIN + footer_height, width - 2 * MARGIN, body_height, showBoundary=0,
                 leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    body.addFromList([KeepInFrame(width - 2 * MARGIN, body_height, _story(slip, styles), mode="shrink")], canvas)

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
