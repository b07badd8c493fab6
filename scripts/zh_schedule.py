"""Chinese for schedules: my shifts, the week view, one shift, weekly patterns, roster import."""

ZH = {
    "(next day)": "（次日）",
    "%(hours)s h": "%(hours)s 小时",
    "%(name)s already has a shift at that time (%(when)s).":
        "%(name)s在该时段已有班次（%(when)s）。",
    "%(name)s is not in your team.": "%(name)s不在您的班组。",
    ("%(num)d shift", "%(num)d shifts"): "%(num)d 个班次",
    ("%(num)d shift clashes with a shift already scheduled. Change the dates or times, or delete "
     "the clashing shifts first.",
     "%(num)d shifts clash with shifts already scheduled. Change the dates or times, or delete "
     "the clashing shifts first."):
        "有 %(num)d 个班次与已排的班次冲突。请修改日期或时间，或先删除冲突的班次。",
    ("%(num)d shift created for %(team)s.", "%(num)d shifts created for %(team)s."):
        "已为%(team)s创建 %(num)d 个班次。",
    ("%(num)d shift imported.", "%(num)d shifts imported."): "已导入 %(num)d 个班次。",
    ("%(num)d shift will be created, with no clashes.",
     "%(num)d shifts will be created, with no clashes."):
        "将创建 %(num)d 个班次，没有冲突。",
    "— choose a person —": "— 请选择人员 —",
    "Add a shift": "添加班次",
    "Add a shift for %(name)s on %(day)s": "为%(name)s添加 %(day)s 的班次",
    "Add shifts one at a time, as a weekly pattern or from a roster file.":
        "可以逐个添加班次，也可以按周循环排班或导入排班表。",
    "Add the shift": "添加班次",
    "Also schedule the team lead": "同时为组长排班",
    "An end before the start means the shift ends the next day; it still belongs to the day it "
    "starts.": "结束时间早于开始时间表示次日结束（跨夜班），该班次仍算在开始的那一天。",
    "and %(num)d more": "另有 %(num)d 个",
    "At most %(n)d days.": "最多 %(n)d 天。",
    "At most %(n)d rows per file.": "每个文件最多 %(n)d 行。",
    "Check": "检查",
    "Check the roster": "检查排班表",
    "Choose a day between %(first)s and %(last)s.": "请选择 %(first)s 至 %(last)s 之间的日期。",
    "Choose a person.": "请选择人员。",
    "Choose a team.": "请选择班组。",
    "Choose at least one weekday.": "请至少选择一个星期几。",
    "Create the shifts": "创建班次",
    "Date": "日期",
    "Date must be a date such as 2026-11-23.": "日期格式应如 2026-11-23。",
    "Day": "日期",
    "Delete a shift with its × button, or add one with + in an empty day.":
        "点班次上的 × 删除班次，点空白日期里的 + 添加班次。",
    "Delete the shift of %(name)s on %(day)s": "删除%(name)s %(day)s 的班次",
    "Delete the shift of %(name)s on %(day)s, %(start)s–%(end)s?":
        "确定删除%(name)s %(day)s %(start)s–%(end)s 的班次吗？",
    "Done editing": "完成编辑",
    "Earlier": "更早",
    "Early shift": "早班",
    "Edit shifts": "编辑班次",
    "End": "结束",
    "End must be a time such as 18:00.": "结束时间格式应如 18:00。",
    "ends the next day": "次日结束",
    "Enter a start time.": "请填写开始时间。",
    "Enter an end time.": "请填写结束时间。",
    "Enter the day.": "请填写日期。",
    "Enter the first day.": "请填写第一天。",
    "Enter the last day.": "请填写最后一天。",
    ("For %(num)d person", "For %(num)d people"): "共 %(num)d 人",
    "From today": "从今天起",
    "Give every active agent of a team the same shift on the chosen weekdays between two dates. "
    "Check first to see how many shifts it makes and what clashes; then either every shift is "
    "created or none.":
        "在两个日期之间，为班组中每位在岗座席员在所选的星期几排同一个班次。请先检查会生成多少个"
        "班次、有哪些冲突；创建时要么全部创建，要么一个也不创建。",
    "Go to your next shift (%(day)s)": "查看您的下一个班次（%(day)s）",
    "Head count per hour": "每小时在岗人数",
    "Hour": "时段",
    "Hours": "工时",
    ("Import %(num)d shift", "Import %(num)d shifts"): "导入 %(num)d 个班次",
    ("Import %(num)d shift now?", "Import %(num)d shifts now?"): "现在导入 %(num)d 个班次吗？",
    "Import roster": "导入排班表",
    "Late shift": "晚班",
    "Later": "更晚",
    "Middle shift": "中班",
    "Next week": "下一周",
    "Night shift": "夜班",
    "No shifts between %(first)s and %(last)s.": "%(first)s 至 %(last)s 期间没有班次。",
    "Nobody has employee no. %(no)s.": "没有工号为 %(no)s 的人员。",
    "Nobody is on shift this week.": "本周没有人排班。",
    "None of the chosen weekdays falls between the first and the last day.":
        "所选的星期几都不在第一天和最后一天之间。",
    "off": "休",
    "On leave": "请假",
    "on leave": "请假",
    "On shift": "在班人数",
    "Overlaps the shift on line %(line)d of this file.": "与本文件第 %(line)d 行的班次时间重叠。",
    "People on the floor in each hour of the day. The darker the cell, the more people; shifts on "
    "leave are not counted.": "每天各小时在岗的人数。颜色越深人数越多；请假的班次不计入。",
    "Period": "时间段",
    "Person": "人员",
    "Previous week": "上一周",
    "Roster file (.xlsx or .csv)": "排班表文件（.xlsx 或 .csv）",
    "Shift added: %(name)s, %(day)s, %(start)s–%(end)s.":
        "已添加班次：%(name)s，%(day)s，%(start)s–%(end)s。",
    "Shift name": "班次名称",
    "Show": "显示",
    "Show all rows": "显示全部行",
    "Show only the rows with problems": "只显示有问题的行",
    "Showing the rows with problems.": "当前只显示有问题的行。",
    "Start": "开始",
    "Start must be a time such as 09:00.": "开始时间格式应如 09:00。",
    "The end must differ from the start.": "结束时间不能与开始时间相同。",
    "The file has no shifts below the first row.": "文件第一行以下没有班次。",
    "The first row names the columns: 工号 (employee no.), 日期 (date, e.g. 2026-11-23), 开始 and "
    "结束 (start and end, e.g. 09:00 and 18:00), 班次 (shift name, optional). An end before the "
    "start means a night shift that ends the next day. English column names work too.":
        "第一行为列名：工号、日期（如 2026-11-23）、开始和结束（如 09:00 和 18:00）、班次"
        "（班次名称，可不填）。结束早于开始表示次日结束的夜班。也可以使用英文列名。",
    "The shift name is longer than %(n)d characters.": "班次名称超过 %(n)d 个字符。",
    "The shift of %(name)s on %(day)s has been deleted.": "已删除%(name)s %(day)s 的班次。",
    "There are no teams yet. Create a team first; its schedule appears here.":
        "还没有班组。请先创建班组，其排班会显示在这里。",
    "This pattern creates no shift: check the weekdays, the dates and whether the team has active "
    "agents.": "按此设置不会生成任何班次：请检查星期几、日期，以及班组是否有在岗座席员。",
    "This team has no members yet.": "该班组还没有成员。",
    "This team has no one to schedule.": "该班组没有可排班的人员。",
    "This week": "本周",
    "Time": "时间",
    "Today": "今天",
    "Upload an .xlsx or .csv file with one shift per row. Every row is checked and shown to you "
    "first; nothing is saved until you confirm, and then either every shift is saved or none.":
        "上传 .xlsx 或 .csv 文件，每行一个班次。系统会先检查每一行并展示给您；确认之前不会保存"
        "任何数据，确认后要么全部保存，要么一个也不保存。",
    "Uploading and checking every row…": "正在上传并逐行检查……",
    "Weekdays": "星期",
    "Weekly pattern": "按周排班",
    "Weeks": "周次",
    "Who works when, %(first)s to %(last)s": "%(first)s 至 %(last)s 的排班",
    "You do not lead a team yet, so there is no schedule to show. A supervisor names the lead of "
    "each team.": "您还没有负责的班组，因此没有可显示的排班。班组组长由主管指定。",
    "Your team lead publishes the schedule here. If you expected shifts, ask your team lead.":
        "组长排好的班会显示在这里。如果您认为应该有班次，请联系您的组长。",
}
