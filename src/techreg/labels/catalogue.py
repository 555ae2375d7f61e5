"""The catalogue: every stored code a person reads, with its Chinese and its English word.

One table per kind of code. A page, a CSV/Excel export and the CLI take their words from here (through
`techreg.labels.label`), so they say the same thing. Flag kinds are named where the detectors are registered
(techreg.detection.detectors): `label("flag", kind)` reads them there.
"""

Words = dict[str, tuple[str, str]]

ROLE: Words = {
    "registrar": ("登记员", "registrar"), "inspector": ("检查员", "inspector"),
    "supervisor": ("监督员", "supervisor"), "admin": ("管理员", "administrator"),
    "system": ("系统（定时任务）", "system (scheduled jobs)"),
}

# who acted, when no person did: the scheduler, the demo's loader, the command line (an import's actor is
# "import:<the system user who ran it>")
ACTOR: Words = {
    "scheduler": ("定时任务", "scheduled job"), "system": ("系统", "the system"), "demo": ("演示数据", "demo data"),
    "cli": ("命令行", "command line"), "import": ("命令行导入", "command-line import"),
}

# a change to an account, as account_events records it (registry/users.py)
ACCOUNT_EVENT: Words = {
    "created": ("创建账户", "account created"),
    "qualified": ("授予或续展登记员资格", "registrar qualification granted or renewed"),
    "qualification_cleared": ("撤销登记员资格", "registrar qualification withdrawn"),
    "activated": ("启用账户", "account activated"), "deactivated": ("停用账户", "account deactivated"),
}

# a filing's status (registry.schema.Status)
STATUS: Words = {
    "submitted": ("待审查", "awaiting review"), "returned": ("退回补正", "returned for correction"),
    "proposed": ("拟登记待复核", "proposed, awaiting a second reviewer"),
    "registered": ("已登记", "registered"), "refused": ("不予登记", "refused"),
    "revoked": ("已撤销", "revoked"), "cancelled": ("已注销", "cancelled"),
}

# what a person does to a filing (a button, a refusal "cannot …")
ACTION: Words = {
    "register": ("登记", "register"), "refuse": ("不予登记", "refuse"), "return": ("退回补正", "return for correction"),
    "resubmit": ("重新提交", "resubmit"), "revoke": ("撤销登记", "revoke"), "cancel": ("注销", "cancel"),
    "create": ("提交", "submit"), "correct": ("补正", "correct"), "import": ("导入", "import"),
    "income_check": ("技术性收入核定", "record an income check"),
    "credit_override": ("红线记录书面同意登记", "override a red-line record"),
    "propose": ("提请复核登记", "propose for registration"), "send_back": ("复核退回", "send back"),
    "review_request": ("申请复核", "request a review"), "review_open": ("启动监督复核", "open a supervisory review"),
    "review_decision": ("作出复核决定", "decide the review"), "review_recusal": ("复核回避", "step aside"),
    # the steps of an order issued by a finding (audit/orders.py), as the trail lists them among the actions
    "order_issued": ("下达责令", "issue an order"), "order_answered": ("记录当事人答复", "record the party's response"),
    "order_fulfilled": ("记录已注销", "record the de-registration"), "order_escalated": ("逾期上报", "escalate"),
    "order_closed": ("关闭责令事项", "close the order"), "order_reopened": ("重新开启责令事项", "reopen the order"),
}

# the same actions as the event trail records them: what was done
EVENT: Words = {
    "register": ("登记", "registered"), "refuse": ("不予登记", "refused"), "return": ("退回补正", "returned for correction"),
    "resubmit": ("重新提交", "resubmitted"), "revoke": ("撤销登记", "revoked"), "cancel": ("注销", "cancelled"),
    "create": ("提交", "submitted"), "correct": ("补正", "corrected"), "import": ("导入", "imported"),
    "income_check": ("技术性收入核定", "technical income checked"),
    "credit_override": ("监督员书面同意（红线记录）", "red-line record overridden by a supervisor"),
    "propose": ("提请复核登记", "proposed for registration"), "send_back": ("复核退回", "sent back by the reviewer"),
    "review_request": ("当事人申请复核", "review requested by the party"),
    "review_open": ("启动监督复核", "supervisory review opened"), "review_decision": ("复核决定", "review decided"),
    "review_recusal": ("复核回避", "stepped aside from the review"),
    "order_issued": ("下达责令", "order issued"), "order_answered": ("当事人答复", "party's response recorded"),
    "order_fulfilled": ("责令已履行", "order fulfilled"), "order_escalated": ("逾期上报监督员", "overdue order escalated"),
    "order_closed": ("责令事项关闭", "order closed"), "order_reopened": ("责令事项重新开启", "order reopened"),
}

