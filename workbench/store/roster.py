"""The participant roster: real names and the pseudonyms that replace them in exports."""
from __future__ import annotations

from workbench.store.db import Database


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
