"""Field types that accept a value only in its one documented form.

pydantic, even in strict mode, reads a JSON string of digits as a Unix timestamp when it wants a
date (`date_of_birth: "0"` was 1 January 1970, so the person was "aged 18 or over"), and a JSON
`true` as 1 where the choices are 0, 1, 2, 3 (`mappa_level: true` allocated to the NPS). These
types close both doors.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, PlainSerializer, PlainValidator
from pydantic_core import PydanticCustomError

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(v: Any) -> dt.date:
    if type(v) is dt.date:  # a datetime (a subclass) carries a time: refused below
        return v
    if isinstance(v, str) and _ISO_DATE.fullmatch(v):
        try:
            return dt.date.fromisoformat(v)
        except ValueError as e:
            raise PydanticCustomError("date_not_real", "is not a real date ({reason}); check the day and month", {"reason": str(e)}) from None
    raise PydanticCustomError("date_form", "should be a date written YYYY-MM-DD, for example 2017-03-01")


# A date given as a date (YAML) or as "YYYY-MM-DD" text (JSON); never a number or a date and time.
IsoDate = Annotated[dt.date, PlainValidator(_iso_date, json_schema_input_type=dt.date), PlainSerializer(lambda d: d, return_type=dt.date)]


def _not_flag(v: Any) -> Any:
    if isinstance(v, bool):
        raise PydanticCustomError("flag_not_number", "should be a number, not true or false")
    return v


# MAPPA level: 0 (not managed under MAPPA), 1, 2 or 3; true and false are not levels
MappaLevel = Annotated[Literal[0, 1, 2, 3], BeforeValidator(_not_flag)]
