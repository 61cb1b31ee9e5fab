"""The mood journal: local history of moods, analyses, tracks shown and feedback (no images, ever)."""
from emotune.journal.errors import (
    JournalCorruptError, JournalDiskFullError, JournalError, JournalLockedError, JournalReadOnlyError,
    JournalUnavailableError,
)
from emotune.journal.feedback import KINDS as FEEDBACK_KINDS, LIKE, NOT_FOR_MOOD, SKIP
from emotune.journal.recorder import JournalRecorder
from emotune.journal.store import JournalStore

__all__ = [
    "FEEDBACK_KINDS", "LIKE", "NOT_FOR_MOOD", "SKIP", "JournalCorruptError", "JournalDiskFullError",
    "JournalError", "JournalLockedError", "JournalReadOnlyError", "JournalRecorder", "JournalStore",
    "JournalUnavailableError",
]
