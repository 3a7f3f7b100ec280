"""Sources, their segments and sentences, cases and attributes."""
from __future__ import annotations

import json
from collections.abc import Sequence

from workbench.errors import Conflict, Forbidden, NotFound
from workbench.model import Case, NewSource, Segment, Source, SourceEdit, SourceSummary
from workbench.store.db import Database, new_uid, now

STRUCTURAL_KINDS = ("turn", "entry", "answer", "post", "paragraph")


def _source(row: dict) -> Source:
    row = dict(row)
    row["metadata"] = json.loads(row["metadata"])
    return Source(**row)


def _segment(row: dict) -> Segment:
    return Segment(**{k: row[k] for k in Segment.__dataclass_fields__})


class SourceStore:
    """Storing and reading sources, segments, cases and attributes."""

    database: Database

    # -- cases and attributes -------------------------------------------------
    def ensure_case(self, name: str, actor: str = "system", *, uid: str | None = None) -> int:
        """The id of the case called ``name``, created if new (with ``uid``, e.g. a REFI GUID, when it is free)."""
        with self.database.transaction() as conn:
            row = conn.execute("SELECT id FROM cases WHERE name = ?", (name,)).fetchone()
            if row:
                return int(row[0])
            if uid and conn.execute("SELECT 1 FROM cases WHERE uid = ? COLLATE NOCASE", (uid,)).fetchone():
                uid = None
            cursor = conn.execute("INSERT INTO cases (uid, name) VALUES (?, ?)", (uid or new_uid(), name))
            self.database.log(actor, "case.add", "case", cursor.lastrowid, {"name": name})
            return int(cursor.lastrowid)

    def set_attributes(self, owner_type: str, owner_id: int, values: dict[str, str], actor: str = "system") -> None:
        """Set (or clear, with an empty value) attributes of a source or case."""
        with self.database.transaction() as conn:
            for key, value in values.items():
                key = key.strip().lower()
                if value is None or str(value).strip() == "":
                    conn.execute("DELETE FROM attributes WHERE owner_type=? AND owner_id=? AND key=?",
                                 (owner_type, owner_id, key))
                else:
                    conn.execute("INSERT INTO attributes (owner_type, owner_id, key, value) VALUES (?, ?, ?, ?) "
                                 "ON CONFLICT (owner_type, owner_id, key) DO UPDATE SET value = excluded.value",
                                 (owner_type, owner_id, key, str(value).strip()))
            self.database.log(actor, "attributes.set", owner_type, owner_id, {"values": values})

    def attributes(self, owner_type: str, owner_id: int) -> dict[str, str]:
        """The attributes of one source or case."""
        rows = self.database.conn.execute(
            "SELECT key, value FROM attributes WHERE owner_type=? AND owner_id=? ORDER BY key", (owner_type, owner_id))
        return dict(rows.fetchall())

    def attribute_keys(self) -> list[str]:
        """Every attribute name used in the project."""
        return [r[0] for r in self.database.conn.execute("SELECT DISTINCT key FROM attributes ORDER BY key")]

    def cases(self) -> list[Case]:
        """All cases with their attributes."""
        rows = self.database.query("SELECT * FROM cases ORDER BY name")
        return [Case(**row, attributes=self.attributes("case", row["id"])) for row in rows]

    def get_case(self, case_id: int) -> Case:
        """One case by id."""
        rows = self.database.query("SELECT * FROM cases WHERE id = ?", (case_id,))
        if not rows:
            raise NotFound(f"no case with id {case_id}")
        return Case(**rows[0], attributes=self.attributes("case", case_id))

    # -- sources ----------------------------------------------------------------
    def find_same_source(self, name: str, content_hash: str, guid: str | None = None) -> int | None:
        """The id of the source that this one is again, if any: the same text under the same REFI GUID
        (``uid`` or ``metadata.qdpx_guid``) or, failing that, under the same name. Text alone never
        makes two sources one: two answers that both read "Not sure" are two sources."""
        db = self.database
        if guid:
            found = db.scalar("SELECT id FROM sources WHERE content_hash = ? AND (uid = ? COLLATE NOCASE "
                              "OR json_extract(metadata, '$.qdpx_guid') = ?) ORDER BY id LIMIT 1",
                              (content_hash, guid, guid))
            if found is not None:
                return int(found)
            # a source with its own, other GUID is another source, even with the same name and text
            return db.scalar("SELECT id FROM sources WHERE content_hash = ? AND name = ? "
                             "AND json_extract(metadata, '$.qdpx_guid') IS NULL ORDER BY id LIMIT 1",
                             (content_hash, name))
        return db.scalar("SELECT id FROM sources WHERE content_hash = ? AND name = ? ORDER BY id LIMIT 1",
                         (content_hash, name))

    def add_source(self, new: NewSource, actor: str) -> int:
        """Store a source with its segments, sentences, cases and attributes in one transaction
        (``Conflict`` if it is already there: see ``find_same_source``)."""
        db = self.database
        with db.transaction() as conn:
            guid = new.metadata.get("qdpx_guid")
            if self.find_same_source(new.name, new.content_hash, guid) is not None:
                same = f"GUID {guid}" if guid else "name"
                raise Conflict(f"{new.name}: the same text under the same {same} is already in the project")
            case_ids: dict[str, int] = {}
            for name in {s.case for s in new.segments if s.case} | ({new.case} if new.case else set()):
                case_ids[name] = self.ensure_case(name, actor)
            cursor = conn.execute(
                "INSERT INTO sources (uid, name, kind, text, content_hash, format, encoding, imported_from, "
                "imported_at, imported_by, metadata, case_id, words) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (new.uid or new_uid(), new.name, new.kind, new.text, new.content_hash, new.format, new.encoding,
                 new.imported_from, now(), actor, json.dumps(new.metadata, ensure_ascii=False),
                 case_ids.get(new.case) if new.case else None, len(new.text.split())),
            )
            source_id = int(cursor.lastrowid)
            self._insert_segments(conn, source_id, new, case_ids)
            if new.attributes:
                self.set_attributes("source", source_id, new.attributes, actor)
            for case_name, values in new.case_attributes.items():
                self.set_attributes("case", case_ids.get(case_name) or self.ensure_case(case_name, actor),
                                    values, actor)
            db.log(actor, "source.add", "source", source_id,
                   {"name": new.name, "kind": new.kind, "content_hash": new.content_hash,
                    "imported_from": new.imported_from, "segments": len(new.segments)})
            return source_id

    @staticmethod
    def _insert_segments(conn, source_id: int, new: NewSource, case_ids: dict[str, int]) -> None:
        # Ids are assigned here (we hold the write lock) so sentences can point at their parent
        # in one executemany instead of a round trip per segment.
        next_id = (conn.execute("SELECT max(id) FROM segments").fetchone()[0] or 0) + 1
        structural, sentences, fts = [], [], []
        for ordinal, seg in enumerate(new.segments):
            seg_id = next_id
            next_id += 1
            case_id = case_ids.get(seg.case) if seg.case else None
            structural.append((seg_id, source_id, None, seg.kind, seg.start, seg.end, seg.speaker, seg.start_time,
                               seg.end_time, seg.entry_date, case_id, seg.label, ordinal))
            fts.append((seg_id, new.text[seg.start:seg.end]))
            for n, (start, end) in enumerate(seg.sentences):
                sentences.append((next_id, source_id, seg_id, "sentence", start, end, seg.speaker, None, None,
                                  seg.entry_date, case_id, None, n))
                next_id += 1
        sql = ('INSERT INTO segments (id, source_id, parent_id, kind, start, "end", speaker, start_time, end_time, '
               "entry_date, case_id, label, ordinal) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
        conn.executemany(sql, structural)
        conn.executemany(sql, sentences)
        conn.executemany("INSERT INTO segments_fts (rowid, text) VALUES (?, ?)", fts)

    def get_source(self, source_id: int) -> Source:
        """One source with its text."""
        rows = self.database.query("SELECT * FROM sources WHERE id = ?", (source_id,))
        if not rows:
            raise NotFound(f"no source with id {source_id}")
        return _source(rows[0])

    def source_by_name(self, name: str) -> Source:
        """One source by its name (the first imported, if several share it)."""
        rows = self.database.query("SELECT * FROM sources WHERE name = ? ORDER BY id LIMIT 1", (name,))
        if not rows:
            raise NotFound(f"no source called {name!r}")
        return _source(rows[0])

    def find_source(self, ref: str) -> Source:
        """A source by id (digits) or by name."""
        if ref.isdigit():
            rows = self.database.query("SELECT * FROM sources WHERE id = ?", (int(ref),))
            if rows:
                return _source(rows[0])
        return self.source_by_name(ref)

    def source_ids(self) -> list[int]:
        """Ids of every source, in import order."""
        return [r[0] for r in self.database.conn.execute("SELECT id FROM sources ORDER BY id")]

    def source_names(self, source_ids: Sequence[int] | None = None) -> dict[int, str]:
        """Source id → name, of every source or of ``source_ids`` (quick: the rows' texts are not read)."""
        sql, params = "SELECT id, name FROM sources", []
        if source_ids is not None:
            sql += f" WHERE id IN ({','.join('?' * len(source_ids))})"
            params = list(source_ids)
        return dict(self.database.conn.execute(sql, params).fetchall())

    def list_sources(self, *, kind: str | None = None, where: dict[str, str] | None = None) -> list[SourceSummary]:
        """Sources without their text, with counts and attributes, optionally filtered by kind and attributes."""
        sql = ["SELECT s.id, s.uid, s.name, s.kind, s.format, s.words, s.imported_at, c.name AS case_name,",
               "(SELECT count(*) FROM segments g WHERE g.source_id = s.id AND g.kind != 'sentence') AS segments,",
               "(SELECT count(*) FROM codings k WHERE k.source_id = s.id) AS codings",
               "FROM sources s LEFT JOIN cases c ON c.id = s.case_id WHERE 1"]
        params: list = []
        if kind:
            sql.append("AND s.kind = ?")
            params.append(kind)
        for key, value in (where or {}).items():
            sql.append("AND EXISTS (SELECT 1 FROM attributes a WHERE a.owner_type='source' AND a.owner_id=s.id "
                       "AND a.key=? AND a.value=?)")
            params += [key.lower(), value]
        rows = self.database.query(" ".join(sql) + " ORDER BY s.name", params)
        return [SourceSummary(id=r["id"], uid=r["uid"], name=r["name"], kind=r["kind"], format=r["format"],
                              words=r["words"], segments=r["segments"], codings=r["codings"],
                              imported_at=r["imported_at"], attributes=self.attributes("source", r["id"]),
                              case=r["case_name"]) for r in rows]

    def delete_source(self, source_id: int, actor: str) -> None:
        """Remove a source with its segments, codings and suggestions (logged)."""
        source = self.get_source(source_id)
        db = self.database
        with db.transaction() as conn:
            for seg in self.segments(source_id, structural_only=True):
                conn.execute("INSERT INTO segments_fts (segments_fts, rowid, text) VALUES ('delete', ?, ?)",
                             (seg.id, source.text[seg.start:seg.end]))
            n_codings = db.scalar("SELECT count(*) FROM codings WHERE source_id = ?", (source_id,))
            conn.execute("DELETE FROM attributes WHERE owner_type='source' AND owner_id=?", (source_id,))
            conn.execute("DELETE FROM sources WHERE id = ?", (source_id,))
            db.log(actor, "source.delete", "source", source_id,
                   {"name": source.name, "content_hash": source.content_hash, "codings": n_codings})

    def remember_source(self, coder: str, source_id: int) -> None:
        """Remember the source ``coder`` has open on the Code page, to reopen it in their next session.

        A reading place, not research data: kept in the ``project`` table (key ``place.<coder>``) and not
        logged as an event. In team mode only the signed-in account's own place (any role: viewers read too).
        """
        access = self.database.access
        if access is not None and coder != access.user:
            raise Forbidden(f"in team mode you act as the signed-in account {access.user!r}, not as {coder!r}")
        with self.database.transaction() as conn:
            conn.execute("INSERT INTO project (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (f"place.{coder}", str(source_id)))

    def last_source(self, coder: str) -> int | None:
        """The source ``coder`` last had open on the Code page, if it still exists."""
        return self.database.scalar("SELECT s.id FROM project p JOIN sources s ON s.id = CAST(p.value AS INTEGER) "
                                    "WHERE p.key = ?", (f"place.{coder}",))

    def apply_source_edit(self, edit: SourceEdit, actor: str) -> None:
        """Store an edited text with its re-anchored segments and codings, in one transaction."""
        db = self.database
        with db.transaction() as conn:
            old_segments = self.segments(edit.source_id, structural_only=True)
            for seg in old_segments:
                conn.execute("INSERT INTO segments_fts (segments_fts, rowid, text) VALUES ('delete', ?, ?)",
                             (seg.id, edit.old_text[seg.start:seg.end]))
            lost = db.query(f"SELECT * FROM codings WHERE id IN ({','.join('?' * len(edit.lost_coding_ids))})",
                            edit.lost_coding_ids) if edit.lost_coding_ids else []
            for row in lost:
                conn.execute("DELETE FROM codings WHERE id = ?", (row["id"],))
                db.log(actor, "coding.remove", "coding", row["id"],
                       {"coding": row, "reason": edit.lost_reasons.get(row["id"],
                                                                      "its words were deleted by an edit of the source")})
            # Park the codings out of the way first, so no intermediate state breaks the unique index.
            conn.execute('UPDATE codings SET start = start + 1000000000, "end" = "end" + 1000000000 '
                         "WHERE source_id = ?", (edit.source_id,))
            for coding_id, (start, end) in edit.coding_spans.items():
                conn.execute('UPDATE codings SET start = ?, "end" = ? WHERE id = ?', (start, end, coding_id))
            conn.execute("DELETE FROM suggestions WHERE source_id = ? AND status = 'pending'", (edit.source_id,))
            conn.execute("DELETE FROM segments WHERE source_id = ? AND kind = 'sentence'", (edit.source_id,))
            next_id = (db.scalar("SELECT max(id) FROM segments") or 0) + 1
            for seg in old_segments:
                start, end = edit.segment_spans[seg.id]
                conn.execute('UPDATE segments SET start = ?, "end" = ? WHERE id = ?', (start, end, seg.id))
                conn.execute("INSERT INTO segments_fts (rowid, text) VALUES (?, ?)",
                             (seg.id, edit.new_text[start:end]))
                for n, (s_start, s_end) in enumerate(edit.sentences.get(seg.id, [])):
                    conn.execute('INSERT INTO segments (id, source_id, parent_id, kind, start, "end", speaker, '
                                 "entry_date, case_id, ordinal) VALUES (?,?,?,?,?,?,?,?,?,?)",
                                 (next_id, edit.source_id, seg.id, "sentence", s_start, s_end, seg.speaker,
                                  seg.entry_date, seg.case_id, n))
                    next_id += 1
            old_hash = db.scalar("SELECT content_hash FROM sources WHERE id = ?", (edit.source_id,))
            conn.execute("UPDATE sources SET text = ?, content_hash = ?, words = ? WHERE id = ?",
                         (edit.new_text, edit.content_hash, len(edit.new_text.split()), edit.source_id))
            db.log(actor, "source.edit", "source", edit.source_id,
                   {"old_hash": old_hash, "new_hash": edit.content_hash,
                    "old_text": edit.old_text, "lost_codings": edit.lost_coding_ids,
                    "moved_codings": list(edit.coding_spans)})

    # -- segments ---------------------------------------------------------------
    def segments(self, source_id: int, *, kinds: Sequence[str] | None = None,
                 structural_only: bool = False) -> list[Segment]:
        """Segments of a source in text order (structural ones and, unless excluded, sentences)."""
        sql = "SELECT * FROM segments WHERE source_id = ?"
        params: list = [source_id]
        if structural_only:
            sql += " AND kind != 'sentence'"
        if kinds:
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            params += list(kinds)
        return [_segment(r) for r in self.database.query(sql + " ORDER BY start, kind != 'sentence' DESC", params)]

    def sentence_units(self, source_ids: Sequence[int] | None = None, *, with_parent: bool = False) -> list[tuple]:
        """(segment id, source id, start, end[, parent segment id]) of every sentence, in text order."""
        sql = ("SELECT id, source_id, start, \"end\"" + (", parent_id" if with_parent else "")
               + " FROM segments WHERE kind = 'sentence'")
        params: list = []
        if source_ids is not None:
            sql += f" AND source_id IN ({','.join('?' * len(source_ids))})"
            params = list(source_ids)
        return self.database.conn.execute(sql + " ORDER BY source_id, start", params).fetchall()

    def turns_by_speakers(self, speakers: Sequence[str], source_ids: Sequence[int] | None = None) -> set[int]:
        """Ids of the segments spoken by any of ``speakers`` (compared case-insensitively)."""
        if not speakers:
            return set()
        names = sorted({s.casefold() for s in speakers})
        sql = (f"SELECT id FROM segments WHERE kind != 'sentence' AND speaker IS NOT NULL "
               f"AND lower(speaker) IN ({','.join('?' * len(names))})")
        params: list = list(names)
        if source_ids is not None:
            sql += f" AND source_id IN ({','.join('?' * len(source_ids))})"
            params += list(source_ids)
        return {r[0] for r in self.database.conn.execute(sql, params)}

    def counts(self) -> dict[str, int]:
        """How many sources, segments, sentences, cases, codes, codings, memos and events the project holds."""
        q = self.database.scalar
        return {
            "sources": q("SELECT count(*) FROM sources"),
            "words": q("SELECT coalesce(sum(words), 0) FROM sources"),
            "segments": q("SELECT count(*) FROM segments WHERE kind != 'sentence'"),
            "sentences": q("SELECT count(*) FROM segments WHERE kind = 'sentence'"),
            "cases": q("SELECT count(*) FROM cases"),
            "codes": q("SELECT count(*) FROM codes"),
            "codings": q("SELECT count(*) FROM codings"),
            "memos": q("SELECT count(*) FROM memos"),
            "events": q("SELECT count(*) FROM events"),
        }
