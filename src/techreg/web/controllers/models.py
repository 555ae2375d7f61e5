from litestar import Controller, Request, get, post

from ...detection import outlier
from ...errors import Conflict, Forbidden


def _supervisor(request: Request) -> None:
    if request.user.role != "supervisor":
        raise Forbidden("只有监督员可以审核模型", "only supervisors review models")


class ModelController(Controller):
    path = "/api/models"
    tags = ["models 模型"]

    @get("/", summary="当前模型与候选模型 / current and candidate model metadata")
    async def models(self, request: Request) -> dict:
        _supervisor(request)
        return outlier.describe()

    @post("/promote", summary="启用候选模型 / promote the candidate model", status_code=200)
    async def promote(self, request: Request) -> dict:
        _supervisor(request)
        try:
            return outlier.promote(request.user.username)
        except outlier.ModelError as exc:
            raise Conflict(str(exc).split(" / ")[0], str(exc).split(" / ")[-1]) from None
