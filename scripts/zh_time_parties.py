"""Chinese for shift swaps, handovers and away from seat: their pages and service messages."""

ZH = {
    # shift swaps
    "%(name)s agrees": "%(name)s同意",
    "%(name)s gives": "%(name)s让出",
    ("A swap is asked at least %(num)d day ahead, only with a colleague of your level. The "
     "colleague agrees, both team leads sign and the supervisor approves. Each person has at most "
     "%(limit)d swaps a month, pending ones included.",
     "A swap is asked at least %(num)d days ahead, only with a colleague of your level. The "
     "colleague agrees, both team leads sign and the supervisor approves. Each person has at most "
     "%(limit)d swaps a month, pending ones included."):
        "换班需至少提前 %(num)d 天申请，且只能与同级同事换。对方同意后，双方组长签字，再由主管审批。"
        "每人每月最多换班 %(limit)d 次，待审批的也计算在内。",
    "Agree to the swap": "同意换班",
    "Ask for a swap": "申请换班",
    "Asked": "提出申请",
    "Back to shift swaps": "返回换班",
    "Choose one of your shifts.": "请选择您的一个班次。",
    "Choose the shift you want in exchange.": "请选择您想换来的班次。",
    "Colleagues of your level, grouped by person. Left out: shifts on leave, too soon to "
    "swap, or that would give someone two shifts at once.":
        "按人员分组列出同级同事的班次。已请假、离现在太近或换后会使某人同时有两个班次的班次不列出。",
    "Decline": "不同意",
    "Declined": "对方不同意",
    "From %(name)s": "来自%(name)s",
    "My shift": "我的班次",
    "My swaps": "我的换班",
    "No colleague of your level has an upcoming shift to swap.": "没有同级同事有可换的班次。",
    "No swaps match.": "没有符合条件的换班。",
    "One of the two shifts has already started: the swap can only be turned down.":
        "其中一个班次已经开始，这次换班只能驳回。",
    "Send the swap request": "提交换班申请",
    "Shift swap": "换班",
    "Shift swaps": "换班",
    "Sign": "签字",
    "Swaps you can see": "您可查看的换班",
    "Team lead %(name)s signs": "组长%(name)s签字",
    "The colleague's shift you take": "您换来的同事班次",
    "The shift I take in exchange": "换来的班次",
    "The shift you give away": "您让出的班次",
    "The supervisor approves": "主管审批",
    "The swap request has been withdrawn.": "换班申请已撤回。",
    "The two shifts": "两个班次",
    "The two shifts have been exchanged.": "两个班次已互换。",
    "Waiting for the other person": "待对方同意",
    "Waiting for the team leads": "待组长签字",
    "Where it stands": "办理进度",
    "Why do you turn it down?": "不同意的原因",
    "With %(name)s": "与%(name)s",
    "Withdraw this swap request?": "确定撤回该换班申请吗？",
    "You have no shift swaps yet.": "您还没有换班记录。",
    "You have no upcoming shifts to swap.": "您近期没有可换的班次。",
    "Your swap request has been sent to %(name)s.": "换班申请已发送给%(name)s。",
    "Your turn": "轮到您处理",
    "agreed": "同意",
    "declined": "不同意",
    "done": "已完成",
    "not needed any more": "已终止",
    "not yet": "尚未开始",
    "signed": "签字",
    "turned down": "未通过",
    "waiting now": "办理中",
    "— choose —": "— 请选择 —",
    # handovers
    "Acknowledge": "确认",
    "Acknowledge each item, or ask for more about it; then sign.":
        "请逐项确认，或就某一项要求补充说明；全部确认后签收。",
    ("Acknowledge every item first: %(num)d item is still waiting.",
     "Acknowledge every item first: %(num)d items are still waiting."):
        "请先逐项确认：还有 %(num)d 项未确认。",
    "Acknowledged": "已确认",
    "Add another item": "再加一项",
    "Ask for more": "要求补充说明",
    "At most %(n)d items in one handover.": "一份交接班最多 %(n)d 项。",
    "Back to handovers": "返回交接班",
    "Choose what this item is about.": "请选择这一项的类别。",
    "Close the item": "关闭该事项",
    "Close this item? It will no longer be carried forward to the next handover.":
        "确定关闭该事项吗？关闭后不再转入下一次交接班。",
    "Closed": "已关闭",
    "Closed by %(name)s, %(when)s": "由%(name)s于 %(when)s 关闭",
    "Contact": "联系人",
    "Details": "详情",
    "Equipment fault": "设备故障",
    "For example: early shift.": "例如：早班。",
    "From the handover of %(day)s": "来自 %(day)s 的交接班",
    "Handed over": "交接内容",
    "Handover": "交接班",
    "Handover history": "交接班记录",
    "Instruction from above": "上级指示",
    "Item %(n)d": "第 %(n)d 项",
    "Items": "事项",
    "Items to hand over": "交接事项",
    "Kind": "类别",
    "More asked for": "已要求补充",
    "No handovers yet.": "还没有交接班记录。",
    "No open items: nothing carries forward.": "没有未关闭的事项，无需转入。",
    "Not acknowledged yet": "未确认",
    "Notes": "备注",
    "Nothing was handed over.": "本次没有交接事项。",
    "Open items carried forward": "转入的未关闭事项",
    "Open items of my team": "本组未关闭的事项",
    "Outgoing shift": "交班班次",
    "Record what the incoming shift must know: unfinished customer matters, instructions from "
    "above and equipment faults. Rows left empty are ignored. The incoming lead acknowledges "
    "each item and signs.":
        "记录接班人员必须知道的情况：未完结客户事项、上级指示和设备故障。空行不会保存。"
        "接班组长逐项确认后签收。",
    "Save the handover": "保存交接班",
    "Sign the handover": "签收交接班",
    "Signature": "签收",
    "Signed": "已签收",
    "Signed by %(name)s, %(when)s": "%(name)s已于 %(when)s 签收",
    "The handover has been written. The incoming lead acknowledges each item and signs.":
        "交接班已保存，接班组长将逐项确认并签收。",
    "The handover is signed.": "交接班已签收。",
    "The item is closed and no longer carried forward.": "该事项已关闭，不再转入下一次交接班。",
    "These items of earlier handovers are still open. They go into this handover for the "
    "incoming lead to acknowledge, until someone closes them.":
        "以下是以往交接班中尚未关闭的事项。它们会转入本次交接班，由接班组长确认，直到有人关闭。",
    "Unfinished customer matter": "未完结客户事项",
    "Waiting for signature": "待签收",
    "Waiting for the incoming lead to acknowledge each item and sign.":
        "等待接班组长逐项确认并签收。",
    "Waiting for your signature": "待您签收",
    "What more do you need to know?": "还需要了解什么？",
    "Who to call back or ask: name, phone, extension.": "需回电或联系的人：姓名、电话、分机。",
    "Write a handover": "填写交接班",
    "Written by": "填写人",
    "You lead no team, so there is no handover for you to write.":
        "您没有负责的班组，因此无需填写交接班。",
    "written by %(name)s, %(when)s": "%(name)s填写于 %(when)s",
    # away from seat
    "%(name)s, your team lead, allows it with one tap. At most %(n)d minutes.":
        "由您的组长%(name)s一键批准。离席最长 %(n)d 分钟。",
    "A supervisor allows it. At most %(n)d minutes.": "由主管批准。离席最长 %(n)d 分钟。",
    "Agents on shift ask here to step away, and their team leads allow it.":
        "在班座席员在这里申请离席，由组长批准。",
    "Allow": "批准",
    "Ask to step away": "申请离席",
    "Asked at %(time)s (%(elapsed)s ago). Stay on your seat until it is allowed.":
        "%(time)s 提出申请（已过 %(elapsed)s）。批准前请留在座位上。",
    "Asks to step away": "申请离席",
    "Away from seat": "离席",
    "Back": "已回座",
    "Everyone is at their seat.": "所有人都在座位上。",
    "I'm back": "我已回座",
    "Mark as back": "标记为已回座",
    "Over %(n)d min": "超过 %(n)d 分钟",
    "Recently": "最近",
    "Refuse": "不批准",
    "Refused": "未批准",
    "Since %(time)s. At most %(n)d minutes.": "自 %(time)s 起。最长 %(n)d 分钟。",
    "The list updates itself every 10 seconds. Anyone away longer than %(n)d minutes is marked.":
        "列表每 10 秒自动刷新。离席超过 %(n)d 分钟的人会被标出。",
    "Time away": "离席时长",
    "Waiting for your team lead to allow it": "等待组长批准",
    "Who is away": "离席情况",
    "You are away from your seat": "您正在离席",
    "You are over the %(n)d minutes: please go back to your seat.":
        "您已超过 %(n)d 分钟，请尽快回到座位。",
    "Your last request (%(time)s) was refused.": "您上次（%(time)s）的离席申请未获批准。",
    "Your team lead has been asked.": "已向组长提出申请。",
    "waiting for %(elapsed)s": "已等待 %(elapsed)s",
    "%(m)d min %(s)02d s": "%(m)d 分 %(s)02d 秒",
    "away %(elapsed)s": "离席 %(elapsed)s",
    ("See all %(num)d leave request waiting for you",
     "See all %(num)d leave requests waiting for you"): "查看全部 %(num)d 条待您审批的请假",
    ("See all %(num)d shift swap waiting for you",
     "See all %(num)d shift swaps waiting for you"): "查看全部 %(num)d 条待您处理的换班",
    "Someone else changed this request first: this is where it stands now.":
        "其他人已先处理了这条申请，以下是它现在的状态。",
    "Someone else changed this swap first: this is where it stands now.":
        "其他人已先处理了这条换班申请，以下是它现在的状态。",
    "%(day)s (whole day)": "%(day)s（全天）",
    "%(first)s – %(last)s (whole days)": "%(first)s – %(last)s（全天）",
    "%(action)s: %(a)s ⇄ %(b)s?": "确定%(action)s：%(a)s ⇄ %(b)s？",
    "When": "时间",
    "Colleague": "同事",
    "On the day": "日期",
    "No colleague's shift matches. Clear the colleague or the day to see them all.":
        "没有符合条件的同事班次。清空同事或日期即可看到全部。",
    "Narrow the list": "筛选",
    "Choose the kind of leave.": "请选择请假类型。",
    "You are not on shift now: asking to step away opens when your shift starts.":
        "您现在不在班上：班次开始后才能申请离席。",
    "Shift swaps are between agents, or between team leads. Nothing here waits for you.":
        "换班只在座席员之间或组长之间进行，这里没有需要您处理的事项。",
    "That shift cannot be swapped now: it starts in less than %(n)d day(s), is on leave or is already in another swap. Choose another one.":
        "该班次现在不能换：离开始不足 %(n)d 天、已请假或已在另一个换班申请中。请另选一个班次。",
}
