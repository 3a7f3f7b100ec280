"""The participant roster: real names and the pseudonyms that replace them in exports."""
from __future__ import annotations

from workbench.errors import InvalidNameReview
from workbench.store.db import Database, now

NAME_DECISIONS = ("accepted", "dismissed")


class RosterStore:
    """Reading and changing the roster (logged)."""

    database: Database

    def roster(self) -> dict[str, str]:
        """Real name → pseudonym."""
        return dict(self.database.conn.execute("SELECT real_name, pseudonym FROM roster ORDER BY real_name"))

    def set_roster(self, entries: dict[str, str], actor: str) -> None:
        """Add or change roster entries (an empty pseudonym removes the entry)."""
        db = self.database
        with db.transaction() as conn:
            for real, pseudonym in entries.items():
                if not pseudonym.strip():
                    conn.execute("DELETE FROM roster WHERE real_name = ?", (real.strip(),))
                    continue
                case_id = db.scalar("SELECT id FROM cases WHERE name = ?", (pseudonym.strip(),))
                conn.execute("INSERT INTO roster (real_name, pseudonym, case_id) VALUES (?, ?, ?) ON CONFLICT "
                             "(real_name) DO UPDATE SET pseudonym = excluded.pseudonym, case_id = excluded.case_id",
                             (real.strip(), pseudonym.strip(), case_id))
            db.log(actor, "roster.set", "project", None, {"names": sorted(entries)})

    def name_reviews(self) -> dict[str, tuple[str, str | None]]:
        """Reviewed possible names: name → (decision, pseudonym); decision is "accepted" or "dismissed"."""
        rows = self.database.conn.execute("SELECT name, decision, pseudonym FROM name_reviews ORDER BY name")
        return {name: (decision, pseudonym) for name, decision, pseudonym in rows}

    def review_name(self, name: str, decision: str, actor: str, pseudonym: str | None = None) -> None:
        """Accept a possible name (it joins the roster with ``pseudonym``) or dismiss it; logged, one transaction."""
        name = name.strip()
        if decision not in NAME_DECISIONS:
            raise InvalidNameReview(f"a name is accepted or dismissed, not {decision!r}")
        if not name:
            raise InvalidNameReview("an empty name cannot be reviewed")
        pseudonym = (pseudonym or "").strip() or None
        if decision == "accepted" and pseudonym is None:
            raise InvalidNameReview(f"accepting {name!r} needs a pseudonym to replace it with")
        db = self.database
        with db.transaction() as conn:
            if decision == "accepted":
                self.set_roster({name: pseudonym}, actor)
            elif db.scalar("SELECT decision FROM name_reviews WHERE name = ?", (name,)) == "accepted":
                self.set_roster({name: ""}, actor)  # accepted before, now not a name: no longer replaced
            conn.execute("INSERT INTO name_reviews (name, decision, pseudonym, decided_by, decided_at) "
                         "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET decision = excluded.decision, "
                         "pseudonym = excluded.pseudonym, decided_by = excluded.decided_by, "
                         "decided_at = excluded.decided_at", (name, decision, pseudonym, actor, now()))
            db.log(actor, "name.accept" if decision == "accepted" else "name.dismiss", "project", None,
                   {"name": name, "pseudonym": pseudonym})

    def speakers_by_source(self) -> list[tuple[int, str, int | None]]:
        """(source id, speaker, the source's case id) for every distinct speaker or author."""
        return self.database.conn.execute(
            "SELECT DISTINCT g.source_id, g.speaker, s.case_id FROM segments g JOIN sources s ON s.id = g.source_id "
            "WHERE g.speaker IS NOT NULL AND g.kind != 'sentence' ORDER BY g.source_id").fetchall()

    def rename_speaker(self, source_id: int, old: str, new: str, actor: str) -> None:
        """Change a speaker's label on a source's segments (the text is edited separately)."""
        db = self.database
        with db.transaction() as conn:
            conn.execute("UPDATE segments SET speaker = ? WHERE source_id = ? AND speaker = ?", (new, source_id, old))
            db.log(actor, "speaker.rename", "source", source_id, {"before": old, "after": new})
