"""Chinese for the quality area: the call log, API tokens, sampling rules."""

ZH = {
    "%(column)s is missing.": "缺少%(column)s。",
    "Customer number": "客户号码",
    "Direction": "呼叫方向",
    "Duration (s)": "通话时长（秒）",
    "Nobody has the employee no. %(number)s.": "没有工号为 %(number)s 的人员。",
    "Recording address": "录音地址",
    "Recording serial no.": "录音流水号",
    "Start time": "开始时间",
    "The customer number may hold only digits, spaces, - and a leading +.":
        "客户号码只能包含数字、空格、- 和开头的 +。",
    "The direction must be in or out (呼入 / 呼出).": "呼叫方向必须是呼入（in）或呼出（out）。",
    "The duration must be a whole number of seconds from 0 to %(max)d.":
        "通话时长必须是 0 到 %(max)d 之间的整数秒。",
    "The recording address must start with http://, https:// or / (at most 500 characters).":
        "录音地址必须以 http://、https:// 或 / 开头（最多 500 个字符）。",
    "The serial no. %(serial)s is also on row %(row)d.": "录音流水号 %(serial)s 与第 %(row)d 行重复。",
    "The serial no. may hold only letters, digits and - _ . : (at most 64).":
        "录音流水号只能包含字母、数字和 - _ . :（最多 64 个字符）。",
    "The start time %(value)s is not a date and time (2026-12-01 09:30:00).":
        "开始时间 %(value)s 不是有效的日期时间（例如 2026-12-01 09:30:00）。",
    "A published rule cannot be changed; write a new rule to follow it.":
        "已发布的抽取标准不能修改，请另写一条新标准接替它。",
    "A sampling rule must be published at least %(n)d day(s) before its first day: the "
    "earliest first day now is %(day)s.":
        "录音抽取标准须在生效首日前至少 %(n)d 天发布：现在最早可从 %(day)s 开始生效。",
    "A sampling rule must be published this many days before its first day":
        "录音抽取标准须提前发布的天数（相对生效首日）",
    "A scorecard with this name already exists.": "已有同名的质检表。",
    "Choose at least one person.": "请至少选择一名人员。",
    "Choose the team the rule covers.": "请选择标准适用的班组。",
    "Give the scorecard a name.": "请为质检表命名。",
    "Name the category.": "请填写类别名称。",
    "Name the deduction item.": "请填写扣分项名称。",
    "Only a published rule draws a sample.": "只有已发布的抽取标准才能抽取录音。",
    "Points must be from 1 to 100.": "扣分须在 1 到 100 之间。",
    "That deduction item is not on this scorecard.": "该扣分项不在此质检表中。",
    "The last call to take cannot come before the first.": "抽取的最后一通不能早于第一通。",
    "The last day cannot come before the first day.": "结束日期不能早于开始日期。",
    "The longest duration must be more than the shortest.": "最长时长必须大于最短时长。",
    "The moment must fall within the call (0 to %(n)d s).": "时间点必须在通话时长之内（0 到 %(n)d 秒）。",
    "The window must end after it starts.": "时间段的结束必须晚于开始。",
    "This call was not taken by a published sampling rule: say why you score it.":
        "这通录音不是按已发布的抽取标准抽中的：请说明为什么要评分。",
}
