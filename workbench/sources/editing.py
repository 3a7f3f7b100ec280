"""Editing a source's text after coding (fixing a transcription error) without losing codings."""
from __future__ import annotations

from dataclasses import dataclass, field

from ingest.text import normalise

from workbench.sources.anchoring import OffsetMap
from workbench.errors import Conflict
from workbench.sources.importer import content_hash
from workbench.sources.sentences import split_sentences
from workbench.store import Store
from workbench.model import SourceEdit


@dataclass
class MovedCoding:
    """A coding whose words changed: where it was, where it is now, and the words before and after."""

    coding_id: int
    code_id: int
    coder: str
    old_text: str
    new_text: str


@dataclass
class EditReport:
    """What an edit did to the codings of the source."""

    source_id: int
    kept: int = 0
    moved: list[MovedCoding] = field(default_factory=list)  # re-anchored, but their words changed
    lost: list[MovedCoding] = field(default_factory=list)  # all their words were deleted: removed, listed here
    merged: list[MovedCoding] = field(default_factory=list)  # now identical to another coding: folded into it


def edit_source_text(store: Store, source_id: int, new_text: str, actor: str) -> EditReport:
    """Replace a source's text; re-anchor segments, sentences and codings onto the same words."""
    source = store.get_source(source_id)
    new_text = normalise(new_text)
    if new_text == source.text:
        return EditReport(source_id, kept=len(store.codings(source_id=source_id)))
    if not new_text.strip():
        raise Conflict(f"{source.name}: the new text is empty; delete the source instead")
    mapping = OffsetMap(source.text, new_text)
    report = EditReport(source_id)
    coding_spans, lost_ids, reasons = {}, [], {}
    taken: set[tuple[int, int, int, str]] = set()
    for coding in store.codings(source_id=source_id):
        anchored = mapping.anchor(coding.start, coding.end)
        old_words = source.text[coding.start:coding.end]
        if anchored.lost:
            report.lost.append(MovedCoding(coding.id, coding.code_id, coding.coder, old_words, ""))
            lost_ids.append(coding.id)
            continue
        new_words = new_text[anchored.start:anchored.end]
        key = (anchored.start, anchored.end, coding.code_id, coding.coder)
        if key in taken:  # two codings now cover the same words with the same code: keep one
            report.merged.append(MovedCoding(coding.id, coding.code_id, coding.coder, old_words, new_words))
            lost_ids.append(coding.id)
            reasons[coding.id] = "after an edit of the source it covered the same words as another coding"
            continue
        taken.add(key)
        coding_spans[coding.id] = (anchored.start, anchored.end)
        if new_words == old_words:
            report.kept += 1
        else:
            report.moved.append(MovedCoding(coding.id, coding.code_id, coding.coder, old_words, new_words))
    structural = store.segments(source_id, structural_only=True)
    segment_spans = {}
    for seg in structural:
        start, end = mapping.start(seg.start), mapping.end(seg.end)
        segment_spans[seg.id] = (start, max(start, end))
    ordered = sorted(segment_spans.items(), key=lambda item: item[1])
    sentences = split_sentences(new_text, [span for _, span in ordered])
    store.apply_source_edit(SourceEdit(
        source_id=source_id, old_text=source.text, new_text=new_text, content_hash=content_hash(new_text),
        segment_spans=segment_spans, sentences={seg_id: sents for (seg_id, _), sents in zip(ordered, sentences)},
        coding_spans=coding_spans, lost_coding_ids=lost_ids, lost_reasons=reasons), actor)
    return report