# review (复核, registry.review_schema): what is reviewed, where it stands, how it ended
REVIEW_KIND: Words = {
    "registration": ("登记复核（四眼）", "second review of a registration"),
    "party_request": ("当事人申请复核", "party's request for review"),
    "supervision": ("监督复核", "supervisory review"),
}
REVIEW_STATUS: Words = {"open": ("待复核", "awaiting review"), "decided": ("已决定", "decided")}
REVIEW_OUTCOME: Words = {
    "confirmed": ("确认", "confirmed"), "sent_back": ("退回登记员", "sent back to the registrar"),
    "upheld": ("维持原决定", "decision upheld"), "overturned": ("撤销原决定，重新审查", "decision overturned"),
    "returned": ("退回补正", "returned for correction"), "corrected": ("更正", "corrected"),
    "revoked": ("撤销登记", "registration revoked"),
}

# the non-technical parts a registrar deducts to approve the technology amount (registry.schema.DeductionCategory)
DEDUCTION: Words = {
    "equipment": ("设备、仪器购置", "equipment and instruments"), "parts": ("零部件", "parts"),
    "materials": ("原材料", "raw materials"), "other": ("其他非技术性费用", "other non-technical costs"),
}

# a technical-income check against the approved amount (registry.schema.IncomeVerdict)
INCOME_VERDICT: Words = {
    "matches": ("与核定额相符", "matches the approved amount"), "below": ("低于核定额", "below the approved amount"),
    "above": ("超过核定额", "above the approved amount"),
}

# where a filing awaiting a decision stands against its deadline (registry.schema.DeadlineState)
DEADLINE_STATE: Words = {"pending": ("办理中", "in time"), "due_soon": ("即将到期", "due soon"),
                         "overdue": ("已逾期", "overdue")}

# the kinds of credit record (registry/credit: the red lines checked before anything is granted, 一票否决)
CREDIT_RECORD_TYPE: Words = {
    "tax_violation": ("重大税收违法失信", "major tax violation"),
    "safety_accident": ("重大安全生产事故", "major work-safety accident"),
    "dishonest_debtor": ("失信被执行人", "dishonest judgment debtor"),
    "environmental_violation": ("严重环境违法失信", "serious environmental violation"),
    "research_misconduct": ("严重科研失信", "serious research misconduct"),
    "funds_not_returned": ("财政资金未按期退回", "public funds not returned on time"),
    "fraudulent_registration": ("弄虚作假骗取技术合同登记", "technology contract registration obtained by fraud"),
    "other_red_line": ("其他严重失信（红线）", "other serious dishonesty (red line)"),
}

# where a credit record came from
CREDIT_ORIGIN: Words = {"import": ("外部名单导入", "imported list"),
                        "registry": ("本机构撤销登记（弄虚作假）", "this registry: revoked for fraud")}
# where a version of a credit record came from, when not a file (a file is named as it was called)
CREDIT_VERSION_SOURCE: Words = {"api": ("接口导入", "through the API"),
                                "revocation": ("撤销登记时生成", "made when the registration was revoked")}

# what a batch credit check recommends for a filing with a red-line hit
CREDIT_RECOMMENDATION: Words = {
    "refuse": ("建议不予登记（一票否决）", "refuse (one-vote veto)"),
    "review_revocation": ("已登记：建议复核并依法撤销", "registered: review for revocation"),
    "override_on_record": ("已有监督员书面同意，无需处理", "overridden in writing by a supervisor: no action"),
    "no_action": ("已不予登记、撤销或注销，无需处理", "already refused, revoked or cancelled: no action"),
}

# the grounds on which a registration is revoked (registry.rulebook: each version lists the grounds it allows)
REVOCATION_GROUND: Words = {
    "fraudulent": ("合同虚假，或以欺骗、贿赂等不正当手段取得登记证明",
                   "a false contract, or a certificate obtained by fraud or bribery"),
    "voided_not_deregistered": ("合同被确认无效或已解除、终止，而未申请注销登记",
                                "the contract was voided or terminated but not de-registered"),
    "duplicate_registration": ("同一合同重复登记", "the same contract registered twice"),
    "other": ("规则规定的其他情形", "another ground the rules list"),
}

# what a revocation rests on (registry.rulebook: the bases each version accepts)
REVOCATION_BASIS: Words = {
    "court_judgment": ("生效的人民法院判决、裁定", "an effective court judgment"),
    "review_decision": ("复核（复议）决定", "a review decision"),
    "inspection_finding": ("行政检查结论", "an administrative inspection finding"),
}

# how a rule counts its days (registry.rulebook.DayKind)
DAY_KIND: Words = {"working": ("工作日", "working days"), "calendar": ("自然日", "calendar days")}

# where a value of the rules in force comes from, when the rule leaves it to the office
RULE_SOURCE: Words = {"settings": ("本机构设置", "this office's settings")}

# the internal path an event came by (an audit finding revoking a registration)
VIA: Words = {"finding": ("依检查结论", "by an inspection finding"), "review": ("依复核决定", "by a review decision")}
VIA: Words = {"finding": ("依检查结论", "by an inspection finding"),
             "order": ("依责令注销", "under a de-registration order")}

# an order a finding issues (audit/orders.py): what it asks, where it stands, what a person does to it
ORDER_KIND: Words = {"rectification": ("责令整改", "rectification order"),
                     "deregistration": ("责令注销", "de-registration order")}
