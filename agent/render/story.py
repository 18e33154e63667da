"""A self-contained HTML page of a story, laid out like a story page an editor reviews."""

from __future__ import annotations

from html import escape

from agent.checks.dates import display_date
from agent.schemas import Claim, CoverageItem, Flag, Party, Story

_CSS = """
body{font:16px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;max-width:860px;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
.tags span{display:inline-block;font-size:.75rem;font-weight:600;letter-spacing:.05em;text-transform:uppercase;padding:.15rem .5rem;border-radius:4px;background:#eef;margin-right:.4rem}
h1{font-size:1.9rem;line-height:1.2;margin:.6rem 0 1rem}
h2{font-size:1.2rem;margin:2rem 0 .6rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
sup.cite{font-size:.7rem;color:#46c}
.flag{display:inline-block;font-size:.72rem;background:#fff3cd;border:1px solid #e0c060;border-radius:4px;padding:0 .35rem;margin-left:.3rem;color:#6a4f00}
.flag.bad{background:#fde2e1;border-color:#d88;color:#7a1c1c}
.meter{display:flex;height:22px;border-radius:4px;overflow:hidden;margin:.4rem 0}
.meter div{color:#fff;font-size:.75rem;text-align:center;line-height:22px;white-space:nowrap}
.l{background:#2f6fd6}.c{background:#8a8f98}.r{background:#d6402f}
.counts{font-size:.9rem;color:#444}
.cols{display:grid;grid-template-columns:repeat(3,1fr);gap:1rem}
.cols h3{font-size:.95rem;margin:.2rem 0}
.cols ul{padding-left:1.1rem;margin:0;font-size:.9rem}
.note{color:#666;font-style:italic}
table{border-collapse:collapse;width:100%;font-size:.85rem}td,th{border-top:1px solid #eee;padding:.3rem;text-align:left;vertical-align:top}
.byline{color:#555;font-size:.9rem}
"""


def _cites(ids: list[str]) -> str:
    return "".join(f'<sup class="cite">[{escape(i)}]</sup>' for i in ids)


def _flags(flags: list[Flag], claims: list[Claim], section: str, index: int) -> str:
    marks = []
    for claim in claims:
        if claim.section == section and claim.index == index and claim.verdict != "supported":
            marks.append(
                f'<span class="flag bad" title="{escape(claim.note)}">{escape(claim.verdict)}</span>'
            )
    for flag in flags:
        if flag.section == section and flag.index == index:
            marks.append(
                f'<span class="flag" title="{escape(flag.message)}">{escape(flag.kind)}</span>'
            )
    return "".join(marks)


def _parties(story: Story, section: str, parties: list[Party]) -> str:
    if not parties:
        note = story.section_notes.get(section, "Not enough evidence.")
        return f'<p class="note">{escape(note)}</p>'
    items = [
        f"<li><strong>{escape(p.party)}</strong>: {escape(p.explanation)}{_cites(p.citations)}"
        f"{_flags(story.review.flags, story.fact_check.claims, section, i)}</li>"
        for i, p in enumerate(parties)
    ]
    return "<ul>" + "".join(items) + "</ul>"


def _coverage(items: list[CoverageItem], side: str) -> str:
    if not items:
        return f'<p class="note">No {side}-leaning sources found for this story.</p>'
    rows = []
    for item in items:
        title = escape(item.title)
        safe = item.url and item.url.lower().startswith(("http://", "https://"))
        link = f'<a href="{escape(item.url)}">{title}</a>' if safe and item.url else title
        copy = f" <em>(copy of {escape(item.duplicate_of)})</em>" if item.duplicate_of else ""
        rows.append(f"<li>{link} — {escape(item.outlet)} [{escape(item.article_id)}]{copy}</li>")
    return "<ul>" + "".join(rows) + "</ul>"


def basis_line(story: Story) -> str:
    """Say what the story rests on: distinct reports, outlets, and copies counted once."""
    bias = story.bias
    listed = sum(
        len(getattr(story.coverage, side)) for side in ("left", "center", "right", "unrated")
    )
    copies = listed - bias.articles
    line = (
        f"Based on {bias.articles} distinct article{'s' if bias.articles != 1 else ''} "
        f"from {bias.sources} outlet{'s' if bias.sources != 1 else ''}"
    )
    if copies > 0:
        line += (
            f" ({copies} syndicated cop{'ies' if copies != 1 else 'y'} of another outlet's "
            "article, listed but counted once)"
        )
    return line + "."


