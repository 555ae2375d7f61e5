from litestar import Controller, Request, get, post

from ...detection import outlier
from ..auth import requires




class ModelController(Controller):
    path = "/api/models"
    tags = ["models 模型"]
    guards = [requires("supervisor")]

    @get("/", summary="当前模型与候选模型 / current and candidate model metadata")
    async def models(self, request: Request) -> dict:
        return outlier.describe()

    @post("/promote", summary="启用候选模型 / promote the candidate model", status_code=200)
    async def promote(self, request: Request) -> dict:
        return outlier.promote(request.user.username)     # a model it cannot trust: ModelError, 409
