"""Opening intervals of a business calendar as UTC microseconds, indexed per local year.

Instants are integers: microseconds since 1970-01-01 UTC. For each local year the timeline holds the
sorted opening intervals ``[start, end)`` in UTC, a running sum of open time (so any amount of
business time is found with one bisection, however large), and the open days with their first
interval. Wall-clock boundaries are converted with these rules:

* a boundary in a repeated (ambiguous) hour uses its first occurrence for an opening and its last
  occurrence for a closing, so an open period spanning the repeated hour lasts one hour longer;
* a boundary in a skipped hour (a DST gap) is the instant the clocks jump;
* ``24:00`` is the first instant of the next local day.

Intervals are clamped to their local day and never overlap, whatever the time zone does.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_DAY = 86_400 * US_PER_SECOND
MINUTES_PER_DAY = 1440
_MAX_EMPTY_YEARS = 30
_ONE_DAY = timedelta(days=1)
_ONE_US = timedelta(microseconds=1)
_US_PER_MEAN_YEAR = 31_556_952 * US_PER_SECOND


def to_us(instant: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (fold-aware); naive raises ValueError."""
    try:
        return (instant - EPOCH) // _ONE_US
    except TypeError:
        raise ValueError(f"naive datetime {instant.isoformat()} given; pass an aware datetime") from None


def from_us(us: int) -> datetime:
    """The UTC datetime for microseconds since the epoch."""
    return EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True, slots=True)
class YearIndex:
    """Opening intervals of one local year, with running sums of open time."""

    year: int
    begin: int
    end: int
    starts: list[int]
    ends: list[int]
    cum: list[int]
    day_ordinals: list[int]
    day_first: list[int]

    @property
    def total(self) -> int:
        """Open microseconds in the year."""
        return self.cum[-1]

    def interval_at_or_before(self, t: int) -> int:
        """Index of the last interval starting at or before t (-1 if none)."""
        return bisect_right(self.starts, t) - 1

    def position(self, t: int) -> int:
        """Open microseconds from the start of the year to t (t within the year)."""
        k = bisect_right(self.starts, t) - 1
        if k < 0:
            return 0
        end = self.ends[k]
        return self.cum[k] + (t if t < end else end) - self.starts[k]

    def instant_at(self, position: int) -> int:
        """Earliest instant whose position is ``position`` (0 < position <= total)."""
        k = bisect_left(self.cum, position) - 1
        return self.starts[k] + position - self.cum[k]

    def day_of_interval(self, k: int) -> int:
        """Index (into day_ordinals) of the open day owning interval k."""
        return bisect_right(self.day_first, k) - 1


