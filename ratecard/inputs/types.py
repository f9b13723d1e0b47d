"""Field types: each accepts a value in its documented forms only, and says what to write otherwise.

pydantic, even in strict mode, reads a JSON string of digits as a Unix timestamp when it wants a
date (`date_of_birth: "0"` was 1 January 1970, so the person was "aged 18 or over"), and a JSON
`true` as 1 where the choices are 0, 1, 2, 3 (`mappa_level: true` allocated to the NPS). These
types close both doors.

Where people type (case files, spreadsheets, the court form) the case model is forgiving in ways
that cannot change a meaning: a choice or an id is read without regard to capitals, surrounding
spaces, or spaces and hyphens for underscores (`Male`, ` Northampton `, `Very High`,
`East Northamptonshire`), and a date may be written day first as in the UK (`10/06/1992`). The
catalog, written by the people who keep the rules, keeps the one exact form (`IsoDate`,
`ratecard.case.model.Identifier`).

To declare a new case field of one of these kinds: `Caseless[Literal[...]]` for a closed list of
words, `Name` for an id (a town, an intervention), `Date` for a date, `Flag` for true/false, a
number with `Field(ge=..., le=...)` bounds. The batch reader validates tables with the same types
(ratecard/case/tables.py), so nothing else needs to change.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BeforeValidator, Field, PlainSerializer, PlainValidator
from pydantic_core import PydanticCustomError

from .dates import DateTextError, parse_date

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SEPARATORS = re.compile(r"[\s\-]+")


def fold(text: str) -> str:
    """A word or an id as ratecard writes it: lower case, no surrounding spaces, underscores for
    spaces and hyphens inside (`East Northamptonshire` -> `east_northamptonshire`)."""
    return _SEPARATORS.sub("_", text.strip().lower())


def _fold_text(v: Any) -> Any:
    return fold(v) if isinstance(v, str) else v


def _date_or_refuse(v: Any, read: Any) -> dt.date:
    if type(v) is dt.date:  # a datetime (a subclass) carries a time: refused below
        return v
    if isinstance(v, str):
        try:
            return read(v)  # type: ignore[no-any-return]
        except DateTextError as e:
            raise PydanticCustomError("date_text", str(e)) from None
    raise PydanticCustomError("date_form", "should be a date written YYYY-MM-DD, for example 2017-03-01")


def _iso_only(text: str) -> dt.date:
    if not _ISO_DATE.fullmatch(text):
        raise DateTextError("should be a date written YYYY-MM-DD, for example 2017-03-01")
    return parse_date(text)


# A date given as a date (YAML) or as "YYYY-MM-DD" text (JSON); never a number or a date and time.
IsoDate = Annotated[dt.date, PlainValidator(lambda v: _date_or_refuse(v, _iso_only), json_schema_input_type=dt.date),
                    PlainSerializer(lambda d: d, return_type=dt.date)]

# A date where people type it: YYYY-MM-DD, or DD/MM/YYYY (day first); US order and two-digit years never.
Date = Annotated[dt.date, PlainValidator(lambda v: _date_or_refuse(v, parse_date), json_schema_input_type=dt.date),
                 PlainSerializer(lambda d: d, return_type=dt.date)]

# true or false, or not known
Flag = bool | None

# A Literal of words read as fold() writes them: `Caseless[Literal["male", "female"]]` also reads
# `Male` and ` MALE `.
CASELESS = BeforeValidator(_fold_text)
_Words = TypeVar("_Words")
Caseless = Annotated[_Words, CASELESS]


# An id where people type it (a town, an area, an intervention): read as fold() writes it.
Name = Annotated[str, CASELESS, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]


def _not_flag(v: Any) -> Any:
    if isinstance(v, bool):
        raise PydanticCustomError("flag_not_number", "should be a number, not true or false")
    return v


# MAPPA level: 0 (not managed under MAPPA), 1, 2 or 3; true and false are not levels
MappaLevel = Annotated[Literal[0, 1, 2, 3], BeforeValidator(_not_flag)]