def render_html(story: Story) -> str:
    """Render the story as one HTML page with no external assets."""
    fc, bias = story.fact_check, story.bias
    dist = bias.distribution
    summary = (
        " ".join(
            f"{escape(s.text)}{_cites(s.citations)}{_flags(story.review.flags, fc.claims, 'summary', i)}"
            for i, s in enumerate(story.summary)
        )
        or f'<span class="note">{escape(story.section_notes.get("summary", "No summary."))}</span>'
    )
    timeline = "".join(
        f"<li><strong>{escape(display_date(e.date))}</strong>: {escape(e.event)}{_cites(e.citations)}"
        f"{_flags(story.review.flags, fc.claims, 'timeline', i)}</li>"
        for i, e in enumerate(story.timeline)
    )
    if not timeline:
        timeline_html = (
            f'<p class="note">{escape(story.section_notes.get("timeline", "No dated events."))}</p>'
        )
    else:
        timeline_html = f"<ul>{timeline}</ul>"
    meter = "".join(
        f'<div class="{cls}" style="width:{share}%">{label} {share:g}%</div>'
        for cls, label, share in (
            ("l", "Left", dist.left),
            ("c", "Center", dist.center),
            ("r", "Right", dist.right),
        )
        if share > 0
    )
    general_flags = [f for f in story.review.flags if f.index is None]
    conflicts = "".join(
        f"<li>{escape(c.about)}: "
        + " / ".join(f"“{escape(v.quote)}” [{escape(v.article_id)}]" for v in c.values)
        + "</li>"
        for c in fc.conflicts
    )
    claims = "".join(
        f"<tr><td>{escape(c.section)}</td><td>{escape(c.claim)}</td><td>{escape(c.verdict)}</td>"
        f"<td>{escape(c.note)}</td><td>{', '.join(escape(e.article_id) for e in c.evidence)}</td></tr>"
        for c in fc.claims
    )
    blindspot = (
        f"<p><strong>Blindspot:</strong> barely covered by {escape(story.blindspot)}-leaning sources.</p>"
        if story.blindspot
        else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(story.title)}</title><style>{_CSS}</style></head><body>
<div class="tags"><span>{escape(story.category)}</span><span>{escape(story.sentiment.title())} Sentiment</span><span>{escape(story.review.status.replace("_", " "))}</span></div>
<h1>{escape(story.title)}{_flags(story.review.flags, fc.claims, "title", 0)}</h1>
<h2>Media Bias Meter</h2>
<div class="meter">{meter}</div>
<p class="counts">Sources: {bias.sources} · Articles: {bias.articles} · Left leaning: {bias.left} · Center: {bias.center} · Right leaning: {bias.right} · Unrated: {bias.unrated}<br>
Distribution: Left {dist.left:g}%, Center {dist.center:g}%, Right {dist.right:g}%</p>
{blindspot}
<h2>Summary</h2>
<p>{summary}</p>
<p class="byline">{escape(basis_line(story))} Prepared by storydesk ({escape(story.provenance.backend)}/{escape(story.provenance.model)}), revision {story.revision}, {escape(story.review.status.replace("_", " "))}{" by " + escape(story.review.reviewer) if story.review.reviewer else ""}.</p>
<h2>Timeline of Events</h2>
{timeline_html}
<h2>Who Benefited</h2>
{_parties(story, "who_benefited", story.who_benefited)}
<h2>Who Impacted</h2>
{_parties(story, "who_impacted", story.who_impacted)}
<h2>Coverage of Story</h2>
<div class="cols"><div><h3>From Left</h3>{_coverage(story.coverage.left, "left")}</div>
<div><h3>From Center</h3>{_coverage(story.coverage.center, "center")}</div>
<div><h3>From Right</h3>{_coverage(story.coverage.right, "right")}</div></div>
{("<h3>Unrated</h3>" + _coverage(story.coverage.unrated, "unrated")) if story.coverage.unrated else ""}
<h2>Fact check</h2>
<p class="counts">{fc.supported} supported · {fc.unsupported} unsupported · {fc.contradicted} contradicted</p>
{("<h3>Sources disagree</h3><ul>" + conflicts + "</ul>") if conflicts else ""}
{("<h3>For the editor</h3><ul>" + "".join(f'<li><span class="flag">{escape(f.kind)}</span> {escape(f.message)}</li>' for f in general_flags) + "</ul>") if general_flags else ""}
<table><tr><th>section</th><th>claim</th><th>verdict</th><th>note</th><th>evidence</th></tr>{claims}</table>
</body></html>
"""
