"""Seed 001's December 2021 schedule («Установка графиков работы № 6 от
08.12.2021»), transcribed from its table: column 1 Ефимова Е.В., column 2 the
third doctor, column 3 Ишаева М.И. Kept apart from ``erp.demo.clinic`` so that
the demo is checked against the seed, not against itself."""

SEED_TABLE = """
08 Ср |               |               | 08:00 - 16:00
09 Чт |               |               | 08:00 - 16:00
10 Пт |               |               | 08:00 - 16:00
11 Сб |               |               | 08:30 - 15:00
13 Пн | 08:15 - 13:00 | 08:15 - 13:00 | 08:00 - 16:00
14 Вт | 15:30 - 20:00 | 08:15 - 13:00 | 08:00 - 16:00
15 Ср |               |               | 08:00 - 16:00
16 Чт | 15:30 - 20:00 | 08:15 - 13:00 | 08:00 - 16:00
17 Пт | 08:15 - 13:00 |               | 08:00 - 16:00
18 Сб |               |               | 08:30 - 15:00
20 Пн | 08:15 - 13:00 | 08:15 - 13:00 | 08:00 - 16:00
21 Вт | 08:15 - 13:00 | 08:15 - 13:00 | 08:00 - 16:00
22 Ср | 08:15 - 13:00 |               | 08:00 - 16:00
23 Чт | 15:30 - 19:45 | 08:15 - 13:00 | 08:00 - 16:00
24 Пт | 08:15 - 13:00 |               | 08:15 - 13:00
27 Пн | 08:15 - 13:00 | 08:15 - 13:00 |
28 Вт | 15:30 - 19:45 | 08:15 - 13:00 |
29 Ср | 08:15 - 13:00 |               |
"""


def seed_intervals() -> dict[tuple[int, str], tuple[str, str]]:
    """``{(column 0..2, "2021-12-DD"): ("HH:MM", "HH:MM")}``."""
    out = {}
    for row in SEED_TABLE.strip().splitlines():
        day, *cells = (c.strip() for c in row.split("|"))
        for column, cell in enumerate(cells):
            if cell:
                start, end = (t.strip() for t in cell.split("-"))
                out[(column, f"2021-12-{day[:2]}")] = (start, end)
    return out


def seed_lines(doctor_ids: tuple[int, int, int]) -> list[dict]:
    """The WorkSchedule lines of the seed's table for the three doctors' ids."""
    return [{"doctor_id": doctor_ids[column], "day": day, "start": start, "end": end}
            for (column, day), (start, end) in sorted(seed_intervals().items(), key=lambda i: (i[0][1], i[0][0]))]
