"""Credit records and the red-line check (一票否决): import, a party's records, a filing's check and its
override, the batch check, the export for the national credit database."""

import datetime as dt
from typing import Annotated, Literal

import asyncpg
from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.response import Response

from ...audit import service as audit
from ...config import Settings
from ...errors import InvalidInput
from ...registry import service
from ...registry.credit import batch, checks, fraud, importer, records
from ...registry.credit.schema import (BatchReport, BatchScope, FilingCreditOut, ImportIn, ImportReport, Override,
                                       OverrideIn, PartyCreditOut)
from ..auth import requires

STAFF = requires("supervisor", "admin")


async def campaign_refs(db: asyncpg.Connection, user, campaign: int | None) -> list[str] | None:
    """A campaign's sample as the filings a batch check covers (the audit area says which they are)."""
    if campaign is None:
        return None
    return [item.ref for item in (await audit.get_campaign(db, campaign)).items]


async def run_batch(db: asyncpg.Connection, user, settings: Settings, scope: BatchScope) -> BatchReport:
    as_of = scope.as_of or service.today(settings)
    return await batch.batch_check(db, user, scope, as_of, await campaign_refs(db, user, scope.campaign))


class CreditController(Controller):
    tags = ["credit 信用记录与红线核查"]

    @post("/api/credit/records", guards=[STAFF], status_code=200,
          summary="导入红线记录（信用记录格式第1版）/ import red-line records (credit format v1)",
          description="逐条检查，错误注明第几条、哪个字段；已有记录内容变化时新增版本，不覆盖；重复导入不产生变化 / "
                      "every record checked, each error naming its item and field; a known record that changed gets "
                      "a new version (never overwritten); importing the same records again changes nothing")
    async def import_records(self, request: Request, data: ImportIn, db: asyncpg.Connection) -> ImportReport:
        return await importer.import_objects(db, data.records, actor=request.user.username,
                                             source_name=data.source_name)

    @get("/api/credit/export", guards=[STAFF], media_type="application/octet-stream",
         summary="导出本机构形成的信用记录（报送全国信用数据库）/ export this registry's credit records for the "
                 "national credit database",
         description="format=jsonl（默认）或 csv；since 只导出该时刻以后记录的版本 / format jsonl (default) or csv; "
                     "since: only versions recorded from that moment (ISO 8601 with offset)")
    async def export_records(self, db: asyncpg.Connection, format: Literal["jsonl", "csv"] = "jsonl",
                             since: dt.datetime | None = None) -> Response:
        if since is not None and since.tzinfo is None:
            raise InvalidInput("since 须带时区偏移，如 2026-01-01T00:00:00+08:00",
                               "since needs its offset, e.g. 2026-01-01T00:00:00+08:00",
                               errors=[{"field": "since", "message": "须带时区偏移", "message_en": "needs an offset"}])
        found = await fraud.registry_records(db, since)
        if format == "csv":
            return Response(fraud.csv_bytes(found), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="credit-records.csv"'})
        return Response(fraud.jsonl(found), media_type="application/x-ndjson",
                        headers={"Content-Disposition": 'attachment; filename="credit-records.jsonl"'})

    @get("/api/credit/check", guards=[STAFF],
         summary="批量信用核查（年度、登记点、抽查任务）/ batch credit check (a year, a point, a campaign)",
         description="每件命中红线记录的申请给出建议：不予登记、复核撤销、已书面同意、无需处理 / a recommendation for "
                     "each filing with a red-line hit: refuse, review for revocation, overridden, no action")
    async def check(self, request: Request, db: asyncpg.Connection, settings: Settings,
                    year: Annotated[int | None, Parameter(ge=1980, le=2200)] = None, point: str | None = None,
                    campaign: Annotated[int | None, Parameter(ge=1, le=2**63 - 1)] = None,
                    as_of: dt.date | None = None) -> BatchReport:
        scope = BatchScope(year=year, point=point or None, campaign=campaign, as_of=as_of)
        return await run_batch(db, request.user, settings, scope)

    @get("/api/parties/{credit_code:str}", summary="当事人及其信用记录（含历史版本）/ a party with its credit records "
                                                   "(every version) and how many filings name it")
    async def party(self, credit_code: str, db: asyncpg.Connection, settings: Settings,
                    on: dt.date | None = None) -> PartyCreditOut:
        return await records.party_credit(db, credit_code, on or service.today(settings))

    @get("/api/filings/{ref:str}/credit", summary="申请的红线核查：提交时、当前，监督员书面同意 / a filing's red-line "
                                                  "check: at submission, now, and the overrides")
    async def filing_credit(self, request: Request, ref: str, db: asyncpg.Connection,
                            settings: Settings) -> FilingCreditOut:
        filing = await service.get_filing(db, request.user, ref)
        return await checks.filing_credit(db, filing, service.today(settings))

    @post("/api/filings/{ref:str}/credit-override", status_code=201, guards=[requires("supervisor")],
          summary="监督员书面同意登记（红线记录）/ a supervisor overrides the red-line records in writing",
          description="覆盖当前有效、尚未同意的全部红线记录，记入申请的操作记录 / covers every red-line record standing "
                      "now, recorded on the filing's event trail")
    async def override(self, request: Request, ref: str, data: OverrideIn, db: asyncpg.Connection, audit_key: bytes,
                       settings: Settings) -> Override:
        return await checks.override(db, audit_key, request.user, ref, data, service.today(settings))