class Timeline:
    """Lazily built per-year opening intervals of one calendar, in UTC microseconds."""

    def __init__(
        self,
        tz: ZoneInfo,
        hours: Sequence[Sequence[tuple[int, int]]],
        closed_dates: Callable[[int], frozenset[date]],
    ) -> None:
        self._tz = tz
        self._hours = hours
        self._closed_dates = closed_dates
        self._years: dict[int, YearIndex] = {}
        self._last: YearIndex | None = None

    def year(self, year: int) -> YearIndex:
        """The index of a local year, built on first use."""
        index = self._years.get(year)
        if index is None:
            index = self._build_year(year)
            self._years[year] = index
        return index

    def year_of(self, t: int) -> YearIndex:
        """The index of the local year containing instant t (the last one found is tried first)."""
        index = self._last
        if index is not None and index.begin <= t < index.end:
            return index
        index = self.year(1970 + t // _US_PER_MEAN_YEAR)
        while t < index.begin:
            index = self.year(index.year - 1)
        while t >= index.end:
            index = self.year(index.year + 1)
        self._last = index
        return index

    def wall_to_us(self, day: date, wall_us: int, *, last: bool = False) -> int:
        """UTC instant of a wall-clock time on a local day (see the module rules)."""
        if wall_us >= US_PER_DAY:
            return self.wall_to_us(day + _ONE_DAY, wall_us - US_PER_DAY, last=last)
        seconds, micro = divmod(wall_us, US_PER_SECOND)
        hour, rest = divmod(seconds, 3600)
        clock = time(hour, rest // 60, rest % 60, micro)
        first = to_us(datetime.combine(day, clock, self._tz))
        second = to_us(datetime.combine(day, clock, self._tz).replace(fold=1))
        if first <= second:
            return second if last else first
        return self._transition_between(second, first)

    def _transition_between(self, low: int, high: int) -> int:
        """The instant the UTC offset changes, in (low, high] (both in whole seconds)."""
        target = from_us(high).astimezone(self._tz).utcoffset()
        lo, hi = low // US_PER_SECOND, high // US_PER_SECOND
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if from_us(mid * US_PER_SECOND).astimezone(self._tz).utcoffset() == target:
                hi = mid
            else:
                lo = mid
        return hi * US_PER_SECOND

    def _build_year(self, year: int) -> YearIndex:
        """Compute the opening intervals of every open local day of a year."""
        closed = self._closed_dates(year)
        starts: list[int] = []
        ends: list[int] = []
        day_ordinals: list[int] = []
        day_first: list[int] = []
        day = date(year, 1, 1)
        begin = day_begin = self.wall_to_us(day, 0)
        while day.year == year:
            following = day + _ONE_DAY
            day_end = self.wall_to_us(following, 0)
            if day not in closed:
                first = len(starts)
                self._add_day(day, day_begin, day_end, starts, ends)
                if len(starts) > first:
                    day_ordinals.append(day.toordinal())
                    day_first.append(first)
            day, day_begin = following, day_end
        day_first.append(len(starts))
        cum = [0]
        for start, end in zip(starts, ends, strict=True):
            cum.append(cum[-1] + end - start)
        return YearIndex(year, begin, day_begin, starts, ends, cum, day_ordinals, day_first)

    def _add_day(self, day: date, day_begin: int, day_end: int, starts: list[int], ends: list[int]) -> None:
        """Append one local day's opening intervals, clamped to the day and non-overlapping."""
        floor = day_begin
        for open_minute, close_minute in self._hours[day.weekday()]:
            start = max(floor, self.wall_to_us(day, open_minute * US_PER_MINUTE))
            if close_minute >= MINUTES_PER_DAY:
                end = day_end
            else:
                end = min(day_end, self.wall_to_us(day, close_minute * US_PER_MINUTE, last=True))
            if end > start:
                starts.append(start)
                ends.append(end)
                floor = end

    # --- queries on instants (microseconds) -------------------------------------------------

    def add(self, t: int, amount: int) -> int:
        """Earliest instant at which ``amount`` open microseconds have elapsed since t."""
        if amount <= 0:
            return t
        index = self.year_of(t)
        position = index.position(t) + amount
        empty_years = 0
        while position > index.total:
            empty_years = empty_years + 1 if index.total == 0 else 0
            if empty_years > _MAX_EMPTY_YEARS:
                raise ValueError("the calendar has no opening hours left; cannot reach a deadline")
            position -= index.total
            index = self.year(index.year + 1)
        return index.instant_at(position)

    def between(self, a: int, b: int) -> int:
        """Open microseconds in [a, b); 0 when b <= a."""
        if b <= a:
            return 0
        first, last = self.year_of(a), self.year_of(b)
        if first.year == last.year:
            return last.position(b) - first.position(a)
        total = first.total - first.position(a) + last.position(b)
        for year in range(first.year + 1, last.year):
            total += self.year(year).total
        return total

    def is_open(self, t: int) -> bool:
        """Whether instant t lies inside an opening interval."""
        index = self.year_of(t)
        k = index.interval_at_or_before(t)
        return k >= 0 and t < index.ends[k]

    def next_open(self, t: int) -> int:
        """t itself if open, else the next opening instant."""
        index = self.year_of(t)
        k = index.interval_at_or_before(t)
        if k >= 0 and t < index.ends[k]:
            return t
        for _ in range(_MAX_EMPTY_YEARS):
            if k + 1 < len(index.starts):
                return index.starts[k + 1]
            index, k = self.year(index.year + 1), -1
        raise ValueError("the calendar has no opening hours left")

    def add_open_days(self, t: int, days: int) -> int:
        """Earliest instant with the business position of the same wall time ``days`` open days later.

        t is first moved to the next opening. On the target day the wall time is used if open;
        otherwise the day's next opening after it, or the day's last closing if none.
        """
        start = self.next_open(t)
        index = self.year_of(start)
        day_idx = index.day_of_interval(index.interval_at_or_before(start))
        day_idx += days
        empty_years = 0
        while day_idx >= len(index.day_ordinals):
            empty_years = 0 if index.day_ordinals else empty_years + 1
            if empty_years > _MAX_EMPTY_YEARS:
                raise ValueError("the calendar has no open days left; cannot reach a deadline")
            day_idx -= len(index.day_ordinals)
            index = self.year(index.year + 1)
        target_day = date.fromordinal(index.day_ordinals[day_idx])
        local = from_us(start).astimezone(self._tz)
        wall = (local.hour * 3600 + local.minute * 60 + local.second) * US_PER_SECOND + local.microsecond
        target = self._clamp_to_day(index, day_idx, self.wall_to_us(target_day, wall))
        return self.add(t, self.between(t, target))

    @staticmethod
    def _clamp_to_day(index: YearIndex, day_idx: int, u: int) -> int:
        """u if open on that day, else the day's next opening after u, else its last closing."""
        for k in range(index.day_first[day_idx], index.day_first[day_idx + 1]):
            if index.ends[k] > u:
                return max(u, index.starts[k])
        return index.ends[index.day_first[day_idx + 1] - 1]