ORDER_STATUS: Words = {
    "open": ("待答复", "awaiting the party"), "answered": ("已答复", "answered"),
    "escalated": ("逾期已上报", "overdue, escalated"), "fulfilled": ("已注销履行", "fulfilled by de-registration"),
    "closed": ("已关闭", "closed"),
}
ORDER_STEP: Words = {
    "issued": ("下达", "issue"), "answered": ("记录答复", "record a response to"),
    "fulfilled": ("记录注销", "record the de-registration of"), "escalated": ("逾期上报", "escalate"),
    "closed": ("关闭", "close"), "reopened": ("重新开启", "reopen"),
}

# the enforcement list (执法企业名录, audit/enforcement.py): its columns, totals and workbook sheets
ENFORCEMENT: Words = {
    "title": ("执法企业名录", "Enforcement list"), "credit_code": ("统一社会信用代码", "credit code"),
    "name": ("企业名称", "enterprise"), "contracts": ("合同数", "contracts"),
    "amount": ("金额（元）", "amount (yuan)"), "revoked": ("撤销登记数", "revoked"),
    "revoked_amount": ("撤销金额（元）", "revoked amount (yuan)"), "rectification": ("责令整改数", "ordered to rectify"),
    "rectification_amount": ("责令整改金额（元）", "rectification amount (yuan)"),
    "deregistration": ("责令注销数", "ordered to de-register"),
    "deregistration_amount": ("责令注销金额（元）", "de-registration amount (yuan)"),
    "overdue": ("逾期数", "overdue"), "overdue_amount": ("逾期金额（元）", "overdue amount (yuan)"),
    "declared_only": ("按申报额计的合同数", "counted at the declared amount"), "total": ("合计", "total"),
    "campaign_id": ("抽查任务编号", "campaign no."), "campaign": ("抽查任务", "campaign"),
    "enterprises": ("企业数", "enterprises"), "ordered": ("责令数", "ordered"),
    "made_at": ("生成时间", "made at"), "judged_on": ("逾期判断日", "overdue as of"),
    "amount_basis": ("金额口径", "amounts"), "enterprise_is": ("企业指", "enterprise means"),
    "about_sheet": ("说明", "About"), "overall_sheet": ("总表", "Overall"),
    "campaigns_sheet": ("各抽查任务", "Campaigns"), "campaign_sheet": ("抽查任务", "Campaign"),
}

# annual statistics (registry/statistics.py): the provinces a region code's first two digits name (GB/T 2260)
PROVINCE: Words = {
    "11": ("北京市", "Beijing"), "12": ("天津市", "Tianjin"), "13": ("河北省", "Hebei"), "14": ("山西省", "Shanxi"),
    "15": ("内蒙古自治区", "Inner Mongolia"), "21": ("辽宁省", "Liaoning"), "22": ("吉林省", "Jilin"),
    "23": ("黑龙江省", "Heilongjiang"), "31": ("上海市", "Shanghai"), "32": ("江苏省", "Jiangsu"),
    "33": ("浙江省", "Zhejiang"), "34": ("安徽省", "Anhui"), "35": ("福建省", "Fujian"), "36": ("江西省", "Jiangxi"),
    "37": ("山东省", "Shandong"), "41": ("河南省", "Henan"), "42": ("湖北省", "Hubei"), "43": ("湖南省", "Hunan"),
    "44": ("广东省", "Guangdong"), "45": ("广西壮族自治区", "Guangxi"), "46": ("海南省", "Hainan"),
    "50": ("重庆市", "Chongqing"), "51": ("四川省", "Sichuan"), "52": ("贵州省", "Guizhou"), "53": ("云南省", "Yunnan"),
    "54": ("西藏自治区", "Tibet"), "61": ("陕西省", "Shaanxi"), "62": ("甘肃省", "Gansu"), "63": ("青海省", "Qinghai"),
    "64": ("宁夏回族自治区", "Ningxia"), "65": ("新疆维吾尔自治区", "Xinjiang"), "71": ("台湾省", "Taiwan"),
    "81": ("香港特别行政区", "Hong Kong"), "82": ("澳门特别行政区", "Macao"),
    "none": ("未填报地区", "region not given"),
}

# a party's type, from its unified social credit code's first two characters (registry/statistics.py)
PARTY_TYPE: Words = {
    "enterprise": ("企业", "enterprise"),
    "public_institution": ("事业单位", "public institution"),
    "government": ("机关", "government body"),
    "social_organisation": ("社会组织（社会团体、民办非企业单位、基金会）",
                            "social organisation (association, private non-enterprise unit, foundation)"),
    "mass_organisation": ("群众团体", "mass organisation"),
    "legal_service": ("法律服务机构（律师事务所、公证、司法鉴定、仲裁等）", "legal service body"),
    "rural_collective": ("农村集体经济组织", "rural collective economic organisation"),
    "individual_business": ("个体工商户", "individual business"),
    "farmer_cooperative": ("农民专业合作社", "farmers' cooperative"),
    "other": ("其他组织", "other organisation"),
}

