"""Dates, times, weekdays and zone names by CLDR, in the language in force."""

from __future__ import annotations

from datetime import UTC, datetime

from natm_bot.calendar.timeutil import clock_in, full_time, place, relative, span_text
from natm_bot.core.i18n import speaking

MOMENT = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)  # a Tuesday, 18:00 in Berlin


def test_english_reads_as_it_always_did() -> None:
    assert full_time(MOMENT, "Europe/Berlin") == "Tue 8 Dec 2026, 18:00 (Europe/Berlin)"
    assert clock_in(MOMENT, "Asia/Tokyo", MOMENT.date()) == "02:00 Wed"
    assert span_text(90) == "1 h 30 min" and span_text(1440) == "1 day"


def test_spanish_dates_and_zone_names() -> None:
    with speaking("es"):
        assert (
            full_time(MOMENT, "Europe/Berlin") == "martes, 8 de diciembre de 2026, 18:00 (Berlín)"
        )
        assert clock_in(MOMENT, "Asia/Tokyo", MOMENT.date()) == "02:00 mié"
        assert place("America/Mexico_City") == "Ciudad de México"
        assert relative(MOMENT, datetime(2026, 12, 5, 17, tzinfo=UTC)) == "dentro de 3 días"
        assert span_text(120) == "2 horas"


def test_french_and_portuguese() -> None:
    with speaking("fr"):
        assert full_time(MOMENT, "Europe/Berlin") == "mardi 8 décembre 2026, 18:00 (Berlin)"
        assert relative(datetime(2026, 12, 8, 16, tzinfo=UTC), MOMENT) == "il y a 1 heure"
    with speaking("pt"):
        assert (
            full_time(MOMENT, "Europe/Berlin")
            == "terça-feira, 8 de dezembro de 2026, 18:00 (Berlim)"
        )
        assert span_text(1440) == "1 dia"
