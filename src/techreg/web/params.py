"""Parameter types shared by the API and the pages."""

from typing import Annotated

from litestar.params import Parameter

# a database id: anything outside bigint is a 400 naming the parameter, never a 500 from the driver
DbId = Annotated[int, Parameter(ge=1, le=2**63 - 1)]
OptionalDbId = Annotated[int | None, Parameter(ge=1, le=2**63 - 1)]
