"""Request bodies that name every bad field in one 400.

Litestar decodes a `data: SomeStruct` body with msgspec, which stops at the first bad field. A handler
declared with `dto=Checked[SomeStruct], return_dto=None` gets its body from the registry's own decoder
(registry.fieldcheck) instead: the same struct, the same rules as the importer and the filing form, every
error at once. The OpenAPI schema still documents the struct itself.
"""

from collections.abc import Callable, Generator
from typing import Any, Generic, TypeVar

import msgspec
from litestar.dto import AbstractDTO
from litestar.typing import FieldDefinition

from ..registry.fieldcheck import decode_checked
from ..registry.rules import decode_correction, decode_filing
from ..registry.schema import FilingCorrection, FilingV1

T = TypeVar("T")

# a struct with rules between its fields decodes through them; any other through its field types alone
_DECODERS: dict[type, Callable[[bytes], Any]] = {FilingV1: decode_filing, FilingCorrection: decode_correction}


class Checked(AbstractDTO[T], Generic[T]):
    """A body decoded field by field (all errors reported), then checked by the struct's rules."""

    def decode_bytes(self, value: bytes) -> Any:
        decode = _DECODERS.get(self.model_type)
        return decode(value) if decode else decode_checked(value, self.model_type)

    def decode_builtins(self, value: dict[str, Any]) -> Any:
        """A body Litestar parsed itself (a form): checked the same way, as the JSON it stands for."""
        return self.decode_bytes(msgspec.json.encode(value))

    @classmethod
    def create_for_field_definition(cls, field_definition: FieldDefinition, handler_id: str,
                                    backend_cls: Any = None) -> None:
        """Nothing to build: decode_bytes does the work."""

    @classmethod
    def create_openapi_schema(cls, field_definition: FieldDefinition, handler_id: str, schema_creator: Any) -> Any:
        return schema_creator.for_field_definition(
            FieldDefinition.from_annotation(cls.model_type, kwarg_definition=field_definition.kwarg_definition))

    @classmethod
    def generate_field_definitions(cls, model_type: type[Any]) -> Generator[Any, None, None]:
        yield from ()

    @classmethod
    def detect_nested_field(cls, field_definition: FieldDefinition) -> bool:
        return False
