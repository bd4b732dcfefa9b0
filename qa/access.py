"""What one caller may read: articles of some visibilities and some sources. An API key can be limited
so; a caller without limits reads everything."""

from dataclasses import dataclass

# An article stored without a visibility is public.
DEFAULT_VISIBILITY = "public"


@dataclass(frozen=True)
class Access:
    """`visibilities` and `sources` the caller may read; None: any."""

    visibilities: tuple[str, ...] | None = None
    sources: tuple[str, ...] | None = None
    # Whether the caller may read the record of an article under embargo (a CMS checking what it sent);
    # no caller is ever answered from one before its time.
    sees_embargoed: bool = False

    @property
    def limited(self) -> bool:
        return self.visibilities is not None or self.sources is not None

    def allows(self, visibility: str | None, source: str | None) -> bool:
        """Whether an article of this visibility (None: public) and source may be read."""
        if self.visibilities is not None and (visibility or DEFAULT_VISIBILITY) not in self.visibilities:
            return False
        return self.sources is None or source in self.sources


EVERYTHING = Access()
