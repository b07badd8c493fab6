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
}