# the annual statistics workbook (registry/statistics.py): its sheets, columns and notes
STATISTICS: Words = {
    "title": ("技术合同登记年度统计", "Annual statistics of registered technology contracts"),
    "kind": ("按合同类别", "By kind"), "domain": ("按技术领域", "By technology field"),
    "seller_region": ("按卖方所在地区（技术输出）", "By seller's province (technology supplied)"),
    "buyer_region": ("按买方所在地区（技术吸纳）", "By buyer's province (technology absorbed)"),
    "point": ("按登记点", "By registration point"),
    "seller_type": ("按卖方类型", "By seller's type"), "buyer_type": ("按买方类型", "By buyer's type"),
    "kind_sheet": ("合同类别", "Kind"), "domain_sheet": ("技术领域", "Field"),
    "seller_region_sheet": ("卖方地区", "Seller province"), "buyer_region_sheet": ("买方地区", "Buyer province"),
    "point_sheet": ("登记点", "Point"), "seller_type_sheet": ("卖方类型", "Seller type"),
    "buyer_type_sheet": ("买方类型", "Buyer type"), "notes_sheet": ("说明", "Notes"),
    "no": ("序号", "No."), "code": ("代码", "Code"), "name": ("名称", "Name"),
    "contracts": ("合同数（项）", "Contracts"),
    "amount": ("合同成交额（万元）", "contract amount (10k yuan)"),
    "counted_amount": ("核定技术交易额（万元）", "approved technology amount (10k yuan)"),
    "declared_only": ("其中按申报额计的合同数（项）", "of which counted at the declared amount"),
    "declared_amount": ("其中按申报额计的金额（万元）", "of which amount declared, not approved (10k yuan)"),
    "total": ("合计", "Total"), "year": ("统计年度", "Year"), "unit": ("金额单位：万元", "Amounts in 10,000 yuan"),
    "made_at": ("生成时间", "made at"), "counted": ("统计对象", "what is counted"),
    "year_rule": ("年度口径", "which year"), "amount_basis": ("金额口径", "amounts"),
    "excluded": ("未计入", "left out"), "region_rule": ("地区口径", "region"),
    "party_type_rule": ("当事人类型口径", "party type"), "registered": ("计入合同数", "contracts counted"),
    "pick": ("统计年度", "year"), "show": ("查看", "show"), "download": ("下载年度统计（Excel）", "download (Excel)"),
    "api_unit": ("页面金额单位：万元", "amounts in 10k yuan"),
}

KIND: Words = {
    "development": ("技术开发", "technology development"), "transfer": ("技术转让", "technology transfer"),
    "license": ("技术许可", "technology licensing"), "consulting": ("技术咨询", "technology consulting"),
    "service": ("技术服务", "technology service"),
}

# the subkinds each kind allows, in the order a person picks from, named as in the registration rules
# (技术合同认定规则): the same code reads differently under two kinds (patent: 专利权转让 / 专利实施许可)
SUBKIND: dict[str, Words] = {
    "development": {"commissioned": ("委托开发", "commissioned development"),
                    "cooperative": ("合作开发", "cooperative development")},
    "transfer": {"patent": ("专利权转让", "patent transfer"),
                 "patent_application": ("专利申请权转让", "patent application transfer"),
                 "technical_secret": ("技术秘密转让", "technical secret transfer"),
                 "other": ("其他技术转让", "other technology transfer")},
    "license": {"patent": ("专利实施许可", "patent licence"),
                "technical_secret": ("技术秘密使用许可", "technical secret licence"),
                "other": ("其他技术许可", "other technology licence")},
    "consulting": {},
    "service": {"service": ("技术服务", "technical service"), "training": ("技术培训", "technical training"),
                "intermediary": ("技术中介", "technology intermediary")},
}

DOMAIN: Words = {
    "electronic_information": ("电子信息", "electronic information"),
    "advanced_manufacturing": ("先进制造", "advanced manufacturing"), "aerospace": ("航空航天", "aerospace"),
    "modern_transport": ("现代交通", "modern transport"), "agriculture": ("农业", "agriculture"),
    "new_materials": ("新材料", "new materials"), "new_energy": ("新能源", "new energy"),
    "environment": ("环境保护", "environmental protection"), "nuclear": ("核应用", "nuclear applications"),
    "biomedicine": ("生物医药", "biomedicine"), "urban_social": ("城市建设与社会发展", "urban and social development"),
}

# reasons for refusing (registry.schema.RefusalReason) and for revoking (RevocationReason) a registration
REASON: Words = {
    "void_or_not_effective": ("合同无效或尚未生效", "the contract is void or not yet in force"),
    "not_technology_contract": ("不属于技术合同", "not a technology contract"),
    "unclear_terms": ("当事人、标的或价款不明确", "parties, subject or price unclear"),
    "approval_missing": ("缺少须经批准的批准文件", "a required approval is missing"),
    "title_mismatch": ("合同名称与权利义务不符且未更正", "the title does not match the rights and duties"),
    "restrictive_clauses": ("含有限制性条款", "restrictive clauses"),
    "proofs_missing": ("缺少证明文件", "supporting documents missing"),
    "seal_mismatch": ("未盖章或印章与当事人不符", "no seal, or a seal not the party's"),
    "fraudulent": ("弄虚作假、骗取登记", "registered by fraud"),
    "voided_not_deregistered": ("合同被确认无效而未注销", "found void but not deregistered"),
    "duplicate_registration": ("重复登记", "registered twice"),
    "inspection_finding": ("检查结论", "an inspection finding"),
    "court_or_review_decision": ("法院判决或复议决定", "a court judgment or review decision"),
    "other": ("其他", "other"),
}

