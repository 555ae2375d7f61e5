import asyncpg
from litestar import Controller, Request, get, post
from litestar.response import Response

from ..auth import requires
from ..files import UploadOperation, attachment, read_upload
from ..params import DbId, OptionalDbId
from ...audit import enforcement, orders
from ...audit.enforcement import EnforcementList
from ...audit.orders import (CloseIn, OrderDetail, OrderDocument, OrderFilter, OrderKind, OrderList, OrderNote,
                             OrderOut)
from ...config import Settings


# who reads orders (each the orders the policy lets them: audit/access.order_for), and who answers for the party
READERS = requires("registrar", "inspector", "supervisor", "admin")
RESPONDERS = requires("registrar", "supervisor")


class OrderController(Controller):
    path = "/api/orders"
    tags = ["audit 检查"]

    @get("/", guards=[READERS], summary="责令事项（整改 / 注销）及其期限 / orders issued by findings, with their deadlines",
         description="登记员看本登记点的，检查员看自己结论下达的，监督员看全部；status=overdue 为逾期清单 / "
                     "registrars see their point's, inspectors their own findings', supervisors all; "
                     "status=overdue lists those past their deadline with the party's part not done")
    async def list_orders(self, request: Request, db: asyncpg.Connection, settings: Settings,
                          status: OrderFilter | None = None, kind: OrderKind | None = None,
                          campaign: OptionalDbId = None, point: str | None = None) -> OrderList:
        return await orders.list_orders(db, settings, request.user, status=status, kind=kind, campaign=campaign,
                                        point=point)

    @get("/{order_id:int}", guards=[READERS], summary="责令事项详情 / an order: its deadline, documents, steps on the trail, escalations")
    async def show(self, request: Request, order_id: DbId, db: asyncpg.Connection, settings: Settings) -> OrderDetail:
        return await orders.get_order(db, settings, request.user, order_id)

    @post("/{order_id:int}/documents", guards=[RESPONDERS], status_code=201, request_max_body_size=None, operation_class=UploadOperation,
          summary="记录当事人答复文件（multipart/form-data：file，可选 note）/ record a document the party sent "
                  "(multipart/form-data: file, optional note)",
          description="本登记点登记员或监督员代当事人上传；检查与证据文件相同（类型按内容识别，上限 "
                      "TECHREG_EVIDENCE_MAX_BYTES）。责令事项随即为「已答复」。/ A registrar of the contract's point "
                      "or a supervisor, on the party's behalf; checked as evidence files are. The order is answered.")
    async def add_document(self, request: Request, order_id: DbId, db: asyncpg.Connection, audit_key: bytes,
                           settings: Settings) -> OrderDocument:
        await orders.may_respond(db, settings, request.user, order_id)      # who may, before a byte is read
        return await orders.add_document(db, audit_key, settings, request.user, order_id,
                                         await read_upload(request, settings))

    @get("/{order_id:int}/documents/{document_id:int}", guards=[READERS], media_type="application/octet-stream",
         summary="下载答复文件（附件）/ download a document of the response (as an attachment)")
    async def download(self, request: Request, order_id: DbId, document_id: DbId, db: asyncpg.Connection) -> Response:
        return attachment(*await orders.download(db, request.user, order_id, document_id))

    @post("/{order_id:int}/deregistration", guards=[RESPONDERS], status_code=200,
          summary="记录已注销（注销登记并履行注销令）/ record the de-registration: cancel the registration, "
                  "fulfil the order")
    async def deregistration(self, request: Request, order_id: DbId, data: OrderNote, db: asyncpg.Connection,
                             audit_key: bytes, settings: Settings) -> OrderOut:
        return await orders.record_deregistration(db, audit_key, settings, request.user, order_id, data)

    @post("/{order_id:int}/close", status_code=200, guards=[requires("supervisor")],
          summary="关闭责令事项（须说明理由）/ close an order (say why)")
    async def close(self, request: Request, order_id: DbId, data: CloseIn, db: asyncpg.Connection,
                    audit_key: bytes, settings: Settings) -> OrderOut:
        return await orders.close(db, audit_key, settings, request.user, order_id, data)

    @post("/{order_id:int}/reopen", status_code=200, guards=[requires("supervisor")],
          summary="重新开启责令事项（重新计算期限）/ reopen an order with a new deadline")
    async def reopen(self, request: Request, order_id: DbId, data: CloseIn, db: asyncpg.Connection,
                     audit_key: bytes, settings: Settings) -> OrderOut:
        return await orders.reopen(db, audit_key, settings, request.user, order_id, data)


class EnforcementController(Controller):
    path = "/api/enforcement"
    tags = ["audit 检查"]
    guards = [requires("supervisor", "admin")]

    @get("/", summary="执法企业名录（全部或某次抽查）/ the enforcement list, overall or of one campaign",
         description="被撤销登记、责令整改或注销、或逾期未履行的合同所属企业（卖方），合同数与金额（核定技术交易额，"
                     "未核定的按申报额）/ the enterprises (sellers) whose contracts were revoked, ordered, or left an "
                     "order overdue, with counts and amounts (approved, else declared)")
    async def enforcement(self, request: Request, db: asyncpg.Connection, settings: Settings,
                          campaign: OptionalDbId = None) -> EnforcementList:
        return await enforcement.enforcement_list(db, settings, campaign=campaign)