# an inspection finding (audit.schema.Outcome)
OUTCOME: Words = {
    "cleared": ("未发现问题", "no problem found"), "rectification_ordered": ("责令整改", "rectification ordered"),
    "revoked": ("撤销登记", "registration revoked"), "deregistration_ordered": ("责令注销", "deregistration ordered"),
    "referred": ("移送查处", "referred for investigation"),
}

# how a sampled item was drawn
STRATUM: Words = {
    "certainty": ("必查（高风险）", "certainty (high risk)"), "pps": ("按风险加权抽取", "drawn by risk weight"),
    "control": ("对照组（随机）", "control (random)"),
}
# an export's sheet, named in the page's language (its file keeps the plain name: campaign-3-2026-11-25.xlsx)
EXPORT_SHEET: Words = {
    "filings": ("申请列表", "Filings"), "audit-queue": ("检查队列", "Audit queue"), "campaigns": ("抽查任务", "Campaigns"),
    "campaign": ("抽查任务", "Campaign"), "credit-check": ("信用核查", "Credit check"), "deadlines": ("办理期限", "Deadlines"),
    "job-runs": ("任务运行记录", "Job runs"), "orders": ("责令事项", "Orders"),
    "revocations-tax-notice": ("撤销登记（税务通报）", "Revocations (tax notice)"),
}

# the same strata as the public record says them: how a registration came to be drawn, with no word on the contract
# itself before any finding (a sampled contract is not thereby suspect)
PUBLIC_STRATUM: Words = {
    "certainty": ("必然入选（入样概率 1）", "included with certainty (probability 1)"),
    "pps": ("按入样概率抽取", "drawn by its inclusion probability"), "control": ("随机抽取（对照）", "drawn at random (control)"),
}

# the strata a campaign's violation estimate is made of
ESTIMATE_STRATUM: Words = {
    "certainty": ("必查（风险分达到阈值）", "certainty (risk at the cut-off)"),
    "flagged": ("有异常标记", "flagged"), "unflagged": ("无异常标记（检测未发现的）", "unflagged (what the detectors miss)"),
}

ITEM_STATUS: Words = {"open": ("待检查", "open"), "done": ("已有结论", "decided"),
                      "all": ("全部", "all")}           # the queue's filter: either

CAMPAIGN_STATUS: Words = {"draft": ("草稿", "draft"), "open": ("进行中", "open"), "closed": ("已结束", "closed")}

# a campaign's stored parameters (audit.schema.CampaignIn, less its name and seed)
CAMPAIGN_PARAM: Words = {
    "registered_from": ("登记日期起", "registered from"), "registered_to": ("登记日期止", "registered to"),
    "kinds": ("合同类别", "kinds"), "points": ("登记点", "registration points"),
    "software_only": ("仅软件类", "software only"), "sample_size": ("样本量", "sample size"),
    "certainty_cutoff": ("必查风险阈值", "certainty cut-off"), "control_share": ("对照组比例", "control share"),
    "due_days": ("检查期限（天）", "days to inspect"), "floor_weight": ("最低抽取权重", "floor weight"),
}

# what an audit item's record holds (audit_item_history.action)
ITEM_ACTION: Words = {
    "assigned": ("分配", "assigned"), "unassigned": ("未能分配", "not assigned"),
    "conflict_declared": ("申请回避", "conflict declared"), "reassigned": ("改派", "reassigned"),
    "evidence_added": ("上传证据文件", "evidence file uploaded"),
    "evidence_withdrawn": ("撤回证据文件", "evidence file withdrawn"), "finding": ("检查结论", "finding"),
}

# reasons the system itself records, by code
SYSTEM_REASON: Words = {
    "no_eligible_inspector": ("没有符合回避规则的检查员", "no eligible inspector"),
    "interrupted": ("运行中断（进程被终止或崩溃）", "the worker stopped before the run finished"),
    "trainer_missing": ("训练程序 ml.train 未安装", "the trainer ml.train is not installed with techreg"),
}

# a detector's version where it is not a number
DETECTOR_VERSION: Words = {"none": ("未启用模型", "no model")}

# the scheduled jobs (scheduling.jobs.JOBS)
JOB: Words = {
    "scan_incremental": ("增量检测", "incremental scan"),
    "scan_full": ("全量重新检测", "full rescan with the current models"),
    "campaign_draft": ("月度抽查草稿", "monthly campaign draft"),
    "qualification_check": ("登记员资格检查", "registrar qualification check"),
    "retrain_check": ("模型再训练检查", "retrain when enough findings"),
    "audit_checkpoint": ("事件链检查点", "seal the event trail"),
    "deadline_check": ("办理期限提醒", "decision deadlines running over"),
    "order_deadlines": ("责令事项逾期上报", "overdue orders escalated"),
}

# a job run's or a scan's state
RUN_STATUS: Words = {"running": ("运行中", "running"), "succeeded": ("成功", "succeeded"), "failed": ("失败", "failed")}

TRIGGER: Words = {"schedule": ("定时", "scheduled"), "manual": ("手动", "manual")}

SCAN_MODE: Words = {"full": ("全量", "full"), "incremental": ("增量", "incremental")}
# where a scan read its filings (db/replica.py)
READ_FROM: Words = {"primary": ("主库", "primary database"), "replica": ("只读副本", "read replica")}

# what a job run counted (the `counts` each job returns)
COUNT: Words = {
    "scan_run": ("扫描编号", "scan no."), "filings_scored": ("检测申请数", "filings scored"),
    "flags_active": ("有效标记数", "active flags"), "campaign": ("抽查任务编号", "campaign no."),
    "status": ("状态", "status"), "warned": ("已提醒", "warned"), "blocked": ("已停止办理", "blocked"),
    "new_findings": ("新检查结论", "new findings"), "trained": ("已训练", "trained"), "note": ("说明", "note"),
    "candidate": ("候选模型", "candidate model"), "checkpoint": ("检查点", "checkpoint"),
    "events": ("事件数", "events"), "pending": ("待审查", "awaiting a decision"), "due_soon": ("即将到期", "due soon"),
    "overdue": ("已逾期", "overdue"), "notices": ("提醒条数", "notices"),
    "fulfilled": ("已注销履行", "fulfilled by de-registration"), "escalated": ("本次上报", "escalated now"),
    "read_from": ("读取自", "read from"),
}

# field names: of filing format v1 (by path), and the columns of lists and exports
FIELD: Words = {
    "ref": ("申请编号", "ref"), "contract_no": ("合同编号", "contract no."), "title": ("合同名称", "title"),
    "kind": ("合同类别", "kind"), "subkind": ("细分类别", "subkind"), "software": ("软件类", "software"),
    "domain": ("技术领域", "technology field"), "seller": ("卖方", "seller"), "buyer": ("买方", "buyer"),
    "amount": ("合同成交额", "contract amount"), "tech_amount": ("技术交易额", "technology amount"),
    "signed_on": ("签订日期", "signed on"), "performance_start": ("履行期限起", "performance start"),
    "performance_end": ("履行期限止", "performance end"), "filed_on": ("申请登记日期", "applied on"),
    "point": ("登记点", "registration point"), "registrar": ("登记员", "registrar"),
    "description": ("主要技术内容", "main technical content"), "status": ("状态", "status"),
    "reg_no": ("登记号", "registration no."), "name": ("名称", "name"),
    "public_no": ("公示编号", "public number"),          # a published campaign's (migrations/0031)
    "credit_code": ("统一社会信用代码", "credit code"), "region": ("行政区划代码", "region code"),
    "seller.name": ("卖方名称", "seller name"), "seller.credit_code": ("卖方统一社会信用代码", "seller credit code"),
    "seller.region": ("卖方行政区划代码", "seller region code"), "buyer.name": ("买方名称", "buyer name"),
    "buyer.credit_code": ("买方统一社会信用代码", "buyer credit code"),
    "buyer.region": ("买方行政区划代码", "buyer region code"),
    "$": ("申请内容", "the filing"),
    # columns of lists and exports
    "id": ("编号", "no."), "item": ("检查事项", "audit item"), "campaign": ("抽查任务", "campaign"),
    "due_on": ("期限", "due"), "risk": ("风险分", "risk"), "flag_kinds": ("异常类型", "flags"),
    "outcome": ("结论", "outcome"), "stratum": ("抽中方式", "stratum"), "inclusion_prob": ("入样概率", "inclusion probability"),
    "inspector": ("检查员", "inspector"), "seed": ("随机种子", "seed"), "population_size": ("抽查范围", "population"),
    "items": ("样本数", "items"), "done": ("已完成", "done"), "created_at": ("创建时间", "created"),
    "job": ("任务", "job"), "scheduled_for": ("时段", "slot"), "trigger": ("触发方式", "trigger"),
    "coalesced": ("合并时段数", "slots coalesced"), "started_at": ("开始", "started"),
    "finished_at": ("结束", "finished"), "counts": ("计数", "counts"), "error": ("错误", "error"),
    "reasons": ("理由", "reasons"), "note": ("说明", "note"), "notes": ("备注", "notes"),
    "party": ("关联当事人信用代码", "party credit code"), "reason": ("理由", "reason"),
    "file": ("文件", "file"), "format": ("导出格式", "export format"),
    "registered_on": ("登记日期", "registered on"), "updated_at": ("最后更新", "last updated"),
    # the approved amount, its deductions, income checks, decision deadlines
    "approved_amount": ("核定技术交易额", "approved technology amount"),
    "deductions": ("核减项目", "deductions"), "deductions.item": ("核减项目名称", "item deducted"),
    "deductions.category": ("核减项目类别", "deduction category"), "deductions.amount": ("核减金额", "amount deducted"),
    "received_amount": ("实际技术性收入", "technical income received"), "as_of": ("收入截至日期", "received up to"),
    "clock_from": ("起算日", "counted from"), "restarted": ("补正后重新起算", "restarted on resubmission"),
    "large": ("大额", "large"), "working_days": ("期限（工作日）", "deadline (working days)"),
    "decision_due_on": ("到期日", "due on"), "working_days_left": ("剩余工作日", "working days left"),
    "state": ("状态", "state"), "provisional": ("日历未覆盖（暂按周末计）", "provisional (calendar not published)"),
    "due": ("期限状态", "deadline state"),
    # credit records and the red-line check (registry/credit)
    "record_type": ("记录类型", "record type"), "source": ("来源", "source"),
    "source_ref": ("来源文号", "source reference"), "valid_from": ("有效期起", "valid from"),
    "valid_to": ("有效期止", "valid to"), "party_name": ("当事人名称", "party name"),
    "side": ("当事人", "party"), "recommendation": ("建议", "recommendation"), "version": ("版本", "version"),
    "record_id": ("记录编号", "record no."), "origin": ("记录来源", "origin"),
    "recorded_at": ("记录时间", "recorded"), "relevant_date": ("核查日期", "checked for"),
    "filing_ref": ("申请编号", "filing ref"), "revoked_on": ("撤销日期", "revoked on"),
    "year": ("年度", "year"),
    # the rules by effective date, revocations and the tax office's list
    "rules_version": ("适用规则", "rules applied"), "days": ("期限天数", "deadline (days)"),
    "day_kind": ("期限计算方式", "days counted as"), "ground": ("撤销理由", "revocation ground"),
    "basis": ("撤销依据", "revocation basis"), "basis.kind": ("撤销依据类别", "basis kind"),
    "basis.reference": ("撤销依据文号或编号", "basis reference"), "basis_kind": ("撤销依据类别", "basis kind"),
    "basis_reference": ("撤销依据文号或编号", "basis reference"), "revoked_on": ("撤销日期", "revoked on"),
    "revoked_by": ("撤销人", "revoked by"), "days_in_force": ("登记有效天数", "days the registration stood"),
    "seller_name": ("卖方名称", "seller name"), "seller_code": ("卖方统一社会信用代码", "seller credit code"),
    "buyer_name": ("买方名称", "buyer name"), "buyer_code": ("买方统一社会信用代码", "buyer credit code"),
    "income_received": ("已核定技术性收入", "technical income checked"),
    "income_as_of": ("技术性收入截至", "income checked up to"), "point_name": ("登记点名称", "point name"),
    "revocation_rules": ("撤销适用规则", "rules of the revocation"),
    "revoked_from": ("撤销日期起", "revoked from"), "revoked_to": ("撤销日期止", "revoked up to"),
    # review (复核)
    "requested_on": ("当事人申请日期", "asked on"), "requested_by": ("申请复核的当事人", "asked by"),
    "grounds": ("复核事由", "grounds"), "changes": ("更正内容", "changes"),
    "revocation_reasons": ("撤销理由", "revocation reasons"), "review_kind": ("复核类型", "review"),
    "opened_by": ("提起人", "opened by"), "opened_at": ("提起时间", "opened at"),
    "subject_actor": ("原决定人", "decision taken by"), "decided_by": ("复核人", "decided by"),
    # orders issued by findings (audit/orders.py)
    "order": ("责令事项", "order"), "order_kind": ("责令类别", "order"), "order_status": ("责令事项状态", "order state"),
    "issued_on": ("下达日期", "issued on"),
    "documents": ("答复文件数", "documents"),
    "escalated_on": ("上报日期", "escalated on"), "counted_amount": ("金额（元）", "amount (yuan)"),
    "overdue": ("已逾期", "overdue"),
}

# the types a value of filing format v1 can have, as validation messages name them
VALUE_TYPE: Words = {
    "str": ("字符串", "string"), "int": ("整数", "integer"), "bool": ("布尔值", "boolean"), "object": ("对象", "object"),
    "array": ("数组", "array"), "null": ("空值", "null"), "float": ("数字", "number"), "date": ("日期", "date"),
}

# the outlier model's features (detection.features.NAMES), as its evidence names them
FEATURE: Words = {
    "log_amount": ("合同成交额", "contract amount"), "log_tech_amount": ("技术交易额", "technology amount"),
    "tech_share": ("技术交易额占比", "technology share of the amount"),
    "log_duration_days": ("履行期限长度", "length of performance"),
    "start_minus_signed_days": ("履行开始与签订日期之差", "days from signing to performance start"),
    "filing_lag_days": ("签订到申请登记的天数", "days from signing to application"),
    "log_seller_filings": ("卖方合同数", "seller's contracts"),
    "tech_vs_seller_median": ("相对卖方中位数", "against the seller's median"),
    "tech_vs_peer_median": ("相对同类合同中位数", "against similar contracts' median"),
    "log_pair_filings": ("同一买卖双方合同数", "contracts between the same parties"),
    "log_buyer_filings": ("买方合同数", "buyer's contracts"), "software": ("软件类", "software"),
}

# an HTTP status as an error answer names it
HTTP_STATUS: Words = {
    "400": ("请求有误", "bad request"), "401": ("请先登录", "log in first"), "403": ("无权执行此操作", "forbidden"),
    "404": ("未找到", "not found"), "405": ("不支持该请求方法", "method not allowed"), "409": ("状态冲突", "conflict"),
    "413": ("请求内容过大", "request too large"), "415": ("不支持的内容类型", "unsupported media type"),
    "429": ("请求过于频繁", "too many requests"), "500": ("服务器内部错误", "internal error"),
    "503": ("服务暂不可用", "service unavailable"),
}

YES_NO: Words = {"true": ("是", "yes"), "false": ("否", "no")}

# the kinds of file evidence and answers come in (audit/filetypes.py), by the media type they are served as
FILE_TYPE: Words = {
    "application/pdf": ("PDF 文档", "PDF document"), "image/png": ("PNG 图片", "PNG image"),
    "image/jpeg": ("JPEG 图片", "JPEG image"), "image/gif": ("GIF 图片", "GIF image"),
    "image/webp": ("WebP 图片", "WebP image"), "image/tiff": ("TIFF 图片", "TIFF image"),
    "image/bmp": ("BMP 图片", "BMP image"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("Word 文档", "Word document"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("Excel 工作簿", "Excel workbook"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("PowerPoint 演示文稿",
                                                                                  "PowerPoint presentation"),
    "application/vnd.oasis.opendocument.text": ("ODF 文本", "ODF text"),
    "application/vnd.oasis.opendocument.spreadsheet": ("ODF 表格", "ODF spreadsheet"),
    "application/vnd.oasis.opendocument.presentation": ("ODF 演示文稿", "ODF presentation"),
    "application/msword": ("Word 97-2003 文档", "Word 97-2003 document"),
    "application/vnd.ms-excel": ("Excel 97-2003 工作簿", "Excel 97-2003 workbook"),
    "application/vnd.ms-powerpoint": ("PowerPoint 97-2003 演示文稿", "PowerPoint 97-2003 presentation"),
    "text/plain": ("纯文本", "plain text"), "text/csv": ("CSV 表格", "CSV table"),
    "application/zip": ("ZIP 压缩包", "ZIP archive"),
}

# what the public check of a registration certificate answers (registry.verification), and nothing more
CERTIFICATE_CHECK: Words = {
    "valid": ("有效", "valid"), "revoked": ("已撤销", "revoked"), "cancelled": ("已注销", "de-registered"),
    "unverifiable": ("不匹配", "no match"),
}

CATALOGUE: dict[str, Words] = {
    "certificate_check": CERTIFICATE_CHECK, "actor": ACTOR, "role": ROLE, "status": STATUS, "action": ACTION, "event": EVENT,
    "account_event": ACCOUNT_EVENT, "via": VIA, "kind": KIND, "domain": DOMAIN,
    "reason": REASON, "outcome": OUTCOME, "stratum": STRATUM, "public_stratum": PUBLIC_STRATUM, "export_sheet": EXPORT_SHEET,
    "estimate_stratum": ESTIMATE_STRATUM,
    "item_status": ITEM_STATUS, "campaign_status": CAMPAIGN_STATUS, "campaign_param": CAMPAIGN_PARAM,
    "item_action": ITEM_ACTION, "system_reason": SYSTEM_REASON, "detector_version": DETECTOR_VERSION, "job": JOB, "run_status": RUN_STATUS,
    "trigger": TRIGGER, "scan_mode": SCAN_MODE, "read_from": READ_FROM, "count": COUNT, "field": FIELD, "value_type": VALUE_TYPE,
    "feature": FEATURE, "http_status": HTTP_STATUS, "yes_no": YES_NO, "deduction": DEDUCTION,
    "income_verdict": INCOME_VERDICT, "deadline_state": DEADLINE_STATE,
    "credit_record_type": CREDIT_RECORD_TYPE, "credit_origin": CREDIT_ORIGIN,
    "credit_version_source": CREDIT_VERSION_SOURCE,
    "credit_recommendation": CREDIT_RECOMMENDATION,
    "revocation_ground": REVOCATION_GROUND, "revocation_basis": REVOCATION_BASIS, "day_kind": DAY_KIND,
    "rule_source": RULE_SOURCE,
    "review_kind": REVIEW_KIND, "review_status": REVIEW_STATUS, "review_outcome": REVIEW_OUTCOME,
    "income_verdict": INCOME_VERDICT, "deadline_state": DEADLINE_STATE, "order_kind": ORDER_KIND,
    "order_status": ORDER_STATUS, "order_step": ORDER_STEP, "enforcement": ENFORCEMENT,
    "province": PROVINCE, "party_type": PARTY_TYPE, "statistics": STATISTICS, "file_type": FILE_TYPE,
}
